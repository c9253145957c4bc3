"""Run the benchmarks and print the table of times and ratios; only --write also updates benchmarks/README.md.

    python -m benchmarks            # full run, prints the table (writes no file)
    python -m benchmarks --write    # full run, prints the table and writes it into benchmarks/README.md
    python -m benchmarks --quick    # tiny sizes, one repeat: checks that every case still runs

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
from pathlib import Path

import numpy as np

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
        f"- thread settings: {threads or 'none set (BLAS and PyTorch use every core)'}",
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
            else f"**{mine / r['value']:.2f}x**"
        iqr = f"{r['iqr']:.2g}" if r["iqr"] else ""
        lines.append(f"| {r['case']} | {r['engine']} | {_fmt(r['value'], r['unit'])} | {iqr} | {ratio} | {r['note']} |")
    return lines


def write_readme(lines: list[str], command: str) -> None:
    text = README.read_text(encoding="utf-8") if README.exists() else f"# Benchmarks\n\n{BEGIN}\n{END}\n"
    block = "\n".join([BEGIN, f"Made by `{command}`:", "", *lines, END])
    README.write_text(re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: block, text, flags=re.S),
                      encoding="utf-8")


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny sizes and one repeat")
    parser.add_argument("--write", action="store_true", help="also write the table into benchmarks/README.md")
    parser.add_argument("--only", help="run only cases whose function name contains this text")
    args = parser.parse_args(argv)
    rows: list[dict] = []
    for case in CASES:
        if args.only and args.only not in case.__name__:
            continue
        print(f"running {case.__name__} ...", file=sys.stderr, flush=True)
        rows.extend(case(args.quick))
    lines = machine() + [""] + table(rows)
    print("\n".join(lines))
    if args.write:
        write_readme(lines, "python -m benchmarks --write" + (" --quick" if args.quick else ""))
    return rows
