"""Case 11 (issue 13): one AdamW training step of examples/sort_transformer.py's SortGPT, and the same in PyTorch.

The PyTorch twin (``torch_sort_gpt``) is written once here; tests/test_sort_transformer.py loads the
example's saved weights into it as well.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from tinygrad_edu import optim, threads

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "sort_transformer.py"


def sort_example() -> ModuleType:
    """examples/sort_transformer.py as a module (importing it trains nothing)."""
    spec = importlib.util.spec_from_file_location("example_sort_transformer", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def torch_sort_gpt(torch: Any, vocab_size: int = 3, block_size: int = 11, d_model: int = 48, n_head: int = 3,
                   n_layer: int = 2) -> Any:
    """The example's SortGPT in PyTorch, its attributes named as the example's, so that the state_dict keys match."""
    tnn, tF = torch.nn, torch.nn.functional

    class CausalSelfAttention(tnn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.qkv = tnn.Linear(d_model, 3 * d_model)
            self.proj = tnn.Linear(d_model, d_model)

        def forward(self, x):
            b, t, c = x.shape
            q, k, v = (z.view(b, t, n_head, c // n_head).transpose(1, 2) for z in self.qkv(x).split(c, dim=-1))
            y = tF.scaled_dot_product_attention(q, k, v, is_causal=True)
            return self.proj(y.transpose(1, 2).reshape(b, t, c))

    class Block(tnn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.ln1, self.attn, self.ln2 = tnn.LayerNorm(d_model), CausalSelfAttention(), tnn.LayerNorm(d_model)
            self.mlp = tnn.Sequential(tnn.Linear(d_model, 4 * d_model), tnn.GELU(approximate="tanh"),
                                      tnn.Linear(4 * d_model, d_model))

        def forward(self, x):
            x = x + self.attn(self.ln1(x))
            return x + self.mlp(self.ln2(x))

    class SortGPT(tnn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.tok_emb, self.pos_emb = tnn.Embedding(vocab_size, d_model), tnn.Embedding(block_size, d_model)
            self.blocks = tnn.ModuleList([Block() for _ in range(n_layer)])
            self.ln_f, self.head = tnn.LayerNorm(d_model), tnn.Linear(d_model, vocab_size, bias=False)

        def forward(self, idx):
            x = self.tok_emb(idx) + self.pos_emb(torch.arange(idx.shape[1]))
            for block in self.blocks:
                x = block(x)
            return self.head(self.ln_f(x))

    return SortGPT()


def transformer_step(quick: bool) -> list[dict]:
    """Forward, loss, backward, AdamW step, zero_grad of SortGPT (2 blocks, d 48, 3 heads), sequences of 11."""
    from .cases import _import, measure, row, torch_rows  # (here, not above: cases.py imports this module at its end)

    st = sort_example()
    batch = 8 if quick else 64
    repeat = 2 if quick else 100
    digits = np.random.default_rng(0).integers(0, st.SYMBOLS, (batch, st.LENGTH))
    model = st.SortGPT(seed=0)
    state = {k: v.copy() for k, v in model.state_dict().items()}
    opt = optim.AdamW(model.parameters(), lr=2e-3, weight_decay=0.01)

    def our_step() -> float:
        loss = st.loss_on(model, digits)
        loss.backward()
        opt.step()
        opt.zero_grad()
        return loss.item()

    case = f"11. transformer step (SortGPT: 2 blocks, d 48, 3 heads, 11 tokens), batch {batch}, float32, AdamW"
    ours = [our_step() for _ in range(3)]  # from the initial weights: PyTorch must give the same losses
    rows = [row(case, "tinygrad_edu", *measure(our_step, repeat, warmup=2),
                note="attention by F.scaled_dot_product_attention(is_causal=True); every op a graph node")]
    default = threads.get_num_threads()
    threads.set_num_threads(1)  # small matrices: on a shared machine a second BLAS thread mostly waits
    try:
        rows.append(row(case, "reference: tinygrad_edu, 1 BLAS thread", *measure(our_step, repeat, warmup=2),
                        note="threads.set_num_threads(1)"))
    finally:
        threads.set_num_threads(default)
    torch = _import("torch")  # timed after ours: its OpenMP threads keep spinning after each call
    if torch is None:
        return rows + [row(case, "PyTorch CPU", None, note="not installed (pip install torch==2.13.0)")]
    torch.set_num_threads(os.cpu_count() or 1)
    twin = torch_sort_gpt(torch)
    twin.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
    topt = torch.optim.AdamW(twin.parameters(), lr=2e-3, weight_decay=0.01)
    x, y = (torch.from_numpy(a) for a in st.make_batch(digits))

    def torch_step() -> float:
        logits = twin(x)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1),
                                                 ignore_index=st.IGNORE)
        loss.backward()
        topt.step()
        topt.zero_grad()
        return loss.item()

    theirs = [torch_step() for _ in range(3)]
    # the same math: three steps from the same weights give the same losses (float32 rounding apart)
    assert np.allclose(ours, theirs, rtol=1e-4, atol=1e-6), (ours, theirs)
    return rows + torch_rows(torch, case, torch_step, repeat, note="the same model (losses of 3 steps agree)")
