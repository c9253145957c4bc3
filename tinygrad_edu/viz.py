"""Graphviz drawings of computation graphs, from one neuron to a whole network.

``draw_graph(root)`` returns a ``graphviz.Digraph``: a box per Value (label,
data and grad; for tensors shape, dtype and min/mean/max), an ellipse per op,
parameters, constants, intermediates and the output each in their own colour
with a legend, and the nodes made inside each module's forward drawn in a
cluster per module. Above ``max_nodes`` repeated structure is merged (the
picture says what was merged), so even a graph of thousands of scalar ops
renders in seconds. Only what a Value exposes is read: ``parents``, ``op``,
``op_args``, ``label``, ``data``, ``grad``, ``scope``, ``requires_grad``.

The DOT source needs nothing installed; SVG/PNG/PDF need Graphviz's ``dot``.
"""

from __future__ import annotations

import html
import math
import os
import re
from collections import Counter, defaultdict
from typing import TYPE_CHECKING, Any

import numpy as np

from .autograd import walk
from .engine import Value, raw
from .errors import ArgumentError, TinygradEduError

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


def _value_label(v: Value, kind: str, show_data: bool, show_grad: bool, fill: str) -> str:
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
        return _table_row(cells or ["&#160;"], fill)
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
    mag = float(np.mean(np.abs(np.asarray(raw(v.grad), dtype=np.float64))))
    t = 0.0 if mag == 0 else max(-1.0, min(1.0, math.log10(mag) / 8))
    if t < 0:
        r = g = int(255 * (1 + t))
        return f"#{r:02x}{g:02x}ff"
    gb = int(255 * (1 - t))
    return f"#ff{gb:02x}{gb:02x}"


def _scope_name(tag: str) -> str:
    name, _, cls = tag.rpartition(":")
    return f"{name} ({cls})" if name else cls


def draw_graph(
    root: Value,
    *,
    rankdir: str = "LR",
    show_data: bool = True,
    show_grad: bool = True,
    max_nodes: int = 400,
    group: bool = True,
    collapse_modules: bool = False,
    grad_colors: bool = False,
    legend: bool = True,
    title: str | None = None,
    node_ids: dict[Value, str] | None = None,
) -> graphviz.Digraph:
    """Draw the graph that produced ``root`` as a ``graphviz.Digraph``.

    ``node_ids``, if given, is filled with each Value's node name in the drawing (``v3``; its op is ``v3op``;
    ``m0`` for a merged group); the names are the ``<title>`` of the nodes in Graphviz's SVG.

    >>> from tinygrad_edu import Value
    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> d = draw_graph(a * b)
    >>> "a" in d.source and "*" in d.source
    True
    """
    import graphviz

    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise ArgumentError(f"draw_graph: rankdir must be LR, TB, RL or BT, got {rankdir!r}")
    nodes = walk(root)
    drawn_ops = sum(1 for v in nodes if v.parents)
    depth = None  # scope depth at which modules are merged into single nodes (None: draw every node)
    notes = []
    if collapse_modules:
        depth = 1
    elif len(nodes) + drawn_ops > max_nodes:
        depth = _merge_depth(nodes, max_nodes)
        notes.append(
            f"{len(nodes)} values and {drawn_ops} ops exceed the cap of {max_nodes} nodes: "
            + (f"modules below depth {depth} are drawn as one node each" if depth else
               "repeated ops are merged per module (count shown)")
        )

    dot = graphviz.Digraph(graph_attr={"rankdir": rankdir, "fontname": "Helvetica", "fontsize": "11"},
                           node_attr={"fontname": "Helvetica", "fontsize": "10"},
                           edge_attr={"arrowsize": "0.6"})
    label_lines = [esc(title, 120)] if title else []
    label_lines += [esc(n, 200) for n in notes]
    if label_lines:
        dot.attr(label="<" + "<BR/>".join(label_lines) + ">", labelloc="t")

    clusters: dict[tuple[str, ...], list[tuple[str, dict[str, str]]]] = defaultdict(list)  # scope -> nodes
    edges: Counter[tuple[str, str]] = Counter()
    ids: dict[Value, str] = {} if node_ids is None else node_ids
    merged: dict[Any, str] = {}  # merge key -> node id

    def place(scope: tuple[str, ...], node_id: str, **attrs: str) -> None:
        clusters[scope if group else ()].append((node_id, attrs))

    home: dict[Value, tuple[str, ...]] = {}  # leaves made outside any forward (parameters) go to their first user
    for v in nodes:
        for p in v.parents:
            if not p.parents and not p.scope and p not in home:
                home[p] = v.scope
    def merge_key(v: Value) -> tuple | None:
        """Which merged node ``v`` goes into (None: drawn on its own)."""
        scope = home.get(v, v.scope)
        if depth is None or v is root:
            return None
        if depth > 0 and len(scope) > depth:
            return ("module", scope[: depth + 1])  # everything inside this module
        if depth == 0 and v.parents:
            return ("ops", scope, v.op)  # no modules to merge: same ops in the same scope
        if depth == 0 and scope:
            return ("module", scope[:1])
        return None

    keys = {v: merge_key(v) for v in nodes}
    counts = Counter(keys.values())
    for v in nodes:
        kind = _kind(v, root)
        scope = home.get(v, v.scope)
        key = keys[v]
        if key is not None:
            if key not in merged:
                merged[key] = f"m{len(merged)}"
                if key[0] == "module":
                    label = f"<<B>{esc(_scope_name(key[1][-1]))}</B><BR/>{counts[key]} values merged>"
                    place(key[1][:-1], merged[key], label=label, shape="box3d", style="filled", fillcolor="#f2f0f7")
                else:
                    place(scope, merged[key], label=f"<{esc(v.op)} ×{counts[key]}>", shape="box3d", style="filled",
                          fillcolor="#f2f0f7")
            ids[v] = merged[key]
            continue
        node_id = f"v{len(ids)}"
        ids[v] = node_id
        fill = (_grad_color(v) if grad_colors else None) or COLORS[kind]
        place(scope, node_id, label=_value_label(v, kind, show_data, show_grad, fill), shape="none", margin="0")
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

    _emit_clusters(dot, clusters)
    for (a, b), n in edges.items():
        dot.edge(a, b, label=f"×{n}" if n > 1 and (a.startswith("m") or b.startswith("m")) else "")
    if legend:
        _legend(dot, grad_colors)
    return dot


def _merge_depth(nodes: list[Value], max_nodes: int) -> int:
    """The deepest module depth whose merging brings the drawing under ``max_nodes`` (0: merge ops)."""
    deepest = max((len(v.scope) for v in nodes), default=0)
    for depth in range(deepest - 1, 0, -1):
        kept = sum(1 + bool(v.parents) for v in nodes if len(v.scope) <= depth)
        groups = len({v.scope[: depth + 1] for v in nodes if len(v.scope) > depth})
        if kept + groups <= max_nodes:
            return depth
    return 0


def _emit_clusters(dot: Any, clusters: dict[tuple[str, ...], list]) -> None:
    """Nested subgraphs, one per module scope, built without recursion."""
    all_scopes = set()
    for scope in clusters:
        for i in range(1, len(scope) + 1):
            all_scopes.add(scope[:i])
    children: dict[tuple[str, ...], list[tuple[str, ...]]] = defaultdict(list)
    for scope in sorted(all_scopes, key=lambda s: (len(s), s)):
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
    for scope in reversed(order[1:]):  # attach children to parents, deepest first
        graphs[scope[:-1]].subgraph(graphs[scope])


def _legend(dot: Any, grad_colors: bool) -> None:
    rows = "".join(
        f'<TR><TD BGCOLOR="{COLORS[k]}">&#160;&#160;&#160;</TD><TD ALIGN="LEFT">{esc(name)}</TD></TR>'
        for k, name in KIND_NAMES.items()
    )
    rows += '<TR><TD>( op )</TD><TD ALIGN="LEFT">operation; edges run from inputs to outputs</TD></TR>'
    if grad_colors:
        rows += ('<TR><TD BGCOLOR="#8080ff">&#160;</TD><TD ALIGN="LEFT">|grad| small (blue, 1e-8) ... '
                 'large (red, 1e8)</TD></TR>')
    dot.node("legend", label=f'<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3">{rows}</TABLE>>',
             shape="none", fontsize="9")


def draw_dot(root: Value, format: str = "svg", rankdir: str = "LR", interactive: bool = False) -> Any:
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
    with open(path, "wb") as f:
        f.write(data)
    return path


def to_html(root: Value, path: str | os.PathLike[str] | None = None, **options: Any) -> str:
    """The interactive page of ``root``'s graph (forward and backward step by step): ``viz_page.to_html``."""
    from .viz_page import to_html as page

    return page(root, path, **options)
