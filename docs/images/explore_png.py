"""Make docs/images/explore.png (the neuron's explore page mid-way through backward) and train_xor.png.

Run from the repository root: ``python docs/images/explore_png.py`` (needs playwright and Debian's chromium).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from tinygrad_edu.graph_examples import neuron
from tinygrad_edu.viz_page import to_html

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]

with tempfile.TemporaryDirectory() as folder, sync_playwright() as p:
    page_file = Path(folder) / "neuron.html"
    to_html(neuron(), page_file, title="The lectures' neuron: backward, step by step")
    browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
    page = browser.new_page(viewport={"width": 1280, "height": 440})
    page.goto(page_file.as_uri())
    page.click("#to-backward")
    page.click("#next")
    while "d(a*b)/da = b" not in page.text_content("#step"):  # down to the first product: its rule in words
        page.click("#next")
    page.screenshot(path="docs/images/explore.png")
    browser.close()
print("wrote docs/images/explore.png")

# docs/images/train_xor.png: the XOR training page, part-way through the converging run
from tinygrad_edu.train_views import gates_page  # noqa: E402

with tempfile.TemporaryDirectory() as folder, sync_playwright() as p:
    page_file = Path(folder) / "xor.html"
    gates_page(page_file, gates=(), title="XOR learnt from random weights: one run converges, one not")
    browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
    page = browser.new_page(viewport={"width": 1140, "height": 470})
    page.goto(page_file.as_uri())
    page.evaluate("() => { const s = document.getElementById('slider'); s.value = 30; "
                  "s.dispatchEvent(new Event('input')); }")
    page.screenshot(path="docs/images/train_xor.png")
    browser.close()
print("wrote docs/images/train_xor.png")
