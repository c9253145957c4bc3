"""A tiny GPT learns to sort: six digits from {0, 1, 2} in, the same six in ascending order out.

The task is the toy problem of minGPT's sort demo, rewritten here: the model reads a sequence and then
writes it sorted, one token at a time, each token predicted from everything before it. For the input
2 0 1 1 0 2 the whole training sequence is

    2 0 1 1 0 2 | 0 0 1 1 2 2

The model sees its first 11 tokens and, at every position, is asked for the next one; only the six
predictions that write the sorted half count in the loss (the first half is random, nothing to learn).
At test time it gets six digits and writes the answer greedily, token by token, feeding back its own
outputs. There are only 3^6 = 729 different inputs: a quarter of them are held out, never trained on,
and the accuracy is measured on those (a sequence counts only when all six outputs are right).

The model is a decoder-only transformer, GPT's layout in miniature:

    token embedding + position embedding
    -> Block x n_layer:  x = x + attention(LayerNorm(x));  x = x + MLP(LayerNorm(x))
    -> LayerNorm -> Linear to one score per symbol

Run:  python examples/sort_transformer.py [--steps 1000] [--seed 0] [--out outputs/sort_gpt.safetensors]
"""

from __future__ import annotations

import argparse
import itertools
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

import tinygrad_edu as tg
from tinygrad_edu import nn, no_grad, optim, threads
from tinygrad_edu.nn import functional as F

LENGTH = 6  # digits to sort
SYMBOLS = 3  # the digits are 0, 1, 2
IGNORE = -1  # target at the positions whose prediction does not count (cross_entropy's ignore_index)


# ---- the data ---------------------------------------------------------------------------------------------
def all_inputs(length: int = LENGTH, symbols: int = SYMBOLS) -> np.ndarray:
    """Every sequence of ``length`` digits below ``symbols``: (symbols**length, length) int64."""
    return np.array(list(itertools.product(range(symbols), repeat=length)), dtype=np.int64)


def split(inputs: np.ndarray, held_out: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(training inputs, held-out inputs): a random ``held_out`` fraction of the rows is kept apart."""
    order = rng.permutation(len(inputs))
    n_test = int(round(held_out * len(inputs)))
    return inputs[order[n_test:]], inputs[order[:n_test]]


def make_batch(digits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Model inputs x and targets y for rows of digits: y is x shifted left by one, IGNORE on the first half.

    For 2 0 1 -> 0 1 2 (length 3):  x = 2 0 1 0 1,  y = . . 0 1 2  (. = IGNORE)
    """
    n = digits.shape[1]
    full = np.concatenate([digits, np.sort(digits, axis=1)], axis=1)  # the digits, then their sorted copy
    x, y = full[:, :-1], full[:, 1:].copy()
    y[:, : n - 1] = IGNORE  # predicting the next input digit is guessing: not part of the loss
    return x, y


# ---- the model --------------------------------------------------------------------------------------------
class CausalSelfAttention(nn.Module):
    """Multi-head self-attention in which position t attends to positions 0..t only.

    One Linear makes queries, keys and values; each head computes softmax(q k^T / sqrt(d_head)) v
    over the earlier positions (``is_causal=True`` masks the later ones with -inf before the softmax);
    the heads are put side by side again and mixed by a second Linear.
    """

    def __init__(self, d_model: int, n_head: int, generator: np.random.Generator | None = None) -> None:
        self.n_head = n_head
        self.qkv = nn.Linear(d_model, 3 * d_model, generator=generator)
        self.proj = nn.Linear(d_model, d_model, generator=generator)

    def forward(self, x: tg.Value) -> tg.Value:
        batch, time_steps, d_model = x.shape
        d_head = d_model // self.n_head
        q, k, v = self.qkv(x).split(d_model, dim=-1)  # each (batch, time, d_model)
        # (batch, time, d_model) -> (batch, head, time, d_head): every head attends on its own
        q, k, v = (t.reshape(batch, time_steps, self.n_head, d_head).transpose(1, 2) for t in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        y = y.transpose(1, 2).reshape(batch, time_steps, d_model)  # the heads side by side again
        return self.proj(y)


class Block(nn.Module):
    """One transformer block: attention, then a position-wise MLP, each on a LayerNorm'ed copy added back."""

    def __init__(self, d_model: int, n_head: int, generator: np.random.Generator | None = None) -> None:
        self.ln1 = nn.LayerNorm(d_model)
        self.attn = CausalSelfAttention(d_model, n_head, generator)
        self.ln2 = nn.LayerNorm(d_model)
        self.mlp = nn.Sequential(nn.Linear(d_model, 4 * d_model, generator=generator),
                                 nn.GELU(approximate="tanh"),  # GPT-2's GELU: the tanh form
                                 nn.Linear(4 * d_model, d_model, generator=generator))

    def forward(self, x: tg.Value) -> tg.Value:
        x = x + self.attn(self.ln1(x))  # residual: each block adds to the stream, never replaces it
        return x + self.mlp(self.ln2(x))


class SortGPT(nn.Module):
    """Token and position embeddings, ``n_layer`` Blocks, a final LayerNorm and a Linear head to the logits."""

    def __init__(self, vocab_size: int = SYMBOLS, block_size: int = 2 * LENGTH - 1, d_model: int = 48,
                 n_head: int = 3, n_layer: int = 2, seed: int = 0) -> None:
        generator = np.random.default_rng(seed)
        self.block_size = block_size
        self.tok_emb = nn.Embedding(vocab_size, d_model, generator=generator)
        self.pos_emb = nn.Embedding(block_size, d_model, generator=generator)
        self.blocks = nn.ModuleList([Block(d_model, n_head, generator) for _ in range(n_layer)])
        self.ln_f = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocab_size, bias=False, generator=generator)
        for emb in (self.tok_emb, self.pos_emb):  # small embeddings, as GPT-2 starts: N(0, 0.02)
            nn.init.normal_(emb.weight, std=0.02, generator=generator)

    def forward(self, idx: np.ndarray) -> tg.Value:
        """Logits (batch, time, vocab_size) for integer tokens ``idx`` (batch, time)."""
        time_steps = idx.shape[1]
        x = self.tok_emb(idx) + self.pos_emb(np.arange(time_steps))  # (batch, time, d) + (time, d)
        for block in self.blocks:
            x = block(x)
        return self.head(self.ln_f(x))


# ---- training and testing ---------------------------------------------------------------------------------
def loss_on(model: SortGPT, digits: np.ndarray) -> tg.Value:
    """Mean cross-entropy of the predictions of the sorted half."""
    x, y = make_batch(digits)
    logits = model(x)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), ignore_index=IGNORE)


def sort_greedy(model: SortGPT, digits: np.ndarray) -> np.ndarray:
    """The model's answer for each row of ``digits``: six tokens, each the argmax given all before it."""
    seq = digits
    with no_grad():
        for _ in range(digits.shape[1]):
            logits = model(seq).data[:, -1]  # scores for the token after the last one
            seq = np.concatenate([seq, logits.argmax(axis=-1)[:, None]], axis=1)
    return seq[:, digits.shape[1]:]


def exact_accuracy(model: SortGPT, digits: np.ndarray) -> float:
    """Fraction of rows whose whole generated answer equals the sorted row."""
    return float(np.mean(np.all(sort_greedy(model, digits) == np.sort(digits, axis=1), axis=1)))


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=1000, help="training steps (default 1000)")
    parser.add_argument("--batch-size", type=int, default=64, help="sequences per step (default 64)")
    parser.add_argument("--lr", type=float, default=2e-3, help="AdamW's learning rate (default 2e-3)")
    parser.add_argument("--held-out", type=float, default=0.25, help="fraction of inputs never trained on")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, help="save the trained state_dict here (safetensors)")
    args = parser.parse_args(argv)
    start = time.perf_counter()

    rng = np.random.default_rng(args.seed)
    train, test = split(all_inputs(), args.held_out, rng)
    model = SortGPT(seed=args.seed)
    print(model)
    print(f"{sum(p.data.size for p in model.parameters())} parameters; {len(train)} training inputs, "
          f"{len(test)} held out")
    opt = optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    schedule = optim.CosineAnnealingLR(opt, T_max=args.steps)  # lr falls smoothly towards 0 by the last step

    losses = []
    bar = tqdm(range(args.steps), desc="training")
    for step in bar:
        threads.use_free_cores()  # BLAS threads only on free cores (benchmarks/README.md, case 7)
        loss = loss_on(model, train[rng.integers(0, len(train), args.batch_size)])
        opt.zero_grad()
        loss.backward()
        opt.step()
        schedule.step()
        losses.append(loss.item())
        if step % 50 == 0:
            bar.set_postfix(loss=f"{loss.item():.4f}")

    answers = sort_greedy(model, test[:8])
    for digits, answer in zip(test[:8], answers):
        verdict = "ok" if np.array_equal(answer, np.sort(digits)) else "WRONG"
        print(f"  {' '.join(map(str, digits))}  ->  {' '.join(map(str, answer))}   {verdict}")
    accuracy, train_accuracy = exact_accuracy(model, test), exact_accuracy(model, train)
    seconds = time.perf_counter() - start
    print(f"exact-sequence accuracy: held out {accuracy:.4f} ({len(test)} inputs), "
          f"training {train_accuracy:.4f}; {seconds:.1f} s")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        tg.save(model.state_dict(), args.out)
        print(f"weights: {args.out}")
    return {"accuracy": accuracy, "train_accuracy": train_accuracy, "losses": losses, "seconds": seconds,
            "model": model}


if __name__ == "__main__":
    main()
