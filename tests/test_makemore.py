"""Karpathy's makemore lectures (Zero to Hero, parts 1-5) on this engine, as the lectures' own programs
would run with ``import tinygrad_edu as torch``: short scripts in the project's words that do what
the notebooks' cells do, on a slice of the names, with a few hundred steps."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as torch
import tinygrad_edu.nn.functional as F
from tinygrad_edu import BackwardError, DataError, datasets

SEED = 2147483647


@pytest.fixture(scope="module")
def words() -> list[str]:
    names = datasets.load_names()
    rng = np.random.default_rng(42)
    return [names[i] for i in rng.permutation(len(names))]


def vocabulary(words: list[str]) -> tuple[dict[str, int], dict[int, str]]:
    letters = sorted(set("".join(words)))
    stoi = {s: i + 1 for i, s in enumerate(letters)} | {".": 0}
    return stoi, {i: s for s, i in stoi.items()}


def contexts(words: list[str], stoi: dict[str, int], block_size: int) -> tuple[torch.Value, torch.Value]:
    """Every (previous block_size letters, next letter) pair of the words, as int64 tensors."""
    xs, ys = [], []
    for w in words:
        context = [0] * block_size
        for ch in w + ".":
            xs.append(context)
            ys.append(stoi[ch])
            context = context[1:] + [stoi[ch]]
    return torch.tensor(xs), torch.tensor(ys)


# ---- part 1: bigrams, counted and learned -------------------------------------------------
def test_part1_bigram_counts_sample_names_and_score_them(words: list[str]) -> None:
    stoi, itos = vocabulary(words)
    counts = torch.zeros((27, 27), dtype=torch.int32)
    for w in words[:3000]:
        for a, b in zip("." + w, w + "."):
            counts[stoi[a], stoi[b]] += 1  # __setitem__ on an integer tensor, data only
    assert counts.dtype == np.int32 and counts.sum().item() == sum(len(w) + 1 for w in words[:3000])
    assert np.asarray(counts).shape == (27, 27)  # what plt.imshow(N) reads
    probs = (counts + 1).float()
    probs /= probs.sum(1, keepdims=True)
    assert torch.allclose(probs.sum(1), torch.ones(27))

    def sample(seed: int) -> list[str]:
        g = torch.Generator().manual_seed(seed)
        out = []
        for _ in range(5):
            ix, name = 0, ""
            while True:
                ix = torch.multinomial(probs[ix], num_samples=1, replacement=True, generator=g).item()
                if ix == 0:
                    break
                name += itos[ix]
            out.append(name)
        return out

    assert sample(SEED) == sample(SEED) and sample(SEED) != sample(SEED + 1)
    logprob = sum(torch.log(probs[stoi[a], stoi[b]]).item() for w in words[:200] for a, b in zip("." + w, w + "."))
    nll = -logprob / sum(len(w) + 1 for w in words[:200])
    assert 2.2 < nll < 2.7  # the lecture's count model scores 2.45 on all the names


def test_part1_one_layer_net_learns_the_bigrams(words: list[str]) -> None:
    stoi, _ = vocabulary(words)
    xs = torch.tensor([stoi[a] for w in words[:2000] for a in "." + w])
    ys = torch.tensor([stoi[b] for w in words[:2000] for b in w + "."])
    assert xs.dtype == np.int64 and xs.nelement() == ys.nelement()
    g = torch.Generator().manual_seed(SEED)
    W = torch.randn((27, 27), generator=g, requires_grad=True)
    xenc = F.one_hot(xs, num_classes=27).float()
    assert xenc.dtype == np.float32 and xenc.shape == (xs.nelement(), 27)
    losses = []
    for _ in range(30):
        counts = (xenc @ W).exp()
        probs = counts / counts.sum(1, keepdims=True)
        loss = -probs[torch.arange(xs.nelement()), ys].log().mean() + 0.01 * (W**2).mean()
        W.grad = None
        loss.backward()
        W.data += -50 * W.grad
        losses.append(loss.item())
    assert losses[0] > 3.5 and losses[-1] < 2.8


# ---- part 2: the MLP on letter embeddings -------------------------------------------------
def test_part2_mlp_trains_and_samples(words: list[str]) -> None:
    stoi, itos = vocabulary(words)
    Xtr, Ytr = contexts(words[:4000], stoi, 3)
    Xdev, Ydev = contexts(words[4000:5000], stoi, 3)
    g = torch.Generator().manual_seed(SEED)
    C = torch.randn((27, 10), generator=g)
    W1 = torch.randn((30, 200), generator=g) * 0.2
    b1 = torch.randn(200, generator=g) * 0.01
    W2 = torch.randn((200, 27), generator=g) * 0.01
    b2 = torch.randn(27, generator=g) * 0
    parameters = [C, W1, b1, W2, b2]
    for p in parameters:
        p.requires_grad = True
    assert sum(p.nelement() for p in parameters) == 11897
    for _ in range(400):
        ix = torch.randint(0, Xtr.shape[0], (32,), generator=g)
        emb = C[Xtr[ix]]  # an embedding lookup: gradient scattered back into the rows of C
        h = torch.tanh(emb.view(-1, 30) @ W1 + b1)
        loss = F.cross_entropy(h @ W2 + b2, Ytr[ix])
        for p in parameters:
            p.grad = None
        loss.backward()
        for p in parameters:
            p.data += -0.1 * p.grad

    @torch.no_grad()
    def split_loss(X: torch.Value, Y: torch.Value) -> float:
        h = torch.tanh(C[X].view(-1, 30) @ W1 + b1)
        out = F.cross_entropy(h @ W2 + b2, Y)
        assert not out.requires_grad
        return out.item()

    assert split_loss(Xdev, Ydev) < 2.75  # 3.30 untrained; the lecture's 200,000 steps reach 2.17
    g = torch.Generator().manual_seed(SEED + 10)
    context, name = [0, 0, 0], ""
    while len(name) < 30:
        h = torch.tanh(C[torch.tensor([context])].view(1, -1) @ W1 + b1)
        ix = torch.multinomial(F.softmax(h @ W2 + b2, dim=1), num_samples=1, generator=g).item()
        if ix == 0:
            break
        context, name = context[1:] + [ix], name + itos[ix]
    assert name.isalpha() or name == ""


# ---- part 3: batch norm by hand, activation and gradient statistics -----------------------
def test_part3_batchnorm_by_hand_with_running_statistics(words: list[str]) -> None:
    stoi, _ = vocabulary(words)
    Xtr, Ytr = contexts(words[:4000], stoi, 3)
    g = torch.Generator().manual_seed(SEED)
    C = torch.randn((27, 10), generator=g)
    W1 = torch.randn((30, 200), generator=g) * (5 / 3) / 30**0.5
    W2 = torch.randn((200, 27), generator=g) * 0.01
    b2 = torch.randn(27, generator=g) * 0
    bngain, bnbias = torch.ones((1, 200)), torch.zeros((1, 200))
    mean_running, std_running = torch.zeros((1, 200)), torch.ones((1, 200))
    parameters = [C, W1, W2, b2, bngain, bnbias]
    for p in parameters:
        p.requires_grad = True
    first = None
    for _ in range(300):
        ix = torch.randint(0, Xtr.shape[0], (32,), generator=g)
        hpre = C[Xtr[ix]].view(32, -1) @ W1
        mean_i, std_i = hpre.mean(0, keepdim=True), hpre.std(0, keepdim=True)
        hpre.retain_grad()
        h = torch.tanh(bngain * (hpre - mean_i) / std_i + bnbias)
        with torch.no_grad():
            mean_running = 0.999 * mean_running + 0.001 * mean_i
            std_running = 0.999 * std_running + 0.001 * std_i
        loss = F.cross_entropy(h @ W2 + b2, Ytr[ix])
        for p in parameters:
            p.grad = None
        loss.backward()
        for p in parameters:
            p.data += -0.1 * p.grad
        first = loss.item() if first is None else first
    assert not mean_running.requires_grad and mean_running.shape == (1, 200)
    assert hpre.grad is not None and hpre.grad.shape == (32, 200)  # an intermediate keeps its .grad
    # the lecture's statistics, as it writes them: .data hands out an array whose reductions keep log10, item
    ratio = ((0.1 * W1.grad).std() / W1.data.std()).log10().item()
    assert -5 < ratio < 0 and isinstance(ratio, float)
    saturated = (h.abs() > 0.97).float().mean()  # a comparison gives a bool Value, as in PyTorch
    assert 0 <= saturated.item() < 1 and not saturated.requires_grad
    hist, edges = torch.histogram(h, density=True)
    assert hist.shape == (100,) and edges.shape == (101,) and (hist.detach().data >= 0).all()
    assert first > 3.0 and loss.item() < 2.9


# ---- part 4: every gradient by hand, compared with the engine's ---------------------------
def test_part4_manual_backprop_matches_the_engine(words: list[str]) -> None:
    stoi, _ = vocabulary(words)
    X, Y = contexts(words[:500], stoi, 3)
    g = torch.Generator().manual_seed(SEED)
    n = 32
    C = torch.randn((27, 10), generator=g, requires_grad=True)
    W1 = torch.randn((30, 64), generator=g) * 0.3
    b1 = torch.randn(64, generator=g) * 0.1
    W2 = torch.randn((64, 27), generator=g) * 0.1
    bngain = torch.randn((1, 64), generator=g) * 0.1 + 1.0
    for p in (W1, b1, W2, bngain):
        p.requires_grad = True
    ix = torch.randint(0, X.shape[0], (n,), generator=g)
    Xb, Yb = X[ix], Y[ix]
    emb = C[Xb]
    embcat = emb.view(n, -1)
    hprebn = embcat @ W1 + b1
    bndiff = hprebn - 1 / n * hprebn.sum(0, keepdim=True)
    bnvar_inv = (1 / (n - 1) * (bndiff**2).sum(0, keepdim=True) + 1e-5) ** -0.5
    bnraw = bndiff * bnvar_inv
    h = torch.tanh(bngain * bnraw)
    logits = h @ W2
    logit_maxes = logits.max(1, keepdim=True).values
    counts = (logits - logit_maxes).exp()
    probs = counts * counts.sum(1, keepdims=True) ** -1
    logprobs = probs.log()
    loss = -logprobs[range(n), Yb].mean()
    for t in (logprobs, logits, h, hprebn, emb):
        t.retain_grad()
    loss.backward()
    assert loss.item() == pytest.approx(F.cross_entropy(logits, Yb).item(), rel=1e-9)

    dlogprobs = torch.zeros_like(logprobs)
    dlogprobs[range(n), Yb] = -1.0 / n
    dlogits = F.softmax(logits, 1).detach().clone()
    dlogits[range(n), Yb] -= 1
    dlogits /= n
    dh = dlogits @ W2.T
    dhpreact = (1.0 - h**2) * dh
    dhprebn = bngain * bnvar_inv / n * (n * dhpreact - dhpreact.sum(0)
                                        - n / (n - 1) * bnraw * (dhpreact * bnraw).sum(0))
    demb = (dhprebn @ W1.T).view(emb.shape)
    dC = torch.zeros_like(C)
    for k in range(n):
        for j in range(3):
            dC[Xb[k, j]] += demb[k, j]
    one_hot_max = F.one_hot(logits.max(1).indices, num_classes=27)
    assert (one_hot_max.data.argmax(1) == logits.data.argmax(1)).all()
    assert torch.all(dlogprobs == logprobs.grad).item() is True  # the lecture's "exact: True" (== is elementwise)
    assert torch.all(dh == h.grad).item() is bool((dh.numpy() == h.grad).all())  # exact where the sums ran alike
    for mine, t in ((dlogprobs, logprobs), (dlogits, logits), (dh, h), (dhprebn, hprebn), (demb, emb), (dC, C)):
        assert torch.allclose(mine, t.grad), t.shape
        assert torch.all(torch.isclose(mine.data, t.grad)).item() is True
    dW2 = h.T @ dlogits
    assert torch.allclose(dW2, W2.grad) and torch.allclose(hprebn.var(0, keepdim=True, unbiased=True),
                                                           1 / bnvar_inv**2 - 1e-5)


# ---- part 5: the WaveNet-like hierarchy of layers ------------------------------------------
class Linear:
    def __init__(self, fan_in: int, fan_out: int, bias: bool = True) -> None:
        self.weight = torch.randn((fan_in, fan_out)) / fan_in**0.5
        self.bias = torch.zeros(fan_out) if bias else None

    def __call__(self, x: torch.Value) -> torch.Value:
        self.out = x @ self.weight + (0.0 if self.bias is None else self.bias)
        return self.out

    def parameters(self) -> list[torch.Value]:
        return [self.weight] + ([] if self.bias is None else [self.bias])


class BatchNorm1d:
    def __init__(self, dim: int, eps: float = 1e-5, momentum: float = 0.1) -> None:
        self.eps, self.momentum, self.training = eps, momentum, True
        self.gamma, self.beta = torch.ones(dim), torch.zeros(dim)
        self.running_mean, self.running_var = torch.zeros(dim), torch.ones(dim)

    def __call__(self, x: torch.Value) -> torch.Value:
        if self.training:
            dims = 0 if x.ndim == 2 else (0, 1)
            xmean, xvar = x.mean(dims, keepdim=True), x.var(dims, keepdim=True)
            with torch.no_grad():
                self.running_mean = (1 - self.momentum) * self.running_mean + self.momentum * xmean
                self.running_var = (1 - self.momentum) * self.running_var + self.momentum * xvar
        else:
            xmean, xvar = self.running_mean, self.running_var
        self.out = self.gamma * (x - xmean) / torch.sqrt(xvar + self.eps) + self.beta
        return self.out

    def parameters(self) -> list[torch.Value]:
        return [self.gamma, self.beta]


class FlattenConsecutive:
    def __init__(self, n: int) -> None:
        self.n = n

    def __call__(self, x: torch.Value) -> torch.Value:
        B, T, C = x.shape
        x = x.view(B, T // self.n, C * self.n)
        self.out = x.squeeze(1) if x.shape[1] == 1 else x
        return self.out

    def parameters(self) -> list[torch.Value]:
        return []


def test_part5_wavenet_hierarchy_trains(words: list[str]) -> None:
    stoi, _ = vocabulary(words)
    Xtr, Ytr = contexts(words[:4000], stoi, 8)
    torch.manual_seed(42)
    embedding = torch.randn((27, 24))
    layers = [FlattenConsecutive(2), Linear(48, 64, bias=False), BatchNorm1d(64), torch.tanh,
              FlattenConsecutive(2), Linear(128, 64, bias=False), BatchNorm1d(64), torch.tanh,
              FlattenConsecutive(2), Linear(128, 64, bias=False), BatchNorm1d(64), torch.tanh,
              Linear(64, 27)]
    with torch.no_grad():
        layers[-1].weight *= 0.1
    parameters = [embedding] + [p for layer in layers for p in getattr(layer, "parameters", list)()]
    for p in parameters:
        p.requires_grad = True

    def model(x: torch.Value) -> torch.Value:
        out = embedding[x]
        for layer in layers:
            out = layer(out)
        return out

    lossi = []
    for _ in range(200):
        ix = torch.randint(0, Xtr.shape[0], (32,))
        loss = F.cross_entropy(model(Xtr[ix]), Ytr[ix])
        for p in parameters:
            p.grad = None
        loss.backward()
        for p in parameters:
            p.data += -0.1 * p.grad
        lossi.append(loss.log10().item())
    smoothed = torch.tensor(lossi).view(-1, 50).mean(1)  # the lecture's plot of the running loss
    assert smoothed.shape == (4,) and 10 ** smoothed[-1].item() < 2.8 < 10 ** smoothed[0].item()
    for layer in layers:
        layer.training = False
    with torch.no_grad():
        assert model(Xtr[[7]]).shape == (1, 27)


# ---- the calls themselves ---------------------------------------------------------------
def test_tensor_takes_pytorchs_dtypes() -> None:
    assert torch.tensor([[1, 2], [3, 4]]).dtype == torch.int64
    assert torch.tensor([0.5, 1]).dtype == torch.float32
    assert torch.tensor([True]).dtype == np.bool_
    assert torch.tensor([1, 2], dtype=torch.float64).dtype == np.float64
    assert torch.tensor(np.arange(3, dtype=np.int32)).dtype == np.int32
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    assert x.requires_grad and x.is_leaf
    with pytest.raises(DataError, match="tensor: only float"):
        torch.tensor([1, 2], requires_grad=True)
    with pytest.raises(DataError, match="tensor: expected a number"):
        torch.tensor([[1, 2], [3]])


def test_generator_seeds_every_random_function_alike() -> None:
    def draws(g: torch.Generator) -> tuple[np.ndarray, ...]:
        return (torch.randn(4, generator=g).data, torch.rand(2, generator=g).data,
                torch.randint(0, 9, (3,), generator=g).data, torch.multinomial(torch.ones(5), 2, generator=g).data)

    g = torch.Generator().manual_seed(3)
    first = draws(g)
    assert g.manual_seed(3) is g
    for a, b in zip(first, draws(g)):
        np.testing.assert_array_equal(a, b)


def test_multinomial_draws_by_weight() -> None:
    g = torch.Generator().manual_seed(0)
    draws = torch.multinomial(torch.tensor([1.0, 0.0, 3.0]), 4000, replacement=True, generator=g)
    assert draws.dtype == np.int64 and draws.shape == (4000,)
    share = np.bincount(draws.data, minlength=3) / 4000
    assert share[1] == 0 and abs(share[2] - 0.75) < 0.03
    rows = torch.multinomial(torch.tensor([[0.0, 1.0], [1.0, 0.0]]), 1, generator=g)
    assert rows.tolist() == [[1], [0]]
    assert sorted(torch.multinomial(torch.ones(3), 3, generator=g).tolist()) == [0, 1, 2]  # no replacement
    with pytest.raises(torch.ArgumentError, match="without replacement"):
        torch.multinomial(torch.tensor([1.0, 0.0]), 2)


def test_integer_item_is_an_int_and_indexes_lists() -> None:
    ix = torch.tensor([4])[0]
    assert ix.item() == 4 and isinstance(ix.item(), int)
    assert "abcde"[ix] == "e"
    assert isinstance(torch.tensor([2.0])[0].item(), float) and isinstance(torch.Value(2.0).item(), float)


def test_indexed_assignment_writes_data_and_guards_leaves() -> None:
    N = torch.zeros((3, 3), dtype=torch.int64)
    N[torch.tensor([0, 0]), torch.tensor([1, 2])] += 1
    N[2] = torch.tensor([7, 8, 9])
    assert N.tolist() == [[0, 1, 1], [0, 0, 0], [7, 8, 9]]
    w = torch.zeros(3, requires_grad=True)
    with pytest.raises(BackwardError, match="no_grad"):
        w[0] = 1.0
    with torch.no_grad():
        w[0] = 1.0
    assert w.data.tolist() == [1.0, 0.0, 0.0]
    with pytest.raises(torch.ShapeError, match="setitem"):
        N[0] = torch.ones(5)


def test_clone_keeps_the_gradient_path_and_indices_locate_maxima() -> None:
    a = torch.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]], requires_grad=True)
    (a.clone() * 3).sum().backward()
    np.testing.assert_array_equal(a.grad, np.full((2, 3), 3.0))
    assert a.max(1).indices.tolist() == [1, 0] and a.max(1, keepdim=True).indices.shape == (2, 1)
    assert a.max(1).values.tolist() == [5.0, 7.0]
    with pytest.raises(torch.ShapeError, match="indices"):
        _ = a.sum().indices


def test_one_hot_histogram_allclose_and_unbiased_var() -> None:
    y = F.one_hot(torch.tensor([2, 0]), num_classes=3)
    assert isinstance(y, torch.Value) and y.float().dtype == np.float32
    hist, edges = torch.histogram(torch.tensor([0.0, 1.0, 1.0, 3.0]), bins=3)
    assert hist.tolist() == [1.0, 2.0, 1.0] and edges.tolist() == [0.0, 1.0, 2.0, 3.0]
    assert torch.allclose(torch.tensor([1.0]), np.array([1.0 + 1e-7])) and not torch.allclose([1.0], [1.1])
    x = torch.tensor([1.0, 2.0, 3.0, 4.0])
    assert x.var(unbiased=False).item() == pytest.approx(1.25) and x.std(unbiased=True).item() == pytest.approx(
        x.std().item())
    assert torch.cat([x, x], dim=0).shape == (8,)


# ---- what the lectures do to .data, .grad and comparisons (issue 16's last cells) --------------------------
def test_data_of_a_tensor_keeps_tensor_methods_and_numpys_semantics() -> None:
    p = torch.Value(np.array([[1.0, 2.0], [3.0, 4.0]]))
    (p * p).sum().backward()
    assert ((0.1 * p.grad).std() / p.data.std()).log10().item() == pytest.approx(np.log10(0.2))
    assert p.data.max().log10().item() == pytest.approx(np.log10(4.0)) and p.data.abs().exp().shape == (2, 2)
    view = p.data
    assert isinstance(view, np.ndarray) and view.std() == np.std(p.numpy())  # NumPy's std (ddof=0)
    view[0, 0] = 5.0  # a view: writes reach the Value, whose stored array stays a plain ndarray
    assert p.numpy()[0, 0] == 5.0 and type(p.numpy()) is np.ndarray
    assert type((p * 2).numpy()) is np.ndarray and type(torch.Value(p.data).numpy()) is np.ndarray
    assert repr(p.data).startswith("array(")
    s = torch.Value(2.0)
    (s * s).backward()
    assert type(s.data) is float and type(s.grad) is float  # micrograd's scalars stay floats


def test_grad_of_a_tensor_keeps_the_tensor_methods_too() -> None:
    p = torch.Value(np.array([1.0, 10.0, 100.0]), requires_grad=True)
    (p * p).sum().backward()  # .grad = 2p
    assert p.grad.std().log10().item() == pytest.approx(np.log10(np.std([2.0, 20.0, 200.0])))
    assert p.grad.max().log10().item() == pytest.approx(np.log10(200.0))
    (p * p).sum().backward()  # accumulated: still the view, still the numbers
    assert isinstance(p.grad, np.ndarray) and p.grad.tolist() == [4.0, 40.0, 400.0]
    before = p.numpy().copy()
    optim_step = torch.optim.SGD([p], lr=0.01)
    optim_step.step()
    assert np.allclose(p.numpy(), before - 0.01 * np.array([4.0, 40.0, 400.0]))
    assert type(p.numpy()) is np.ndarray  # the stored array stays plain


def test_comparisons_of_tensors_give_bool_values_and_of_scalars_python_bools() -> None:
    t = torch.tensor([0.5, -0.99, 0.98, 0.1], requires_grad=True)
    mask = t.abs() > 0.97
    assert isinstance(mask, torch.Value) and mask.dtype == np.bool_ and not mask.requires_grad
    assert mask.float().mean().item() == 0.5 and (t < 0).tolist() == [False, True, False, False]
    a, b = torch.Value(1.0), torch.Value(2.0)
    assert (a < b) is True and (a > 1.5) is False and sorted([b, a]) == [a, b]  # micrograd programs: plain bools


def test_data_plus_equals_a_value_under_no_grad() -> None:
    """makemore part 4, exercise 4: ``p.data += -lr * grad`` with hand-computed gradients that are Values."""
    p = torch.randn((3, 2), requires_grad=True)
    before = p.numpy().copy()
    grad = torch.ones((3, 2)) * 2
    with torch.no_grad():
        p.data += -0.1 * grad
    np.testing.assert_allclose(p.numpy(), before - 0.2)
    p.data -= grad * 0.5
    p.data *= torch.tensor(2.0)
    np.testing.assert_allclose(p.numpy(), (before - 1.2) * 2)
    assert type(p.numpy()) is np.ndarray


def test_double_equals_compares_tensors_elementwise_and_keeps_identity_hashing() -> None:
    x = torch.tensor([1.0, 2.0, 3.0])
    y = x.detach().clone()
    assert torch.all(x == y).item() is True and (x != y).tolist() == [False, False, False]
    assert len({x, y}) == 2 and {x: "x"}[x] == "x"  # graph nodes hash by identity
    a, b = torch.Value(1.0), torch.Value(1.0)
    assert a != b and a == a and a in [a] and b not in [a]  # micrograd's scalars: identity, as in micrograd
