"""One self-contained HTML page that steps through a graph's forward and backward pass.

``to_html(y, "page.html")`` draws ``y``'s graph with ``viz.draw_graph`` (Graphviz's SVG, inline), records a
real backward pass of the engine from ``y`` with ``trace_backward`` (``.grad`` fields are left as they are),
and writes both with the page's script and style (package files ``page/explore.js``, ``page/explore.css``)
into one file that needs no network: it opens from ``file://``, offline. The page plays the forward pass
(nodes light up inputs first) and then the backward pass in the engine's visiting order, showing each
node's gradient as it arrives, the local rule in words, what flows to each input, and the sum where a node
feeds several ops. In Jupyter, ``show(y)`` (or ``viz.draw_dot(y, interactive=True)``) displays the page.

>>> from tinygrad_edu import Value
>>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
>>> page = to_html(a * b + a)
>>> page.startswith("<!DOCTYPE html>") and "d(a*b)/da = b" in page
True
"""

from __future__ import annotations

import html
import json
import os
from importlib import resources
from typing import Any

import numpy as np

from . import autograd
from .engine import Value, raw
from .errors import ArgumentError
from .viz import MAX_SIZE, GraphvizNotFoundError, _kind, draw_graph, op_label

__all__ = ["ExplorePage", "RULES", "forward_order", "page_data", "show", "to_html"]

# The local derivative of each op, in words, one sentence per input (a folded number is "c").
RULES: dict[str, list[str]] = {
    "+": ["d(a+b)/da = 1", "d(a+b)/db = 1"],
    "-": ["d(a-b)/da = 1", "d(a-b)/db = -1"],
    "*": ["d(a*b)/da = b", "d(a*b)/db = a"],
    "/": ["d(a/b)/da = 1/b", "d(a/b)/db = -a/b^2"],
    "**": ["d(a^b)/da = b*a^(b-1)", "d(a^b)/db = a^b*ln(a)"],
    "@": ["d(A@B)/dA: A gets grad @ B^T", "d(A@B)/dB: B gets A^T @ grad"],
    "neg": ["d(-a)/da = -1"],
    "r-": ["d(c-a)/da = -1"],
    "r/": ["d(c/a)/da = -c/a^2"],
    "exp": ["d exp(a)/da = exp(a)"],
    "log": ["d ln(a)/da = 1/a"],
    "log1p": ["d ln(1+a)/da = 1/(1+a)"],
    "sqrt": ["d sqrt(a)/da = 1/(2 sqrt(a))"],
    "abs": ["d |a|/da = sign(a)"],
    "sin": ["d sin(a)/da = cos(a)"],
    "cos": ["d cos(a)/da = -sin(a)"],
    "tanh": ["d tanh(a)/da = 1 - tanh(a)^2"],
    "sigmoid": ["d sigma(a)/da = sigma(a) (1 - sigma(a))"],
    "ReLU": ["d relu(a)/da = 1 where a > 0, else 0"],
    "clip": ["d clip(a)/da = 1 inside [min, max], 0 outside"],
    "sum": ["each element gets the output's gradient"],
    "max": ["the gradient goes to the largest element (shared among ties)"],
    "logsumexp": ["d logsumexp(a)/da = softmax(a)"],
    "reshape": ["the gradient is reshaped back to the input's shape"],
    "transpose": ["the gradient is transposed back"],
    "broadcast": ["the copies' gradients are summed back to the input's shape"],
    "getitem": ["the selected elements get the gradient, the others 0"],
    "scatter": ["the input gets the gradient at the positions it was placed"],
    "concatenate": ["each input gets its own slice of the gradient"],
    "where": ["a gets the gradient where the condition holds, 0 elsewhere",
              "b gets the gradient where it does not, 0 elsewhere"],
    "linear": ["y = x W^T + b: x gets grad @ W", "W gets grad^T @ x", "b gets grad summed over the batch"],
    "cross_entropy": ["d loss/d logits = (softmax(logits) - one_hot(target)) / N"],
    "bce_with_logits": ["d loss/dx = (sigmoid(x) - t) / N", "d loss/dt = -x / N"],
}
_FOLDED = {"+": "d(a+c)/da = 1", "-": "d(a-c)/da = 1", "*": "d(a*c)/da = c", "/": "d(a/c)/da = 1/c",
           "**": "d(a^c)/da = c*a^(c-1)"}  # the same ops with a plain number folded in (one input)
HEAT_MAX = 256  # tensors with at most this many elements (1-D or 2-D) carry their numbers, for a heat-map


def forward_order(root: Value) -> list[Value]:
    """Every node of ``root``'s graph, each after all of its inputs: the order the page's forward plays.

    >>> x = Value(1.0, label="x"); y = (x * 2 + x) * 3 + x
    >>> [v.label or v.op for v in forward_order(y)]
    ['x', '*', '+', '*', '+']
    """
    return autograd.walk(root)


def rule_text(v: Value, i: int) -> str:
    """The local rule of ``v``'s op for its input ``i``, in words (the op's name where none is written)."""
    if "c" in v.op_args and v.op in _FOLDED:
        return _FOLDED[v.op]
    sentences = RULES.get(v.op)
    if not sentences:
        return f"the rule of {v.op!r}"
    return sentences[min(i, len(sentences) - 1)]


def _num(x: Any) -> float | str:
    """A float rounded to 6 significant digits for JSON (NaN and infinities as strings)."""
    x = float(x)
    return float(f"{x:.6g}") if np.isfinite(x) else str(x)


def _summary(a: Any, heat: bool = False) -> Any:
    """A number for one-element data; else {min, mean, max} and, for small 1-D/2-D tensors, the numbers."""
    if a is None:
        return None
    arr = np.asarray(raw(a))
    if arr.size == 1 and arr.ndim == 0 or isinstance(a, float):
        return _num(arr.reshape(-1)[0])
    f = arr.astype(np.float64)
    out: dict[str, Any] = {"min": _num(f.min()), "mean": _num(f.mean()), "max": _num(f.max())} if f.size else {}
    if heat and 0 < f.size <= HEAT_MAX and f.ndim <= 2:
        out["heat"] = [[_num(x) for x in row] for row in np.atleast_2d(f)]
    return out


_INFIX = ("+", "-", "*", "/", "**", "@")


def _name(v: Value, i: int, names: dict[Value, str]) -> str:
    """The label, else a short expression of the inputs' names (``w1*a1``, ``sigmoid(z)``), else ``(op) #i``."""
    if v.label:
        return v.label
    if not v.parents:
        return f"leaf{i}" if v.requires_grad else f"const{i}"
    ins = [names[p] for p in v.parents]
    if any(" #" in n for n in ins):  # an input without a short name: so is this one
        return f"({op_label(v)}) #{i}"
    ins = [f"({n})" if any(o in n for o in "+- ") and v.op in ("*", "/", "**", "@", "r/") else n for n in ins]
    if "c" in v.op_args and len(ins) == 1:
        c = op_label(v).split()[0 if v.op in ("r-", "r/") else -1]
        text = f"{c}{v.op[1]}{ins[0]}" if v.op in ("r-", "r/") else f"{ins[0]}{v.op}{c}"
    elif v.op in _INFIX and len(ins) == 2:
        text = f"{ins[0]}{v.op}{ins[1]}"
    elif len(ins) == 1:
        text = f"{v.op}({ins[0]})"
    else:
        text = ""
    return text if text and len(text) <= 24 else f"({op_label(v)}) #{i}"


def page_data(root: Value, *, trace: autograd.BackwardTrace | None = None, max_values: int = 5000,
              **draw_options: Any) -> tuple[dict[str, Any], str]:
    """The page's numbers (nodes in forward order, backward steps) and the SVG, from a real backward pass.

    Without ``trace`` a backward pass from ``root`` is recorded that leaves ``.grad`` untouched; with one (a
    ``BackwardTrace`` from ``trace_backward()`` around ``root.backward()``), its last pass from ``root`` is used.
    """
    import graphviz

    if not isinstance(root, Value):
        raise ArgumentError(f"to_html: expected a Value, got {type(root).__name__}")
    ids: dict[Value, str] = {}
    title = draw_options.pop("title", None)
    dot = draw_graph(root, title=title, node_ids=ids, **draw_options)
    try:
        svg = dot.pipe(format="svg").decode("utf-8")
    except graphviz.ExecutableNotFound:
        raise GraphvizNotFoundError(
            "to_html: the page's picture needs Graphviz's 'dot' program, which is not installed. Install it with "
            "'apt-get install graphviz' (Debian/Ubuntu), 'brew install graphviz' (macOS) or 'conda install graphviz'."
        ) from None
    svg = svg[svg.index("<svg"):]
    nodes = forward_order(root)
    notes = []
    if len(nodes) > max_values:
        notes.append(f"{len(nodes)} values exceed this page's cap of {max_values} (max_values): the step-through "
                     "is off; the picture is the static one. Explore a smaller graph, or raise max_values.")
        return {"title": title or "", "notes": notes, "nodes": [], "steps": [], "capped": True}, svg
    steps = _record(root) if trace is None else _last_pass(trace, root)
    index = {v: i for i, v in enumerate(nodes)}
    final: dict[int, Any] = {}
    rules: dict[str, int] = {}  # each sentence once; steps name it by its number
    out_steps = []
    for step in steps:
        i = index.get(step.node)
        if i is None:
            continue
        final[i] = step.grad
        sent = []
        parents, at = step.node.parents, -1
        for p, contribution, total in step.sent:  # in the order of the op's inputs (a*a sends to a twice)
            j = index[p]
            at = next((k for k in range(at + 1, len(parents)) if parents[k] is p), at)
            rule = rule_text(step.node, at)
            sent.append([j, _summary(contribution), _summary(total), rules.setdefault(rule, len(rules))])
        out_steps.append({"n": i, "g": _summary(step.grad), "sent": sent})
    info: list[dict[str, Any]] = []
    names: dict[Value, str] = {}
    for i, v in enumerate(nodes):  # (fields at their default are left out: the page reads them as such)
        data = v.data
        names[v] = _name(v, i, names)
        node: dict[str, Any] = {"id": ids.get(v, ""), "name": names[v], "kind": _kind(v, root),
                                "data": _summary(data, heat=True), "grad": _summary(final.get(i), heat=True)}
        extra = {"opLabel": op_label(v) if v.parents else "", "shape": list(np.shape(data)),
                 "dtype": str(np.asarray(data).dtype), "scope": "/".join(v.scope),
                 "inputs": [index[p] for p in v.parents], "merged": ids.get(v, "").startswith("m")}
        node.update((k, x) for k, x in extra.items() if x and x != "float64")
        info.append(node)
    if any(n.get("merged") for n in info):
        notes.append("Grouped boxes (3-D) stand for several values each: the step-through highlights the group.")
    return {"title": title or "", "notes": notes, "nodes": info, "steps": out_steps, "rules": list(rules),
            "capped": False}, svg


def _record(root: Value) -> list[autograd.TraceStep]:
    """One backward pass of the engine from ``root``, recorded; ``.grad`` fields are not changed."""
    if not root.requires_grad:
        return []
    with autograd.trace_backward() as trace:
        autograd.backprop(root, autograd.default_seed(root, None, None), accumulate=False)
    return trace.steps


def _last_pass(trace: autograd.BackwardTrace, root: Value) -> list[autograd.TraceStep]:
    starts = [k for k, s in enumerate(trace.steps) if s.node is root]
    if not starts:
        raise ArgumentError("to_html: the trace holds no backward pass from this Value (call backward inside "
                            "trace_backward(), or pass no trace)")
    return trace.steps[starts[-1]:]


def _asset(name: str) -> str:
    return resources.files("tinygrad_edu").joinpath("page").joinpath(name).read_text(encoding="utf-8")


def _script_json(data: Any) -> str:
    """JSON safe inside a <script> element (no "</" can close it)."""
    return json.dumps(data, separators=(",", ":")).replace("</", "<\\/")


def to_html(root: Value, path: str | os.PathLike[str] | None = None, *, title: str | None = None,
            trace: autograd.BackwardTrace | None = None, max_values: int = 5000, **draw_options: Any) -> str:
    """The interactive page of ``root``'s graph as a string, also written to ``path`` when given.

    ``draw_options`` go to ``viz.draw_graph`` (``rankdir``, ``max_nodes``, ``collapse_modules``, ...).
    """
    data, svg = page_data(root, trace=trace, max_values=max_values, title=title, **draw_options)
    page = _assemble(data, svg, title)
    if path is not None:
        path = os.fspath(path)
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(page)
    return page


def _assemble(data: dict[str, Any], svg: str, title: str | None) -> str:
    """The page: the picture, the numbers as JSON, the script and the style, in one HTML file."""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(title or 'tinygrad_edu: explore a graph')}</title>"
        f"<style>{_asset('explore.css')}</style></head><body>\n"
        f"{_asset('explore.html').replace('<!--GRAPH-->', svg)}\n"
        f"<script id=\"explore-data\" type=\"application/json\">{_script_json(data)}</script>\n"
        f"<script>{_asset('explore.js')}</script>\n</body></html>\n"
    )


# a cell output above this trips the classic notebook's "IOPub data rate exceeded" (1 MB/s) and bloats the file
JUPYTER_MAX_BYTES = 1_000_000


class ExplorePage:
    """The page, displayed by Jupyter in an iframe (its script runs there); ``.html`` is the page itself.

    A page whose cell output (the escaped page in an iframe) is larger than ``max_bytes`` is not put into the
    cell: the cell shows ``picture`` (the static SVG) instead, with a note saying so; ``note`` is shown above
    the page (what was merged or capped).
    """

    def __init__(self, page: str, height: int = 640, *, note: str = "", picture: str = "",
                 max_bytes: int = JUPYTER_MAX_BYTES) -> None:
        self.html = page
        self.height = height
        self.note, self.picture, self.max_bytes = note, picture, max_bytes

    def _iframe(self) -> str:
        return (f'<iframe srcdoc="{html.escape(self.html, quote=True)}" style="width:100%;'
                f'height:{self.height}px;border:1px solid #ccc" sandbox="allow-scripts"></iframe>')

    @property
    def too_large(self) -> bool:
        """Whether the page in its iframe is above ``max_bytes`` (then the cell shows the static picture)."""
        return len(self._iframe().encode()) > self.max_bytes

    def _repr_html_(self) -> str:
        style = 'style="font:12px sans-serif;color:#444;margin:2px 0"'
        frame = self._iframe()
        if len(frame.encode()) > self.max_bytes:
            size = len(frame.encode())
            note = (f"The interactive page is {size / 1e6:.1f} MB in this cell, above its cap of "
                    f"{self.max_bytes / 1e6:.1f} MB (max_bytes): shown here is the static picture. Write the "
                    f"page with .save('page.html') and open it in a browser, or raise max_bytes.")
            return (f"<p class=\"tinygrad-edu-note\" {style}>{html.escape(' '.join([self.note, note]).strip())}</p>"
                    f'<div style="max-height:{self.height}px;overflow:auto">{self.picture}</div>')
        head = f"<p class=\"tinygrad-edu-note\" {style}>{html.escape(self.note)}</p>" if self.note else ""
        return head + frame

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the page to ``path``."""
        with open(path, "w", encoding="utf-8") as f:
            f.write(self.html)


def show(root: Value, height: int = 640, *, max_bytes: int = JUPYTER_MAX_BYTES, **options: Any) -> ExplorePage:
    """The interactive page of ``root``'s graph for Jupyter (``to_html``'s options), in a cell of at most
    ``height`` pixels and ``max_bytes`` bytes (above it, the cell shows the static picture with a note).

    The page's caps apply as on a written page: the picture merges repeated structure above ``max_nodes``
    (400) nodes, the step-through stops above ``max_values`` (5000) values; the cell says what was capped.
    The picture is scaled down to ``max_size`` (default: that of ``tinygrad-edu graph``, 15 x 80 inches).
    """
    title = options.pop("title", None)
    options.setdefault("max_size", MAX_SIZE)
    data, svg = page_data(root, trace=options.pop("trace", None), max_values=options.pop("max_values", 5000),
                          title=title, **options)
    note = " ".join(data["notes"])
    if "exceed the cap of" in svg:  # the picture's own note (draw_graph): repeated structure was merged
        note = ("The graph is larger than the picture's cap (max_nodes): repeated structure is drawn merged. "
                + note).strip()
    return ExplorePage(_assemble(data, svg, title), height, note=note, picture=svg, max_bytes=max_bytes)
