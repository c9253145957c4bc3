"""A small training run that checkpoints as it goes and resumes from its checkpoint: the subject of test_checkpoint.py.

``tensor``: a 20-16-3 MLP on synthetic data, Adam, a cosine schedule stepped every batch, batches shuffled
by the library's generator, dropout drawn from the same generator. ``scalar``: micrograd's ``MLP`` with
SGD and momentum, its mini-batches sampled with Python's ``random``. Either writes the final state
(model, optimizer, random state) to ``--out`` when it reaches ``--steps``.

Run:  python tests/resume_job.py tensor --steps 300 --checkpoint ck.safetensors --every 7 --out final.safetensors
"""

from __future__ import annotations

import argparse
import os
import random
import time
from typing import Any

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import Value, datasets, nn, optim
from tinygrad_edu.nn import functional as F
from tinygrad_edu.random import default_generator


class Net(nn.Module):
    """20 -> 16 -> ReLU -> dropout(0.2) -> 3, initialised from the library's generator."""

    def __init__(self) -> None:
        self.fc1, self.fc2 = nn.Linear(20, 16), nn.Linear(16, 3)

    def forward(self, x: np.ndarray) -> Value:
        h = self.fc1(x).relu()
        keep = default_generator().random(h.shape) >= 0.2  # inverted dropout: keep with p = 0.8, scale by 1/0.8
        return self.fc2(h * (keep / np.float32(0.8)).astype(np.float32))


def tensor_run(args: argparse.Namespace) -> dict[str, Any]:
    data = np.random.default_rng(123)
    x = data.standard_normal((100, 20)).astype(np.float32)
    y = np.argmax(x[:, :3] + 0.5 * x[:, 3:6], axis=1)
    tg.manual_seed(0)
    model = Net()
    opt = optim.Adam(model.parameters(), lr=1e-2)
    schedule = optim.CosineAnnealingLR(opt, T_max=args.steps)
    step, epoch, position = 0, 0, None
    if args.checkpoint and os.path.exists(args.checkpoint):
        ck = tg.load(args.checkpoint)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        schedule.load_state_dict(ck["scheduler"])
        tg.set_rng_state(ck["rng"])
        step, epoch, position = ck["step"], ck["epoch"], ck["batches"]
        print(f"resumed from {args.checkpoint} at step {step} (epoch {epoch}, batch {position['position']})",
              flush=True)
    while step < args.steps:
        batches = datasets.batches(x, y, 16)  # 7 batches an epoch, the last one of 4 rows
        if position is not None:
            batches.load_state_dict(position)
            position = None
        for xb, yb in batches:
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            schedule.step()
            step += 1
            if args.checkpoint and step % args.every == 0:
                tg.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "scheduler": schedule.state_dict(),
                         "rng": tg.get_rng_state(), "batches": batches.state_dict(), "step": step, "epoch": epoch},
                        args.checkpoint)
            report(step, args)
            if step == args.steps:
                break
        else:
            epoch += 1
    return {"model": model.state_dict(), "optimizer": opt.state_dict(), "rng": tg.get_rng_state()}


def scalar_run(args: argparse.Namespace) -> dict[str, Any]:
    data = random.Random(7)
    xs = [[data.uniform(-1, 1), data.uniform(-1, 1)] for _ in range(30)]
    ys = [1.0 if a * b > 0 else -1.0 for a, b in xs]
    tg.manual_seed(1)  # (seeds Python's random, which the scalar layers and the sampling below use)
    model = nn.MLP(2, [4, 4, 1])
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    step = 0
    if args.checkpoint and os.path.exists(args.checkpoint):
        ck = tg.load(args.checkpoint)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        tg.set_rng_state(ck["rng"])
        step = ck["step"]
        print(f"resumed from {args.checkpoint} at step {step}", flush=True)
    while step < args.steps:
        rows = random.sample(range(len(xs)), 4)
        loss = sum(((model(xs[i]) - ys[i]) ** 2 for i in rows), Value(0.0)) * 0.25
        opt.zero_grad()
        loss.backward()
        opt.step()
        step += 1
        if args.checkpoint and step % args.every == 0:
            tg.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "rng": tg.get_rng_state(),
                     "step": step}, args.checkpoint)
        report(step, args)
    return {"model": model.state_dict(), "optimizer": opt.state_dict(), "rng": tg.get_rng_state()}


class Stop(Exception):
    """Raised by ``report`` at ``--stop-at``: the run ends there as though it were killed."""


def report(step: int, args: argparse.Namespace) -> None:
    print(f"step {step}", flush=True)  # (the test reads these to pick its moments to kill)
    if step == args.stop_at:
        raise Stop
    if args.delay:
        time.sleep(args.delay)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kind", choices=["tensor", "scalar"])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--checkpoint", help="checkpoint file: written every --every steps, resumed from if present")
    parser.add_argument("--every", type=int, default=10)
    parser.add_argument("--out", required=True, help="where the final state is written")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds to sleep after each step")
    parser.add_argument("--stop-at", type=int, help="end after this step, with no final state (in-process tests)")
    args = parser.parse_args(argv)
    try:
        final = (tensor_run if args.kind == "tensor" else scalar_run)(args)
    except Stop:
        return
    tg.save(final, args.out)
    print("done", flush=True)


if __name__ == "__main__":
    main()
