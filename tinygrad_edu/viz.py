"""Graphviz drawings of computation graphs, from one neuron to a whole network.

``draw_graph(root)`` returns a ``graphviz.Digraph``: a box per Value (label,
data and grad; for tensors shape, dtype and min/mean/max), an ellipse per op,
parameters, constants, intermediates and the output each in their own colour
with a legend, and the nodes made inside each module's forward drawn in a
cluster per module. Above ``max_nodes`` nodes or ``max_clusters`` module
boxes repeated structure is merged (the picture says what was merged), so
even a graph of thousands of ops or layers renders in seconds. Only what a Value exposes is read: ``parents``, ``op``,
``op_args``, ``label``, ``data``, ``grad``, ``scope``, ``requires_grad``.

The DOT source needs nothing installed; SVG/PNG/PDF need Graphviz's ``dot``.
"""

from __future__ import annotations

import html
import math
import os
import re
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable
from typing import TYPE_CHECKING, Any

import numpy as np

from .autograd import walk
from .engine import Value, raw
from .errors import ArgumentError, DataError, TinygradEduError

if TYPE_CHECKING:
    import graphviz

__all__ = ["GraphvizNotFoundError", "draw_dot", "draw_graph", "render", "to_html"]

COLORS = {  # fill colours of the four kinds of Value, and of op nodes
    "parameter": "#c7e9c0",
    "constant": "#e0e0e0",
    "intermediate": "#deebf7",
    "output": "#fdd0a2",
    "op": "#ffffff",
}
KIND_NAMES = {
    "parameter": "leaf that needs a gradient (parameter, input)",
    "constant": "constant / data (no gradient)",
    "intermediate": "intermediate result",
    "output": "output (where backward starts)",
}
MAX_SIZE = (15.0, 80.0)  # inches (1080 x 5760 pt): the width of a laptop screen; longer pictures scroll down
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")  # characters XML (so dot) refuses
_SPACES = str.maketrans({"\t": " ", "\n": " ", "\r": " "})  # dot drops tabs; a label is one line


class GraphvizNotFoundError(TinygradEduError, RuntimeError):
    """Graphviz's ``dot`` program is needed to render images but is not installed."""


def clip(text: Any, limit: int = 60) -> str:
    """``str(text)`` cut to ``limit`` characters, an ellipsis marking the cut."""
    s = str(text)
    return s if len(s) <= limit else s[: limit - 1] + "\N{HORIZONTAL ELLIPSIS}"


def esc(text: Any, limit: int = 60) -> str:
    r"""``text`` (clipped to ``limit``) made safe as the text of an element of a Graphviz HTML-like label.

    Besides ``& < > " '``, dot 2.43 (Debian's and Ubuntu's) misreads, by experiment: a text of only ``]`` (a
    syntax error: sent as ``&#93;``, ``[`` too for symmetry); a backslash, which starts an escape even in an
    HTML label (``\N`` is the node's name, ``\G`` the graph's, ``\\`` one backslash: sent doubled); a tab
    (dropped, and alone a syntax error: sent as a space, as are line breaks); an empty element (a syntax
    error: sent as a no-break space); characters XML does not allow (control characters, U+FFFE, U+FFFF:
    drawn as U+FFFD).

    >>> print(esc("]"), esc(r"\N"), esc("<x>"), esc(""))
    &#93; \\N &lt;x&gt; &#160;
    """
    s = _NOT_XML.sub("\N{REPLACEMENT CHARACTER}", clip(text, limit)).translate(_SPACES)
    s = html.escape(s, quote=True).replace("]", "&#93;").replace("[", "&#91;").replace("\\", "\\\\")
    return s or "&#160;"


def fmt(x: float) -> str:
    """A number in 4 significant digits, scientific notation when tiny or huge."""
    x = float(x)
    if x == 0 or math.isnan(x) or math.isinf(x):
        return "0" if x == 0 else str(x)
    return f"{x:.4g}" if 1e-3 <= abs(x) < 1e5 else f"{x:.3e}"


def _summary(a: Any) -> str:
    arr = np.asarray(a, dtype=np.float64)
    if arr.size == 1:
        return fmt(arr.reshape(-1)[0])
    if arr.size == 0:
        return "(empty)"  # min and max of nothing
    return f"{fmt(arr.min())} / {fmt(arr.mean())} / {fmt(arr.max())}"


def _kind(v: Value, root: Value) -> str:
    if v is root:
        return "output"
    if v.parents:
        return "intermediate"
    return "parameter" if v.requires_grad else "constant"


def op_label(v: Value) -> str:
    """The op with the arguments its rule declares for display: ``* 2``, ``2 -``, ``sum axis=1``, ``[::2]``."""
    op, args = v.op, v.op_args
    if "c" in args:  # a number folded into the op
        c = fmt(args["c"])
        return f"{c} {op[1]}" if op in ("r-", "r/") else f"{op} {c}"
    if "index" in args:
        return f"[{clip(args['index'], 20)}]"
    if op == "clip":
        return f"clip [{args.get('min')}, {args.get('max')}]"
    shown = [f"{k}={clip(a, 20)}" for k, a in args.items() if a is not None and a is not False]
    if op == "reshape" and "shape" in args:
        shown = [str(tuple(args["shape"]))]
    elif op == "transpose" and "axes" in args:
        shown = [str(tuple(args["axes"]))]
    elif "reduction" in args:
        shown = [f"({clip(args['reduction'], 20)})"]
    return " ".join([op or "?"] + shown)  # plain text: draw_graph escapes it


def _value_label(v: Value, kind: str, show_data: bool, show_grad: bool, fill: str, stacked: bool = False) -> str:
    title = v.label or ("output" if kind == "output" else "")
    scalar = v.data.__class__ is float or np.size(v.data) == 1 and np.ndim(v.data) == 0
    cells = []
    if scalar:
        if title:
            cells.append(f"<B>{esc(title)}</B>")
        if show_data:
            cells.append(f"data {fmt(np.asarray(v.data).reshape(-1)[0])}")
        if show_grad:
            cells.append("grad " + ("–" if v.grad is None else fmt(np.asarray(raw(v.grad)).reshape(-1)[0])))
        return (_table_col if stacked else _table_row)(cells or ["&#160;"], fill)
    head = f"<B>{esc(title)}</B> " if title else ""
    rows = [f"{head}{esc(tuple(np.shape(v.data)))} {esc(np.asarray(v.data).dtype)}"]
    if show_data:
        rows.append(f"data {_summary(v.data)}")
    if show_grad:
        rows.append("grad " + ("–" if v.grad is None else _summary(raw(v.grad))))
    return _table_col(rows, fill)


def _table_row(cells: list[str], fill: str) -> str:
    tds = "".join(f"<TD>{c}</TD>" for c in cells)
    return f'<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="4" BGCOLOR="{fill}"><TR>{tds}</TR></TABLE>>'


def _table_col(rows: list[str], fill: str) -> str:
    trs = "".join(f"<TR><TD>{r}</TD></TR>" for r in rows)
    return f'<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3" BGCOLOR="{fill}">{trs}</TABLE>>'


def _grad_color(v: Value) -> str | None:
    """A colour for log10 of the mean |grad|: blue (vanishing, 1e-8) -> white (1) -> red (exploding, 1e8)."""
    if v.grad is None:
        return None
    grad = np.asarray(raw(v.grad), dtype=np.float64)
    return _scale_color(float(np.mean(np.abs(grad))) if grad.size else 0.0)


def _scale_color(mag: float) -> str:
    """The colour of a mean |grad| of ``mag`` on the blue-white-red scale (magenta: nan or inf)."""
    if not math.isfinite(mag):
        return "#ff00ff"  # nan or inf somewhere: magenta, off the blue-white-red scale
    t = 0.0 if mag == 0 else max(-1.0, min(1.0, math.log10(mag) / 8))
    if t < 0:
        r = g = int(255 * (1 + t))
        return f"#{r:02x}{g:02x}ff"
    gb = int(255 * (1 - t))
    return f"#ff{gb:02x}{gb:02x}"


def _depth(nodes: list[Value]) -> int:
    """The number of values on the longest chain of the graph (``nodes`` in topological order)."""
    depth: dict[Value, int] = {}
    for v in nodes:
        depth[v] = 1 + max((depth[p] for p in v.parents), default=0)
    return max(depth.values(), default=0)


def _scope_name(tag: str) -> str:
    name, _, cls = tag.rpartition(":")
    return f"{name} ({cls})" if name else cls


def draw_graph(
    root: Value,
    *,
    rankdir: str = "auto",
    show_data: bool = True,
    show_grad: bool = True,
    max_nodes: int = 400,
    max_clusters: int = 100,
    group: bool = True,
    collapse_modules: bool = False,
    grad_colors: bool = False,
    legend: bool = True,
    title: str | None = None,
    node_ids: dict[Value, str] | None = None,
    max_size: tuple[float, float] | None = None,
    collapse: Collection[str] = (),
    repeats: int | None = None,
    stacked: bool = False,
) -> graphviz.Digraph:
    """Draw the graph that produced ``root`` as a ``graphviz.Digraph``.

    Above ``max_nodes`` nodes or ``max_clusters`` module boxes, modules are merged into one node each, then
    long runs of sibling modules (the 2,000 layers of a ``Sequential``) into one node, then repeated ops.
    ``node_ids``, if given, is filled with each Value's node name in the drawing (``v3``; its op is ``v3op``;
    ``m0`` for a merged group); the names are the ``<title>`` of the nodes in Graphviz's SVG.
    ``rankdir="auto"`` draws chains deeper than 3 values top to bottom (they read on a screen by scrolling down),
    small graphs left to right; ``max_size`` (width, height in inches) scales a larger drawing down to fit.
    ``collapse`` names module classes drawn as one node each (``{"LayerNorm"}``); ``repeats=n`` draws the first
    ``n`` of each run of repeated sibling modules (a transformer's blocks) in full and the rest as one node.
    ``stacked=True`` draws a number's label, data and grad one under another (narrower: for wide graphs).

    >>> from tinygrad_edu import Value
    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> d = draw_graph(a * b)
    >>> "a" in d.source and "*" in d.source
    True
    """
    import graphviz

    if not isinstance(root, Value):
        raise DataError(f"draw_graph: expected the Value whose graph to draw (the output of some ops), got "
                        f"{type(root).__name__} {clip(repr(root), 40)}; wrap data in Value(...) first")
    if rankdir not in ("LR", "TB", "RL", "BT", "auto"):
        raise ArgumentError(f"draw_graph: rankdir must be LR, TB, RL, BT or auto, got {rankdir!r}")
    if max_size is not None and (len(max_size) != 2 or not all(
            isinstance(x, (int, float)) and not isinstance(x, bool) and x > 0 for x in max_size)):
        raise ArgumentError(f"draw_graph: max_size must be (width, height) in inches, both positive, got {max_size!r}")
    for name, cap in (("max_nodes", max_nodes), ("max_clusters", max_clusters)):
        if isinstance(cap, bool) or not isinstance(cap, (int, np.integer)) or cap <= 0:
            raise ArgumentError(f"draw_graph: {name} must be a positive whole number, got {cap!r}")
    if repeats is not None and (isinstance(repeats, bool) or not isinstance(repeats, (int, np.integer))
                                or repeats < 1):
        raise ArgumentError(f"draw_graph: repeats must be a positive whole number or None, got {repeats!r}")
    if isinstance(collapse, str):
        collapse = (collapse,)  # one class name, not its letters
    nodes = walk(root)
    if rankdir == "auto":
        rankdir = "TB" if _depth(nodes) > 3 else "LR"
    # where leaves are drawn: data (no gradient) and leaves used by several modules (inputs) outside every module;
    # a leaf made outside any forward and used in one module only (a parameter) inside that module
    users: dict[Value, set[tuple[str, ...]]] = defaultdict(set)
    for v in nodes:
        for p in v.parents:
            if not p.parents:
                users[p].add(v.scope)
    home: dict[Value, tuple[str, ...]] = {}
    for p, where in users.items():
        if not p.requires_grad:
            home[p] = ()
        elif not p.scope:
            home[p] = next(iter(where)) if len(where) == 1 else ()
    plan = _plan(nodes, root, {v: home.get(v, v.scope) for v in nodes}, max_nodes, max_clusters if group else None,
                 collapse_modules, frozenset(collapse), repeats)

    dot = graphviz.Digraph(graph_attr={"rankdir": rankdir, "fontname": "Helvetica", "fontsize": "11",
                                       # bound dot's network simplex (ranking, then x positions): without a limit a
                                       # value used by every step of a 100-step loop takes dot minutes; small
                                       # drawings come out the same
                                       "nslimit": "2", "nslimit1": "2",
                                       **({"size": f"{max_size[0]:g},{max_size[1]:g}"} if max_size else {})},
                           node_attr={"fontname": "Helvetica", "fontsize": "10"},
                           edge_attr={"arrowsize": "0.6"})
    label_lines = [esc(title, 120)] if title else []
    label_lines += [esc(n, 200) for n in plan.notes]
    if label_lines:
        dot.attr(label="<" + "<BR/>".join(label_lines) + ">", labelloc="t")

    clusters: dict[tuple[str, ...], list[tuple[str, dict[str, str]]]] = defaultdict(list)  # scope -> nodes
    edges: Counter[tuple[str, str]] = Counter()
    ids: dict[Value, str] = {} if node_ids is None else node_ids
    merged: dict[Any, str] = {}  # merge key -> node id

    def place(scope: tuple[str, ...], node_id: str, **attrs: str) -> None:
        clusters[scope if group else ()].append((node_id, attrs))

    for v in nodes:
        kind = _kind(v, root)
        scope = plan.scopes[v]
        key = plan.keys[v]
        if key is not None:
            if key not in merged:
                merged[key] = f"m{len(merged)}"
                n = plan.counts[key]
                if key[0] == "module":
                    name = plan.runs.get(key[1][-1]) or f"<B>{esc(_scope_name(key[1][-1]))}</B>"
                    label = f"<{name}<BR/>{n} values merged>"
                    scope = key[1][:-1]
                elif key[0] == "ops":
                    label = f"<{esc(v.op, 40)} ×{n}>"
                else:
                    label = f"<{n} × {esc(KIND_NAMES[kind].split(' (')[0])}>"
                place(scope, merged[key], label=label, shape="box3d", style="filled", fillcolor="#f2f0f7")
            ids[v] = merged[key]
            continue
        node_id = f"v{len(ids)}"
        ids[v] = node_id
        fill = (_grad_color(v) if grad_colors else None) or COLORS[kind]
        place(scope, node_id, label=_value_label(v, kind, show_data, show_grad, fill, stacked), shape="none",
              margin="0")
        if v.parents:
            op_id = f"{node_id}op"
            place(scope, op_id, label=f"<{esc(op_label(v), 40)}>", shape="ellipse", style="filled",
                  fillcolor=COLORS["op"])
            edges[(op_id, node_id)] += 1
    for v in nodes:  # edges from inputs to the op that consumed them
        if not v.parents:
            continue
        target = ids[v] + "op" if ids[v].startswith("v") else ids[v]
        for p in v.parents:
            source = ids[p]
            if source != target:
                edges[(source, target)] += 1

    computed: dict[tuple[str, ...], int] = {}  # module order: when each module's first op was computed
    for i, v in enumerate(nodes):
        if v.parents:
            scope = plan.scopes[v]
            for j in range(1, len(scope) + 1):
                computed.setdefault(scope[:j], i)
    _emit_clusters(dot, clusters, computed)
    for (a, b), n in edges.items():
        dot.edge(a, b, label=f"×{n}" if n > 1 and (a.startswith("m") or b.startswith("m")) else "")
    if legend:
        _legend(dot, grad_colors, any(np.size(v.data) > 1 for v in nodes if plan.keys[v] is None))
    return dot


# Merging. What makes dot slow, measured with dot 2.43 on 2 cores: not nodes as such (a chain of 2,000 nodes: 0.2 s;
# 2,000 one-node clusters: 1.6 s) but edges that span many ranks, which dot replaces by chains of virtual nodes: one
# node feeding each of 150 chained nodes takes 26 s (minutes from 200 on). The old merging made such a hub (every
# parameter of a 2,000-layer Sequential in one node, feeding 2,000 clusters: over 300 s). So merging never pools
# values from different modules, long runs of sibling modules become one node (in -> run -> out: no long edges), and
# the drawing asks dot for few network-simplex iterations (nslimit) against hubs that the graph itself has.

RUN = "\x00run"  # tag of a scope that stands for a merged run of sibling modules (no module tag starts so)


class _Plan:
    """What to draw: each value's (possibly rewritten) scope and merge key, counts per key, notes."""

    def __init__(self, scopes: dict[Value, tuple[str, ...]], keys: dict[Value, tuple | None],
                 runs: dict[str, str], notes: list[str]) -> None:
        self.scopes, self.keys, self.runs, self.notes = scopes, keys, runs, notes
        self.counts = Counter(k for k in keys.values() if k is not None)


OPS, FLAT = -1, -2  # merge depths below the module levels: repeated ops per module, then repeated ops anywhere


def _plan(nodes: list[Value], root: Value, scopes: dict[Value, tuple[str, ...]], max_nodes: int,
          max_clusters: int | None, collapse_modules: bool, collapse: frozenset[str] = frozenset(),
          repeats: int | None = None) -> _Plan:
    """The least merging that brings the drawing under both caps (``max_clusters`` None: no clusters drawn).

    First what was asked for: repeated sibling modules after the first ``repeats`` as one node, modules of the
    classes in ``collapse`` as one node each. Then tried in order: modules below depth d as one node each (d from
    the deepest level up to 1); the same with the middle of each long run of sibling modules merged; the
    top-level modules as one node each; repeated ops per module; repeated ops anywhere (always small: one node
    per kind of op and of leaf).
    """
    asked: list[str] = []
    runs0: dict[str, str] = {}
    if repeats is not None:
        scopes, runs0, asked = _merge_runs(nodes, scopes, keep=repeats)
    if collapse:
        scopes, shut = _collapse_classes(nodes, scopes, collapse)
        runs0.update(shut)
        if shut:
            asked.append(f"modules of class {', '.join(sorted(collapse))} are drawn as one node each")
    plan = _plan_caps(nodes, root, scopes, max_nodes, max_clusters, collapse_modules, runs0)
    plan.runs = {**runs0, **plan.runs}
    plan.notes = [*plan.notes, *asked] if plan.notes else asked
    return plan


def _collapse_classes(nodes: list[Value], scopes: dict[Value, tuple[str, ...]], classes: frozenset[str]
                      ) -> tuple[dict[Value, tuple[str, ...]], dict[str, str]]:
    """Scopes with every module of a class in ``classes`` (its outermost one) replaced by a merged scope."""
    out, labels = {}, {}
    for v, s in scopes.items():
        for i, tag in enumerate(s):
            if tag.rpartition(":")[2] in classes and not tag.startswith(RUN):
                merged = f"{RUN}c{tag}"  # one merged node per module (the tag names it within its parent)
                labels[merged] = f"<B>{esc(_scope_name(tag))}</B>"
                s = s[:i] + (merged,)
                break
        out[v] = s
    return out, labels


def _plan_caps(nodes: list[Value], root: Value, scopes: dict[Value, tuple[str, ...]], max_nodes: int,
               max_clusters: int | None, collapse_modules: bool, asked: dict[str, str]) -> _Plan:
    """``_plan`` once what was asked for is merged (``asked``: its run tags, not to be merged again)."""
    ops = sum(1 for v in nodes if v.parents)
    deepest = max((len(s) for s in scopes.values()), default=0)
    keys, drawn, placed = _keys(nodes, root, scopes, deepest) if asked else (
        dict.fromkeys(nodes), len(nodes) + ops, set(scopes.values()))
    exceeded = drawn > max_nodes or _cluster_count(placed, max_clusters) > (max_clusters or 0)
    if not exceeded and (not collapse_modules or deepest == 0):
        return _Plan(scopes, keys, {}, [])
    over = (f"{len(nodes)} values and {ops} ops exceed the cap of {max_nodes} nodes"
            + (f" or {max_clusters} module boxes" if max_clusters else "") + ": ")
    run_scopes, runs, run_notes = _merge_runs(nodes, scopes, skip=asked)
    top = min(1, deepest - 1) if collapse_modules else deepest  # collapse: the children of top-level modules
    attempts = [(scopes, d, list[str]()) for d in range(top, 0 if top else -1, -1)]
    if runs:
        attempts += [(run_scopes, d, run_notes) for d in range(max(len(s) for s in run_scopes.values()), 0, -1)]
    attempts += [(run_scopes, 0, run_notes), (run_scopes, OPS, run_notes), (run_scopes, FLAT, [])]
    for use, depth, notes in attempts:
        keys, drawn, placed = _keys(nodes, root, use, depth)
        if drawn > max_nodes or _cluster_count(placed, max_clusters) > (max_clusters or 0):
            if depth != FLAT:
                continue
        if not exceeded:
            return _Plan(use, keys, runs, notes)  # collapse_modules asked for it: no need to say why
        how = {OPS: ["repeated ops and leaves are merged per module (count shown)"],
               FLAT: ["repeated ops and leaves are merged (count shown), modules not drawn"],
               0: ["modules are drawn as one node each"]}.get(depth, [])
        if not how and depth < max(len(s) for s in use.values()):
            how = [f"modules below depth {depth} are drawn as one node each"]
        lines = how + notes or ["drawn in full"]
        lines[0] = over + lines[0]
        return _Plan({v: () for v in nodes} if depth == FLAT else use, keys, runs, lines)
    raise AssertionError("unreachable: the last attempt always returns")


def _keys(nodes: list[Value], root: Value, use: dict[Value, tuple[str, ...]], depth: int
          ) -> tuple[dict[Value, tuple | None], int, set[tuple[str, ...]]]:
    """Each value's merge key at ``depth``, how many nodes that draws, and the scopes the nodes are placed in."""
    keys = {v: _merge_key(v, use[v], depth, root) for v in nodes}
    counts = Counter(keys.values())  # merged ops or leaves that are alone in their group are drawn as themselves
    keys = {v: k if k is None or k[0] == "module" or counts[k] > 1 else None for v, k in keys.items()}
    drawn = len({k for k in keys.values() if k is not None}) + sum(
        1 + bool(v.parents) for v, k in keys.items() if k is None)
    placed: set[tuple[str, ...]] = {()} if depth == FLAT else {
        (k[1][:-1] if k and k[0] == "module" else use[v]) for v, k in keys.items()}
    return keys, drawn, placed


def _cluster_count(scopes: Iterable[tuple[str, ...]], max_clusters: int | None) -> int:
    """How many module boxes (clusters) the scopes make: one per prefix of a scope (0 when none are drawn)."""
    if max_clusters is None:
        return 0
    return len({s[:i] for s in set(scopes) for i in range(1, len(s) + 1)})


def _merge_key(v: Value, scope: tuple[str, ...], depth: int, root: Value) -> tuple | None:
    """Which merged node ``v`` goes into at ``depth`` (None: drawn on its own)."""
    if v is root:
        return None
    for i, tag in enumerate(scope):
        if tag.startswith(RUN) and depth != FLAT:
            return ("module", scope[: i + 1])  # a run of modules is always one node
    if depth >= 0:
        return ("module", scope[: depth + 1]) if len(scope) > depth else None
    where = scope if depth == OPS else ()
    return ("ops", where, v.op) if v.parents else ("leaves", where, v.requires_grad)


def _merge_runs(nodes: list[Value], scopes: dict[Value, tuple[str, ...]], keep: int | None = None,
                skip: Iterable[str] = ()) -> tuple[dict[Value, tuple[str, ...]], dict[str, str], list[str]]:
    """Scopes with the middle of each run of more than 3 sibling modules replaced by one run scope.

    With ``keep``: each run of more than ``keep`` + 1 consecutive repeated siblings (same class, same ops on
    same shapes: a transformer's blocks, a layer's neurons) keeps its first ``keep`` modules, the rest become
    the run. Tags in ``skip`` (runs merged before) are left alone. Returns the new scopes, each run's label
    (HTML, escaped) and a note per run.
    """
    children: dict[tuple[str, ...], dict[str, None]] = defaultdict(dict)  # parent -> child tags, computed first first
    content: dict[tuple[str, ...], list[tuple[str, tuple[int, ...]]]] = defaultdict(list)  # scope -> (op, shape)s
    for v in sorted(nodes, key=lambda v: not v.parents):  # ops in the order computed, then leaves (stable sort)
        s = scopes[v]
        for i in range(len(s)):
            children[s[:i]].setdefault(s[i])
            if keep is not None:
                content[s[: i + 1]].append((v.op, np.shape(v.data)))
    merged: dict[tuple[str, ...], str] = {}  # scope of a merged child -> its run tag
    runs: dict[str, str] = {}
    notes: list[str] = []
    skip = set(skip)
    for parent, tags in children.items():
        same = {t: (t.rpartition(":")[2], tuple(content[parent + (t,)])) for t in tags} if keep is not None else {}
        for middle in _runs_of(list(tags), keep, skip, same):
            _name_run(parent, middle, f"{RUN}{'k' if keep else ''}{len(runs)}", merged, runs, notes)
    if not merged:
        return scopes, {}, []
    out = {}
    for v, s in scopes.items():
        for i in range(1, len(s) + 1):
            if s[:i] in merged:
                s = s[: i - 1] + (merged[s[:i]],)
                break
        out[v] = s
    return out, runs, notes


def _runs_of(order: list[str], keep: int | None, skip: set[str], same: dict[str, Any]) -> list[list[str]]:
    """The sibling tags to merge: the middle of a long list (``keep`` None), or each repeated run after ``keep``.

    ``same``: each tag's class and content; siblings repeat each other when theirs are equal.
    """
    order = [t for t in order if t not in skip]
    if keep is None:
        return [order[1:-1]] if len(order) > 3 else []
    found, start = [], 0
    for i in range(1, len(order) + 1):
        if i == len(order) or same[order[i]] != same[order[start]]:
            if i - start > keep + 1:  # (one module alone is no run: it stays as it is)
                found.append(order[start + keep:i])
            start = i
    return found


def _name_run(parent: tuple[str, ...], middle: list[str], tag: str, merged: dict[tuple[str, ...], str],
              runs: dict[str, str], notes: list[str]) -> None:
    """Record the run ``middle`` of ``parent``'s children as the one scope ``tag``, with its label and note."""
    classes = Counter(t.rpartition(":")[2] for t in middle)
    kinds = ", ".join(f"{n} × {c}" for c, n in classes.most_common(3)) + (", …" if len(classes) > 3 else "")
    first, last = (t.rpartition(":")[0] or t for t in (middle[0], middle[-1]))
    runs[tag] = f"<B>{esc(first, 20)} … {esc(last, 20)}</B><BR/>{esc(kinds, 80)}"
    where = _scope_name(parent[-1]) if parent else "the top level"
    notes.append(f"modules {clip(first, 20)} to {clip(last, 20)} of {clip(where, 40)} ({clip(kinds, 60)}) "
                 "are drawn as one node")
    for t in middle:
        merged[parent + (t,)] = tag


def _emit_clusters(dot: Any, clusters: dict[tuple[str, ...], list], computed: dict[tuple[str, ...], int]) -> None:
    """Nested subgraphs, one per module scope, siblings in the order they were computed, built without recursion."""
    all_scopes: dict[tuple[str, ...], None] = {}
    for scope in clusters:
        for i in range(1, len(scope) + 1):
            all_scopes.setdefault(scope[:i])
    children: dict[tuple[str, ...], list[tuple[str, ...]]] = defaultdict(list)
    for scope in sorted(all_scopes, key=lambda s: computed.get(s, len(computed) + 1)):
        children[scope[:-1]].append(scope)
    graphs: dict[tuple[str, ...], Any] = {(): dot}
    order: list[tuple[str, ...]] = []  # scopes, parents before children
    stack: list[tuple[str, ...]] = [()]
    while stack:
        scope = stack.pop()
        order.append(scope)
        stack.extend(reversed(children.get(scope, [])))
    import graphviz

    for scope in order[1:]:
        graphs[scope] = graphviz.Digraph(name=f"cluster_{len(graphs)}")
        graphs[scope].attr(label=f"<<I>{esc(_scope_name(scope[-1]))}</I>>", style="rounded,dashed", color="#888888",
                           fontsize="10")
    for scope in order:
        for node_id, attrs in clusters.get(scope, []):
            graphs[scope].node(node_id, **attrs)
    for scope in reversed(order):  # attach children to parents, in module order, each child complete first
        for child in children.get(scope, []):
            graphs[scope].subgraph(graphs[child])


GRAD_SCALE = (1e-8, 1e-4, 1.0, 1e4, 1e8)  # the |grad| magnitudes the legend shows with --grad-colors


def _legend(dot: Any, grad_colors: bool, tensors: bool = False) -> None:
    """The legend: what the colours mean (kinds of value, or the |grad| scale) and how tensor nodes read."""
    swatch = '<TR><TD BGCOLOR="{}">&#160;&#160;&#160;</TD><TD ALIGN="LEFT">{}</TD></TR>'
    if grad_colors:  # the fill is the |grad| scale; only values without a gradient keep their kind's colour
        rows = "".join(swatch.format(_scale_color(m), f"mean |grad| {fmt(m)}"
                                     + {1e-8: " or less (vanishing)", 1e8: " or more (exploding)"}.get(m, ""))
                       for m in GRAD_SCALE)
        rows += swatch.format("#ff00ff", "nan or inf in the gradient")
        rows += swatch.format(COLORS["constant"], "no gradient: colour of its kind (grey: constant / data)")
    else:
        rows = "".join(swatch.format(COLORS[k], esc(name)) for k, name in KIND_NAMES.items())
    rows += '<TR><TD>( op )</TD><TD ALIGN="LEFT">operation; edges run from inputs to outputs</TD></TR>'
    if tensors:
        rows += ('<TR><TD>a / b / c</TD><TD ALIGN="LEFT">tensor data and grad: min / mean / max of its entries'
                 '</TD></TR>')
    dot.node("legend", label=f'<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3">{rows}</TABLE>>',
             shape="none", fontsize="9")


def draw_dot(root: Value, format: str = "svg", rankdir: str = "auto", interactive: bool = False) -> Any:
    """micrograd's name: ``draw_graph`` with micrograd's arguments; ``interactive=True``: the step-through page."""
    if interactive:  # (in Jupyter it displays as the page of viz_page, in an iframe)
        from .viz_page import show

        return show(root, rankdir=rankdir)
    dot = draw_graph(root, rankdir=rankdir)
    dot.format = format
    return dot


def render(dot: graphviz.Digraph, path: str | os.PathLike[str], format: str | None = None) -> str:
    """Write ``dot`` to ``path`` as svg, png, pdf or dot (by ``format`` or the file's extension)."""
    import graphviz

    if not isinstance(dot, graphviz.Digraph | graphviz.Graph):
        raise DataError(f"render: expected the drawing that draw_graph returns (a graphviz.Digraph), got "
                        f"{type(dot).__name__}; call render(draw_graph(value), path)")
    path = os.fspath(path)
    fmt_ = (format or os.path.splitext(path)[1].lstrip(".") or "svg").lower()
    if fmt_ not in graphviz.FORMATS:
        raise ArgumentError(f"render: unknown format {fmt_!r} (from {'format' if format else 'the file name'} "
                            f"{format or path!r}); use svg, png, pdf or dot, or another of Graphviz's formats")
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    if fmt_ in ("dot", "gv"):
        with open(path, "w", encoding="utf-8") as f:
            f.write(dot.source)
        return path
    try:
        data = dot.pipe(format=fmt_)
    except graphviz.ExecutableNotFound:
        raise GraphvizNotFoundError(
            f"render: drawing {fmt_.upper()} needs Graphviz's 'dot' program, which is not installed. Install it "
            "with 'apt-get install graphviz' (Debian/Ubuntu), 'brew install graphviz' (macOS) or 'conda install "
            "graphviz', or save the source instead with format='dot'."
        ) from None
    except graphviz.CalledProcessError as e:  # a format Graphviz knows of but this dot was built without
        said = (e.stderr or b"").decode("utf-8", "replace").strip().splitlines()
        raise ArgumentError(f"render: this system's dot cannot write {fmt_!r} ({clip(said[0] if said else e, 120)}); "
                            "use svg, png, pdf or dot") from None
    with open(path, "wb") as f:
        f.write(data)
    return path


def to_html(root: Value, path: str | os.PathLike[str] | None = None, **options: Any) -> str:
    """The interactive page of ``root``'s graph (forward and backward step by step): ``viz_page.to_html``."""
    from .viz_page import to_html as page

    return page(root, path, **options)
