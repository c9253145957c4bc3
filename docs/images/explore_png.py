"""Make docs/images/explore.png: the neuron's explore page in headless Chromium, mid-way through backward.

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
