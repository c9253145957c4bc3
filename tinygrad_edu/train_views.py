"""Training views: a page with a slider over the steps of a real training run of a lecture exercise.

The logic gates (NOT, NAND, OR, AND, and XOR from random weights, one run that converges and one that does
not) show the decision surface, the loss curve and the weights at the chosen step; the 2-D gradient descent
shows the path on the contour plot and f along it. The training code lives here and the lecture scripts
(examples/logic_gates.py, examples/gradient_descent_2d.py) import it, so the pages replay the same runs.

>>> model, losses = train("NAND", 0, seed=0, epochs=300, lr=2.0)
>>> bool(correct(model, "NAND")), losses[-1] < losses[0]
(True, True)
"""

from __future__ import annotations

import base64
import html
import json
import os
from collections.abc import Callable
from importlib import resources
from typing import Any

import numpy as np

from . import nn, optim
from .autograd import no_grad
from .engine import Value
from .errors import ArgumentError

__all__ = ["GATES", "GateModel", "correct", "descend", "descent_page", "f2d", "find_xor_seeds", "gates_page",
           "make_moons", "moons_loss", "moons_page", "train", "train_moons"]

X1 = np.array([[0.0], [1.0]])
X2 = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
GATES = {  # inputs and truth table of each gate
    "NOT": (X1, np.array([[1.0], [0.0]])),
    "NAND": (X2, np.array([[1.0], [1.0], [1.0], [0.0]])),
    "OR": (X2, np.array([[0.0], [1.0], [1.0], [1.0]])),
    "AND": (X2, np.array([[0.0], [0.0], [0.0], [1.0]])),
    "XOR": (X2, np.array([[0.0], [1.0], [1.0], [0.0]])),
}


class GateModel:
    """sigma(x W + b), or with ``hidden`` units: sigma(sigma(x W1 + b1) W2 + b2); weights ~ U(-1, 1)."""

    def __init__(self, n_in: int, hidden: int, seed: int) -> None:
        rng = np.random.default_rng(seed)
        sizes = [n_in] + ([hidden] if hidden else []) + [1]
        self.layers = [
            (Value(rng.uniform(-1, 1, (a, b))), Value(rng.uniform(-1, 1, b))) for a, b in zip(sizes, sizes[1:])
        ]

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer]

    def logits(self, x: np.ndarray) -> Value:
        h = x
        for W, b in self.layers[:-1]:
            h = (h @ W + b).sigmoid()  # hidden layer: h = sigma(x W1 + b1)
        W, b = self.layers[-1]
        return h @ W + b  # the output's logit; y = sigma(logit)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.logits(x).sigmoid().data

    def weights(self) -> dict[str, np.ndarray]:
        """The parameters by name: W1, b1 (and W2, b2 with a hidden layer), copies."""
        return {f"{kind}{i + 1}": np.array(p.data) for i, layer in enumerate(self.layers)
                for kind, p in zip("Wb", layer)}


def train(gate: str, hidden: int, seed: int, epochs: int, lr: float,
          on_step: Callable[[int, GateModel, float], None] | None = None) -> tuple[GateModel, list[float]]:
    """Full-batch gradient descent on binary cross-entropy; returns the model and its loss curve.

    ``on_step(step, model, loss)``, if given, sees the model and its loss before each step and after the last.
    """
    if gate not in GATES:
        raise ArgumentError(f"train: unknown gate {gate!r}; choose one of {', '.join(GATES)}")
    x, y = GATES[gate]
    model = GateModel(x.shape[1], hidden, seed)
    opt = optim.SGD(model.parameters(), lr=lr)
    losses = []
    for step in range(epochs):
        loss = nn.functional.binary_cross_entropy_with_logits(model.logits(x), y)
        if on_step is not None:
            on_step(step, model, loss.item())
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    if on_step is not None:
        with no_grad():
            on_step(epochs, model, nn.functional.binary_cross_entropy_with_logits(model.logits(x), y).item())
    return model, losses


def correct(model: GateModel, gate: str) -> bool:
    """True when every rounded output equals the truth table."""
    x, y = GATES[gate]
    return bool(np.all(np.round(model(x)) == y))


def find_xor_seeds(epochs: int, lr: float, tries: int = 100) -> tuple[int, int]:
    """The first seed whose XOR model is correct after training, and the first whose is not."""
    good = bad = None
    for seed in range(tries):
        model, _ = train("XOR", 2, seed, epochs, lr)
        if correct(model, "XOR"):
            good = seed if good is None else good
        else:
            bad = seed if bad is None else bad
        if good is not None and bad is not None:
            return good, bad
    raise RuntimeError(f"no pair of converging / failing XOR seeds among the first {tries}")


LOW, HIGH = np.array([-2.0, -2.0]), np.array([3.0, 2.0])  # the box of the lecture's descent


def f2d(x: Value) -> Value:
    """The lecture's f(x1, x2) = sin(0.8 x1) sin(0.6 x2) e^(0.1 x1) of a Value of shape (2,)."""
    x1, x2 = x[0], x[1]
    return (0.8 * x1).sin() * (0.6 * x2).sin() * (0.1 * x1).exp()


def descend(start: np.ndarray, gamma: float, steps: int) -> np.ndarray:
    """x_(j+1) = clip(x_j - gamma * grad f(x_j)) for ``steps`` steps, kept in the box; returns the path."""
    path = [start]
    x = Value(start.copy())
    for _ in range(steps):
        x.zero_grad()
        f2d(x).backward()
        x.data = np.clip(x.data - gamma * x.grad, LOW, HIGH)  # step, then project into the box
        path.append(x.data.copy())
    return np.array(path)


# The pages. Surfaces are sent as bytes (0..255 over the shown range), base64: 80 frames of 29 x 29 are 90 KB a run.

GRID = 29  # points per side of a decision surface
FRAMES = 80  # recorded steps per run (evenly spread, the first and the last included)


def _bytes(values: np.ndarray, low: float, high: float) -> str:
    scaled = np.clip((np.asarray(values, dtype=np.float64) - low) / (high - low), 0, 1)
    return base64.b64encode(np.round(scaled * 255).astype(np.uint8).tobytes()).decode("ascii")


def _numbers(a: np.ndarray) -> Any:
    return np.round(np.asarray(a, dtype=np.float64), 4).tolist()


def _gate_run(name: str, gate: str, hidden: int, seed: int, epochs: int, lr: float) -> dict[str, Any]:
    """One training run recorded at ``FRAMES`` steps: loss, weights and the decision surface at each."""
    x, y = GATES[gate]
    wanted = set(np.linspace(0, epochs, min(FRAMES, epochs + 1)).round().astype(int).tolist())
    grid = np.linspace(0, 1, GRID)
    plane = np.column_stack([a.ravel() for a in np.meshgrid(grid, grid)]) if x.shape[1] == 2 else grid[:, None]
    frames: list[dict[str, Any]] = []
    losses: list[float] = []

    def record(step: int, model: GateModel, loss: float) -> None:
        losses.append(loss)
        if step in wanted:
            with no_grad():
                frames.append({"step": step, "loss": round(loss, 6), "surface": _bytes(model(plane)[:, 0], 0, 1),
                               "outputs": _numbers(model(x)[:, 0]),
                               "weights": {k: _numbers(v) for k, v in model.weights().items()}})

    model, _ = train(gate, hidden, seed, epochs, lr, on_step=record)
    return {"name": name, "kind": "gate2d" if x.shape[1] == 2 else "gate1d", "grid": GRID,
            "inputs": x.tolist(), "targets": y[:, 0].tolist(), "losses": [round(v, 6) for v in losses],
            "frames": frames, "correct": correct(model, gate)}


def gates_page(path: str | os.PathLike[str] | None = None, *, gates: tuple[str, ...] = ("NOT", "NAND", "OR", "AND"),
               xor: bool = True, epochs: int = 1500, lr: float = 2.0, xor_seeds: tuple[int, int] | None = None,
               title: str | None = None) -> str:
    """The training page of the logic gates (and of XOR from a converging and a failing seed)."""
    runs = [_gate_run(f"{g}: sigma(x W + b)", g, 0, 0, epochs, lr) for g in gates]
    if xor:
        good, bad = xor_seeds or find_xor_seeds(epochs, lr)
        runs += [_gate_run(f"XOR, seed {good}: converges", "XOR", 2, good, epochs, lr),
                 _gate_run(f"XOR, seed {bad}: does not converge", "XOR", 2, bad, epochs, lr)]
    data = {"title": title or "Logic gates learnt by gradient descent", "lr": lr, "runs": runs,
            "lossName": "binary cross-entropy"}
    return _page(data, path)


def descent_page(path: str | os.PathLike[str] | None = None, *, gamma: float = 0.5, steps: int = 100,
                 start: tuple[float, float] = (2.0, 2.0), title: str | None = None) -> str:
    """The training page of the lecture's projected gradient descent: the path on the contour plot."""
    trail = descend(np.array(start, dtype=np.float64), gamma, steps)
    values = [f2d(Value(p)).item() for p in trail]
    g1, g2 = np.meshgrid(np.linspace(LOW[0], HIGH[0], 101), np.linspace(LOW[1], HIGH[1], 81))
    fz = np.sin(0.8 * g1) * np.sin(0.6 * g2) * np.exp(0.1 * g1)
    run = {"name": f"gradient descent from ({start[0]:g}, {start[1]:g}), gamma = {gamma:g}", "kind": "descent",
           "low": LOW.tolist(), "high": HIGH.tolist(), "shape": list(fz.shape),
           "surface": _bytes(fz, float(fz.min()), float(fz.max())), "range": [float(fz.min()), float(fz.max())],
           "path": _numbers(trail), "losses": [round(v, 6) for v in values],
           "frames": [{"step": i, "loss": round(v, 6), "weights": {"x": _numbers(p)}}
                      for i, (p, v) in enumerate(zip(trail, values))]}
    data = {"title": title or "Projected gradient descent on sin(0.8 x1) sin(0.6 x2) e^(0.1 x1)", "runs": [run],
            "lossName": "f(x)"}
    return _page(data, path)


# ---- micrograd's moons demo: a 2-16-16-1 MLP of scalar Values, max-margin loss ----------------------------
def make_moons(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two half circles: the upper centred at (0, 0), the lower at (1, 0.5); labels -1 and +1."""
    t = np.linspace(0, np.pi, n // 2)
    upper = np.column_stack([np.cos(t), np.sin(t)])
    lower = np.column_stack([1 - np.cos(t), 0.5 - np.sin(t)])
    X = np.vstack([upper, lower]) + rng.normal(0, noise, size=(2 * (n // 2), 2))
    y = np.hstack([-np.ones(n // 2), np.ones(n // 2)])
    return X, y


def moons_loss(model: nn.MLP, X: np.ndarray, y: np.ndarray) -> tuple[Value, float]:
    """micrograd's demo loss: the mean hinge loss 1 - y score, plus 1e-4 times the sum of squared weights."""
    inputs = [list(map(Value, xrow)) for xrow in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]  # svm "max-margin" loss
    data_loss = sum(losses) * (1.0 / len(losses))
    alpha = 1e-4
    reg_loss = alpha * sum(p * p for p in model.parameters())  # L2 regularization
    total_loss = data_loss + reg_loss
    accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(y, scores)]
    return total_loss, sum(accuracy) / len(accuracy)


def train_moons(model: nn.MLP, X: np.ndarray, y: np.ndarray, steps: int,
                on_step: Callable[[int, nn.MLP, float, float], None] | None = None) -> list[tuple[float, float]]:
    """micrograd's demo training: ``steps`` of gradient descent with the learning rate 1 - 0.9 k / 100.

    ``on_step(k, model, loss, accuracy)`` is called before step k's update (and once after the last).
    """
    history = []
    for k in range(steps):
        total_loss, acc = moons_loss(model, X, y)
        if on_step is not None:
            on_step(k, model, total_loss.data, acc)
        model.zero_grad()
        total_loss.backward()
        learning_rate = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        history.append((total_loss.data, acc))
    if on_step is not None:
        with no_grad():
            total_loss, acc = moons_loss(model, X, y)
        on_step(steps, model, total_loss.data, acc)
    return history


def _mlp_scores(model: nn.MLP, points: np.ndarray) -> np.ndarray:
    """The scalar MLP's scores on many points at once, from its weights (a NumPy forward, for the pictures)."""
    h = points
    for i, layer in enumerate(model.layers):
        W = np.array([[w.data for w in n.w] for n in layer.neurons])
        b = np.array([n.b.data for n in layer.neurons])
        h = h @ W.T + b
        if i < len(model.layers) - 1:
            h = np.maximum(h, 0)
    return h[:, 0]


def moons_page(path: str | os.PathLike[str] | None = None, *, points: int = 60, steps: int = 60, seed: int = 1337,
               title: str | None = None) -> str:
    """The training page of micrograd's moons demo: the decision boundary at each recorded step."""
    import random

    random.seed(seed)  # the scalar layers draw their weights from Python's random, as micrograd's do
    X, y = make_moons(points, noise=0.1, rng=np.random.default_rng(seed))
    model = nn.MLP(2, [16, 16, 1])
    low, high = X.min(axis=0) - 0.5, X.max(axis=0) + 0.5
    g1, g2 = np.meshgrid(np.linspace(low[0], high[0], GRID), np.linspace(low[1], high[1], GRID))
    plane = np.column_stack([g1.ravel(), g2.ravel()])
    wanted = set(np.linspace(0, steps, min(FRAMES, steps + 1)).round().astype(int).tolist())
    frames: list[dict[str, Any]] = []
    losses: list[float] = []

    def record(k: int, m: nn.MLP, loss: float, acc: float) -> None:
        losses.append(loss)
        if k in wanted:
            scores = np.tanh(_mlp_scores(m, plane))  # in (-1, 1): blue below 0, red above
            frames.append({"step": k, "loss": round(loss, 6), "surface": _bytes(scores, -1, 1),
                           "weights": {"accuracy": round(acc, 4),
                                       "output layer w": _numbers(np.array([w.data for w in
                                                                            m.layers[-1].neurons[0].w]))}})

    train_moons(model, X, y, steps, on_step=record)
    run = {"name": f"MLP(2, [16, 16, 1]) on {len(X)} points", "kind": "moons", "grid": GRID,
           "low": low.tolist(), "high": high.tolist(), "inputs": _numbers(X), "targets": ((y + 1) / 2).tolist(),
           "losses": [round(v, 6) for v in losses], "frames": frames}
    data = {"title": title or "micrograd's moons demo: the decision boundary as it is learnt", "runs": [run],
            "lossName": "max-margin loss"}
    return _page(data, path)


def _asset(name: str) -> str:
    return resources.files("tinygrad_edu.page").joinpath(name).read_text(encoding="utf-8")


def _page(data: dict[str, Any], path: str | os.PathLike[str] | None) -> str:
    blob = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
    page = ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(data['title'])}</title><style>{_asset('train.css')}</style></head><body>\n"
            f"{_asset('train.html')}\n<script id=\"train-data\" type=\"application/json\">{blob}</script>\n"
            f"<script>{_asset('train.js')}</script>\n</body></html>\n")
    if path is not None:
        os.makedirs(os.path.dirname(os.path.abspath(os.fspath(path))), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(page)
    return page
