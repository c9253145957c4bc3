"""Which parts of a computation graph a drawing merges into one node, so that any graph renders in seconds.

``plan(...)`` decides, for ``viz.draw_graph``, each value's scope (module path) and merge key: what was asked
for (repeated sibling modules after the first few, modules of some classes), then the least merging that
brings the drawing under its caps on nodes and module boxes. Only ``parents``, ``op``, ``data`` and
``requires_grad`` of a Value are read; nothing here draws.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

import numpy as np

from .engine import Value

__all__ = ["FLAT", "OPS", "RUN", "Plan", "clip", "plan", "scope_name"]


def clip(text: Any, limit: int = 60) -> str:
    """``str(text)`` cut to ``limit`` characters, an ellipsis marking the cut."""
    s = str(text)
    return s if len(s) <= limit else s[: limit - 1] + "\N{HORIZONTAL ELLIPSIS}"


def scope_name(tag: str) -> str:
    """A module's scope tag ``name:Class`` as it is shown: ``name (Class)``."""
    name, _, cls = tag.rpartition(":")
    return f"{name} ({cls})" if name else cls


# Merging. What makes dot slow, measured with dot 2.43 on 2 cores: not nodes as such (a chain of 2,000 nodes: 0.2 s;
# 2,000 one-node clusters: 1.6 s) but edges that span many ranks, which dot replaces by chains of virtual nodes: one
# node feeding each of 150 chained nodes takes 26 s (minutes from 200 on). The old merging made such a hub (every
# parameter of a 2,000-layer Sequential in one node, feeding 2,000 clusters: over 300 s). So merging never pools
# values from different modules, long runs of sibling modules become one node (in -> run -> out: no long edges), and
# the drawing asks dot for few network-simplex iterations (nslimit) against hubs that the graph itself has.

RUN = "\x00run"  # tag of a scope that stands for a merged run of sibling modules (no module tag starts so)


class Plan:
    """What to draw: each value's (possibly rewritten) scope and merge key, counts per key, notes."""

    def __init__(self, scopes: dict[Value, tuple[str, ...]], keys: dict[Value, tuple | None],
                 runs: dict[str, tuple[str, str]], notes: list[str]) -> None:
        self.scopes, self.keys, self.runs, self.notes = scopes, keys, runs, notes
        self.counts = Counter(k for k in keys.values() if k is not None)


OPS, FLAT = -1, -2  # merge depths below the module levels: repeated ops per module, then repeated ops anywhere


def plan(nodes: list[Value], root: Value, scopes: dict[Value, tuple[str, ...]], max_nodes: int,
          max_clusters: int | None, collapse_modules: bool, collapse: frozenset[str] = frozenset(),
          repeats: int | None = None) -> Plan:
    """The least merging that brings the drawing under both caps (``max_clusters`` None: no clusters drawn).

    First what was asked for: repeated sibling modules after the first ``repeats`` as one node, modules of the
    classes in ``collapse`` as one node each. Then tried in order: modules below depth d as one node each (d from
    the deepest level up to 1); the same with the middle of each long run of sibling modules merged; the
    top-level modules as one node each; repeated ops per module; repeated ops anywhere (always small: one node
    per kind of op and of leaf).
    """
    asked: list[str] = []
    runs0: dict[str, tuple[str, str]] = {}
    if repeats is not None:
        scopes, runs0, asked = _merge_runs(nodes, scopes, keep=repeats)
    if collapse:
        scopes, shut = _collapse_classes(nodes, scopes, collapse)
        runs0.update(shut)
        if shut:
            asked.append(f"modules of class {', '.join(sorted(collapse))} are drawn as one node each")
    found = _plan_caps(nodes, root, scopes, max_nodes, max_clusters, collapse_modules, runs0)
    found.runs = {**runs0, **found.runs}
    found.notes = [*found.notes, *asked] if found.notes else asked
    return found


def _collapse_classes(nodes: list[Value], scopes: dict[Value, tuple[str, ...]], classes: frozenset[str]
                      ) -> tuple[dict[Value, tuple[str, ...]], dict[str, tuple[str, str]]]:
    """Scopes with every module of a class in ``classes`` (its outermost one) replaced by a merged scope."""
    out, labels = {}, {}
    for v, s in scopes.items():
        for i, tag in enumerate(s):
            if tag.rpartition(":")[2] in classes and not tag.startswith(RUN):
                merged = f"{RUN}c{tag}"  # one merged node per module (the tag names it within its parent)
                labels[merged] = (scope_name(tag), "")
                s = s[:i] + (merged,)
                break
        out[v] = s
    return out, labels


def _plan_caps(nodes: list[Value], root: Value, scopes: dict[Value, tuple[str, ...]], max_nodes: int,
               max_clusters: int | None, collapse_modules: bool, asked: dict[str, tuple[str, str]]) -> Plan:
    """``plan`` once what was asked for is merged (``asked``: its run tags, not to be merged again)."""
    ops = sum(1 for v in nodes if v.parents)
    deepest = max((len(s) for s in scopes.values()), default=0)
    keys, drawn, placed = _keys(nodes, root, scopes, deepest) if asked else (
        dict.fromkeys(nodes), len(nodes) + ops, set(scopes.values()))
    exceeded = drawn > max_nodes or _cluster_count(placed, max_clusters) > (max_clusters or 0)
    if not exceeded and (not collapse_modules or deepest == 0):
        return Plan(scopes, keys, {}, [])
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
            return Plan(use, keys, runs, notes)  # collapse_modules asked for it: no need to say why
        how = {OPS: ["repeated ops and leaves are merged per module (count shown)"],
               FLAT: ["repeated ops and leaves are merged (count shown), modules not drawn"],
               0: ["modules are drawn as one node each"]}.get(depth, [])
        if not how and depth < max(len(s) for s in use.values()):
            how = [f"modules below depth {depth} are drawn as one node each"]
        lines = how + notes or ["drawn in full"]
        lines[0] = over + lines[0]
        return Plan({v: () for v in nodes} if depth == FLAT else use, keys, runs, lines)
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
                skip: Iterable[str] = ()) -> tuple[dict[Value, tuple[str, ...]], dict[str, tuple[str, str]], list[str]]:
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
    runs: dict[str, tuple[str, str]] = {}
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
              runs: dict[str, tuple[str, str]], notes: list[str]) -> None:
    """Record the run ``middle`` of ``parent``'s children as the one scope ``tag``, with its label and note."""
    classes = Counter(t.rpartition(":")[2] for t in middle)
    kinds = ", ".join(f"{n} × {c}" for c, n in classes.most_common(3)) + (", …" if len(classes) > 3 else "")
    first, last = (t.rpartition(":")[0] or t for t in (middle[0], middle[-1]))
    runs[tag] = (f"{clip(first, 20)} … {clip(last, 20)}", kinds)
    where = scope_name(parent[-1]) if parent else "the top level"
    notes.append(f"modules {clip(first, 20)} to {clip(last, 20)} of {clip(where, 40)} ({clip(kinds, 60)}) "
                 "are drawn as one node")
    for t in middle:
        merged[parent + (t,)] = tag
