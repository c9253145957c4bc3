"""Run the benchmarks and print the table of times and ratios; only --write also updates benchmarks/README.md.

    python -m benchmarks            # full run, prints the table (writes no file)
    python -m benchmarks --write    # full run, prints the table, writes it into benchmarks/README.md and
                                    # draws it in docs/images/benchmarks.svg
    python -m benchmarks --quick    # tiny sizes, one repeat: checks that every case still runs
    python -m benchmarks --only busy_neighbour --write   # one case; its rows replace only its own in the table

Every peer runs in the same process (the deep chains in one subprocess per
size and engine, for a clean peak-memory reading). Ratios are tinygrad_edu's
time over the peer's: below 1 means tinygrad_edu is faster.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import re
import sys
import time
from pathlib import Path

import numpy as np

from . import peers, picture, targets
from .cases import CASES

README = Path(__file__).resolve().parent / "README.md"
BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"


def machine() -> list[str]:
    """Lines describing the machine, the versions and the thread settings."""
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = [f"Python {platform.python_version()}", f"NumPy {np.__version__}"]
    for name in ("torch", "micrograd"):
        try:
            module = __import__(name)
            versions.append(f"{name} {getattr(module, '__version__', 'installed')}")
        except ImportError:
            versions.append(f"{name} not installed")
    versions += peers.versions()
    blas = "unknown BLAS"
    try:
        config = np.show_config(mode="dicts")
        info = config.get("Build Dependencies", {}).get("blas", {})
        blas = f"{info.get('name', '?')} {info.get('version', '')}".strip()
    except (TypeError, AttributeError):
        pass
    threads = {k: v for k, v in os.environ.items() if k.endswith("_NUM_THREADS") or k.startswith("OPENBLAS_")}
    return [
        f"- machine: {cpu}, {os.cpu_count()} cores, {platform.system()} {platform.machine()}",
        f"- software: {', '.join(versions)}; BLAS: {blas}",
        f"- thread settings: {threads or 'none set (BLAS and PyTorch use every core)'}; {peers.threads()}",
        f"- date: {datetime.date.today().isoformat()}",
    ]


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    return f"{value:.3g} {unit}" if value < 100 else f"{value:.0f} {unit}"


def table(rows: list[dict]) -> list[str]:
    """Markdown: one line per (case, engine), with the ratio of tinygrad_edu's value to this engine's."""
    lines = ["| case | engine | median | IQR | tinygrad_edu / this | note |", "|---|---|---|---|---|---|"]
    ours = {r["case"]: r["value"] for r in rows if r["engine"].startswith("tinygrad_edu")}
    for r in rows:
        mine = ours.get(r["case"])
        ratio = "" if r["engine"].startswith("tinygrad_edu") or mine is None or not r["value"] \
            else f"**{peers.ratio(mine / r['value'])}x**"
        iqr = f"{r['iqr']:.2g}" if r["iqr"] else ""
        lines.append(f"| {r['case']} | {r['engine']} | {_fmt(r['value'], r['unit'])} | {iqr} | {ratio} | {r['note']} |")
    return lines


def write_readme(lines: list[str], command: str) -> None:
    text = README.read_text(encoding="utf-8") if README.exists() else f"# Benchmarks\n\n{BEGIN}\n{END}\n"
    block = "\n".join([BEGIN, f"Made by `{command}`:", "", *lines, END])
    README.write_text(re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: block, text, flags=re.S),
                      encoding="utf-8")


def _number(line: str) -> str:
    """The case number of a table line: ``| 7. MLP step ... |`` -> ``7``."""
    return line.split("|")[1].strip().split(".")[0]


def _order(number: str) -> tuple[int, str]:
    """Sort key of a case number with an optional letter: ``9`` < ``9a`` < ``9b`` < ``10``."""
    digits = re.match(r"\d*", number).group()  # type: ignore[union-attr]
    return int(digits or 0), number[len(digits):]


def _load() -> str:
    """The 1, 5 and 15 minute load averages, e.g. ``0.31 0.74 0.79``."""
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def merge_readme(rows: list[dict], command: str, conditions: str = "") -> None:
    """Replace only the table rows of the cases in ``rows`` (a run with ``--only``), keeping every other row."""
    text = README.read_text(encoding="utf-8")
    old = re.search(re.escape(BEGIN) + "(.*?)" + re.escape(END), text, flags=re.S)
    if old is None:
        return write_readme(machine() + [""] + table(rows), command)
    numbers = {r["case"].split(".")[0] for r in rows}
    label = ", ".join(sorted(numbers, key=_order))
    kept = [line for line in old.group(1).strip("\n").splitlines()
            if not (line.startswith("| ") and _number(line) in numbers and not line.startswith("| case |"))
            and not line.startswith(f"- case {label}: ")]
    head = [line for line in kept if not line.startswith("|")]
    body = [line for line in kept if line.startswith("|")]
    new = table(rows)[2:]
    at = len(body)
    for i, line in enumerate(body[2:], start=2):  # after the rows of the cases numbered below the new ones
        if _order(_number(line)) > _order(min(numbers, key=_order)):
            at = i
            break
    body[at:at] = new
    while head and head[-1] == "":
        head.pop()
    stamp = machine()
    head.append(f"- case {label}: re-run alone with `{command}` on {stamp[-1].split(': ')[1]}; "
                f"{stamp[2][2:]}{conditions}")
    block = "\n".join([BEGIN, *head, "", *body, END])
    README.write_text(text[:old.start()] + block + text[old.end():], encoding="utf-8")


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny sizes and one repeat")
    parser.add_argument("--write", action="store_true", help="also write the table into benchmarks/README.md")
    parser.add_argument("--only", help="run only cases whose function name contains this text")
    args = parser.parse_args(argv)
    rows: list[dict] = []
    load_before, start = _load(), time.perf_counter()
    for case in CASES:
        if args.only and args.only not in case.__name__:
            continue
        print(f"running {case.__name__} ...", file=sys.stderr, flush=True)
        rows.extend(case(args.quick))
    minutes = (time.perf_counter() - start) / 60
    conditions = (f"; load average (1, 5, 15 min) {load_before} at the start, {_load()} at the end "
                  f"({os.cpu_count()} cores); run time {minutes:.1f} min")
    lines = machine() + [f"- conditions: {conditions[2:]}", ""] + table(rows)
    print("\n".join(lines))
    if args.write:
        command = "python -m benchmarks" + (f" --only {args.only}" if args.only else "") + " --write" \
            + (" --quick" if args.quick else "")
        if args.only:
            merge_readme(rows, command, conditions)
        else:
            write_readme(lines, command)
        text = README.read_text(encoding="utf-8")
        block = text.split(BEGIN)[1].split(END)[0]
        README.write_text(targets.fill(text, block.splitlines()), encoding="utf-8")  # the targets' sentences
        print(f"wrote {README} and {picture.write(block.splitlines())}", file=sys.stderr)
    return rows
