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
from collections.abc import Collection
from typing import TYPE_CHECKING, Any

import numpy as np

from .autograd import walk
from .engine import Value, raw
from .errors import ArgumentError, DataError, TinygradEduError
from .viz_merge import clip, plan, scope_name

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
    # a leaf made outside any forward and used in one module only (a parameter) inside that module; a number (not
    # a batch) made inside a module's forward (attention's -inf mask fill) and used only there stays in that module
    users: dict[Value, set[tuple[str, ...]]] = defaultdict(set)
    for v in nodes:
        for p in v.parents:
            if not p.parents:
                users[p].add(v.scope)
    home: dict[Value, tuple[str, ...]] = {}
    for p, where in users.items():
        if not p.requires_grad:
            home[p] = p.scope if p.scope and where == {p.scope} and np.size(p.data) == 1 else ()
        elif not p.scope:
            home[p] = next(iter(where)) if len(where) == 1 else ()
    merging = plan(nodes, root, {v: home.get(v, v.scope) for v in nodes}, max_nodes, max_clusters if group else None,
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
    label_lines += [esc(n, 200) for n in merging.notes]
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
        scope = merging.scopes[v]
        key = merging.keys[v]
        if key is not None:
            if key not in merged:
                merged[key] = f"m{len(merged)}"
                n = merging.counts[key]
                if key[0] == "module":
                    title, kinds = merging.runs.get(key[1][-1]) or (scope_name(key[1][-1]), "")
                    name = f"<B>{esc(title)}</B>" + (f"<BR/>{esc(kinds, 80)}" if kinds else "")
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
            scope = merging.scopes[v]
            for j in range(1, len(scope) + 1):
                computed.setdefault(scope[:j], i)
    _emit_clusters(dot, clusters, computed)
    for (a, b), n in edges.items():
        dot.edge(a, b, label=f"×{n}" if n > 1 and (a.startswith("m") or b.startswith("m")) else "")
    if legend:
        _legend(dot, grad_colors, any(np.size(v.data) > 1 for v in nodes if merging.keys[v] is None))
    return dot


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
        graphs[scope].attr(label=f"<<I>{esc(scope_name(scope[-1]))}</I>>", style="rounded,dashed", color="#888888",
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
