"""The training views (train_views.py, ``tinygrad-edu explore gates|xor|descent``): recorded from real runs, and
used in headless Chromium: move the slider, the surface and the loss change, screenshots are not blank."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from test_explore_browser import _missing, browser, screenshot_is_not_blank  # noqa: F401 (browser: a fixture)

from tinygrad_edu import Value as tg_Value
from tinygrad_edu import nn as tg_nn
from tinygrad_edu import no_grad as tg_no_grad
from tinygrad_edu import train_views
from tinygrad_edu.cli import main as cli


def page_json(page: str) -> dict:
    return json.loads(re.search(r'<script id="train-data" type="application/json">(.*?)</script>', page, re.S)[1])


def test_the_gates_page_replays_the_real_training_runs() -> None:
    page = train_views.gates_page(gates=("NAND",), epochs=300, xor_seeds=(2, 0))
    runs = page_json(page)["runs"]
    assert [r["name"].split(":")[0] for r in runs] == ["NAND", "XOR, seed 2", "XOR, seed 0"]
    for run, (gate, hidden, seed) in zip(runs, [("NAND", 0, 0), ("XOR", 2, 2), ("XOR", 2, 0)]):
        model, losses = train_views.train(gate, hidden, seed, 300, 2.0)
        assert np.allclose(run["losses"][:-1], losses, rtol=0, atol=1e-6)  # before each step, then after the last
        last = run["frames"][-1]
        assert last["step"] == 300 and np.allclose(last["weights"]["W1"], model.weights()["W1"], atol=1e-4)
        assert len(run["frames"]) == train_views.FRAMES and run["frames"][0]["step"] == 0


def test_the_descent_page_follows_the_lectures_descent() -> None:
    run = page_json(train_views.descent_page(steps=200))["runs"][0]
    assert np.allclose(run["path"][-1], [2.11894, -2.0], atol=1e-4) and abs(run["losses"][-1] + 1.14312) < 1e-4
    assert np.allclose(run["path"], np.round(train_views.descend(np.array([2.0, 2.0]), 0.5, 200), 4))


def test_explore_writes_the_training_pages(tmp_path, capsys) -> None:
    for name in ("xor", "descent"):
        assert cli(["explore", name, "-o", str(tmp_path / f"{name}.html")]) == 0
    assert "XOR" in (tmp_path / "xor.html").read_text() and "KB" in capsys.readouterr().out
    assert (tmp_path / "xor.html").stat().st_size < 400_000 and (tmp_path / "descent.html").stat().st_size < 100_000


needs_browser = pytest.mark.skipif(_missing() is not None, reason=_missing() or "")


@pytest.fixture
def open_training(browser, tmp_path):  # noqa: F811 (the imported fixture)
    pages, errors = [], []

    def opener(html: str, name: str):
        path = tmp_path / f"{name}.html"
        path.write_text(html, encoding="utf-8")
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(path.as_uri())
        page.wait_for_selector("body[data-ready='1']")
        pages.append(page)
        return page

    yield opener
    for page in pages:
        page.close()
    assert errors == [], f"the browser console has errors: {errors}"


def state(page) -> dict:
    return page.evaluate("""() => ({
        surface: document.getElementById('surface').toDataURL(),
        loss: document.getElementById('loss').toDataURL(),
        caption: document.getElementById('loss-caption').textContent,
        weights: document.getElementById('weights').textContent,
        step: document.body.dataset.step })""")


def move_slider(page, value: int) -> None:
    page.evaluate("v => { const s = document.getElementById('slider'); s.value = v; "
                  "s.dispatchEvent(new Event('input', {bubbles: true})); }", value)


@needs_browser
def test_moving_the_xor_slider_changes_the_surface_the_loss_and_the_weights(open_training, tmp_path) -> None:
    page = open_training(train_views.gates_page(gates=(), epochs=1500, xor_seeds=(2, 0)), "xor")
    screenshot_is_not_blank(page, tmp_path / "xor-start.png")
    start = state(page)
    assert start["step"] == "0"
    move_slider(page, train_views.FRAMES - 1)
    end = state(page)
    assert end["step"] == "1500"
    assert end["surface"] != start["surface"] and end["loss"] != start["loss"] and end["weights"] != start["weights"]
    assert float(end["caption"].split(": ")[-1]) < float(start["caption"].split(": ")[-1])  # the loss fell
    screenshot_is_not_blank(page, tmp_path / "xor-end.png")
    page.keyboard.press("ArrowLeft")
    assert state(page)["step"] != "1500"
    page.select_option("#run", "1")  # the run that does not converge
    assert "not correct" in page.inner_text("#note")


@needs_browser
def test_the_descent_page_draws_the_path_step_by_step(open_training, tmp_path) -> None:
    page = open_training(train_views.descent_page(), "descent")
    start = state(page)
    move_slider(page, 50)
    middle = state(page)
    assert middle["step"] == "50" and middle["surface"] != start["surface"] and "2.1" in middle["weights"]
    screenshot_is_not_blank(page, tmp_path / "descent.png")


def test_the_moons_page_replays_micrograds_demo_and_learns_the_boundary() -> None:
    import random

    run = page_json(train_views.moons_page(points=40, steps=30))["runs"][0]
    random.seed(1337)
    X, y = train_views.make_moons(40, noise=0.1, rng=np.random.default_rng(1337))
    model = tg_nn.MLP(2, [16, 16, 1])
    history = train_views.train_moons(model, X, y, 30)
    assert np.allclose(run["losses"][:-1], [loss for loss, _ in history], atol=1e-6)
    assert run["losses"][-1] < run["losses"][0]
    first, last = run["frames"][0], run["frames"][-1]
    assert last["step"] == 30 and last["surface"] != first["surface"]
    scores = train_views._mlp_scores(model, X)  # the NumPy forward of the pictures is the model's own
    with tg_no_grad():
        direct = np.array([model([tg_Value(a), tg_Value(b)]).data for a, b in X])
    assert np.allclose(scores, direct)


@needs_browser
def test_the_moons_page_shows_the_boundary_moving(open_training, tmp_path) -> None:
    page = open_training(train_views.moons_page(points=40, steps=30), "moons")
    start = state(page)
    move_slider(page, 30)
    end = state(page)
    assert end["step"] == "30" and end["surface"] != start["surface"] and end["loss"] != start["loss"]
    assert float(end["caption"].split(": ")[-1]) < float(start["caption"].split(": ")[-1])
    screenshot_is_not_blank(page, tmp_path / "moons.png")
