"""Issue 13's layers against PyTorch in float64: conv, pools (ties too), norms, dropout, embedding, attention, and
the modules' state dicts (buffers included) loaded into the same architecture in PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Value, nn
from tinygrad_edu.errors import ArgumentError, ShapeError
from tinygrad_edu.nn import functional as F
from tinygrad_edu.testing import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")
TF = torch.nn.functional
RNG = np.random.default_rng(13)


def _compare(mine_fn, torch_fn, *arrays, rtol=1e-10):
    """Same value and same gradient for every input (seeded with a non-uniform upstream gradient)."""
    values = [Value(a) for a in arrays]
    tensors = [torch.tensor(a, requires_grad=True) for a in arrays]
    mine, ref = mine_fn(*values), torch_fn(*tensors)
    np.testing.assert_allclose(mine.data, ref.detach().numpy(), rtol=rtol, atol=1e-12)
    seed = RNG.standard_normal(ref.shape)
    mine.backward(seed)
    ref.backward(torch.tensor(seed))
    for v, t in zip(values, tensors):
        np.testing.assert_allclose(v.grad, t.grad.numpy(), rtol=1e-9, atol=1e-11)


CONV = [  # x shape, w shape, kwargs
    ((1, 3, 7, 6), (4, 3, 3, 3), dict(stride=2, padding=1)),
    ((2, 4, 9, 8), (6, 2, 3, 2), dict(stride=(2, 1), padding=(2, 1), dilation=2, groups=2)),
    ((1, 2, 5, 5), (2, 2, 4, 3), dict(padding="same")),
    ((2, 3, 6, 7), (3, 1, 2, 2), dict(dilation=(1, 3), groups=3)),
    ((1, 1, 5, 4), (1, 1, 5, 4), dict(padding="valid")),
]


@pytest.mark.filterwarnings("ignore:Using padding='same'")  # PyTorch's note on even kernels
@pytest.mark.parametrize("xs, ws, kw", CONV)
@pytest.mark.parametrize("bias", [True, False])
def test_conv2d_matches_torch(xs, ws, kw, bias):
    arrays = [RNG.standard_normal(xs), RNG.standard_normal(ws)] + ([RNG.standard_normal(ws[0])] if bias else [])
    _compare(lambda *v: F.conv2d(*v, **kw), lambda *t: TF.conv2d(*t, **kw), *arrays)


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("kw", [dict(stride=2, padding=1, dilation=2, groups=2), dict(padding="same")])
def test_conv1d_matches_torch(kw):
    x, b = RNG.standard_normal((2, 4, 9)), RNG.standard_normal(6)
    w = RNG.standard_normal((6, 4 // kw.get("groups", 1), 4))
    _compare(lambda *v: F.conv1d(*v, **kw), lambda *t: TF.conv1d(*t, **kw), x, w, b)


@pytest.mark.parametrize("xs, ws, kw", [((2, 4, 3, 5), (4, 3, 3, 2), dict(stride=2, padding=1, output_padding=1)),
                                        ((1, 4, 4, 3), (4, 1, 2, 3), dict(groups=2, dilation=2, stride=(1, 2))),
                                        ((1, 1, 3, 3), (1, 2, 3, 3), {})])
def test_conv_transpose2d_matches_torch(xs, ws, kw):
    x, w, b = RNG.standard_normal(xs), RNG.standard_normal(ws), RNG.standard_normal(ws[1] * kw.get("groups", 1))
    _compare(lambda *v: F.conv_transpose2d(*v, **kw), lambda *t: TF.conv_transpose2d(*t, **kw), x, w, b)


def test_conv_transpose2d_module_is_torchs_and_undoes_conv2d_shapes():
    up = nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2, dtype=np.float64)
    ref = torch.nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2, dtype=torch.float64)
    ref.load_state_dict({k: torch.tensor(v) for k, v in up.state_dict().items()})
    x = RNG.standard_normal((2, 4, 5, 5))
    assert up(x).shape == (2, 6, 10, 10)
    np.testing.assert_allclose(up(x).data, ref(torch.tensor(x)).detach().numpy(), rtol=1e-10, atol=1e-12)


def test_group_norm_matches_torch():
    x, w, b = RNG.standard_normal((2, 6, 3, 2)), RNG.standard_normal(6), RNG.standard_normal(6)
    _compare(lambda *v: F.group_norm(v[0], 3, v[1], v[2]), lambda *t: TF.group_norm(t[0], 3, t[1], t[2]), x, w, b)
    mine = nn.GroupNorm(2, 6)
    np.testing.assert_allclose(mine(x.astype(np.float32)).data,
                               torch.nn.GroupNorm(2, 6)(torch.tensor(x, dtype=torch.float32)).detach().numpy(),
                               rtol=1e-5, atol=1e-5)


def test_unbatched_conv_and_pool_match_torch():
    x, w = RNG.standard_normal((2, 5, 6)), RNG.standard_normal((3, 2, 3, 3))
    _compare(lambda a, b: F.conv2d(a, b, padding=1), lambda a, b: TF.conv2d(a, b, padding=1), x, w)
    _compare(lambda a: F.max_pool2d(a, 2), lambda a: TF.max_pool2d(a, 2), x)


def test_conv_second_derivative_runs_on_values():
    x, w = RNG.standard_normal((1, 2, 4, 4)), RNG.standard_normal((2, 1, 3, 2))
    assert gradgradcheck(lambda a, b: F.conv2d(a, b, stride=2, padding=1, groups=2), x, w, atol=1e-4)


POOL = [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1), dict(kernel_size=(2, 3), stride=(1, 2)),
        dict(kernel_size=2, stride=1, padding=1)]


@pytest.mark.parametrize("kw", POOL + [dict(kernel_size=2, dilation=2)])
def test_max_pool2d_matches_torch_with_indices(kw):
    x = RNG.standard_normal((2, 3, 7, 6))
    _compare(lambda a: F.max_pool2d(a, **kw), lambda a: TF.max_pool2d(a, **kw), x)
    _, mine = F.max_pool2d(Value(x), **kw, return_indices=True)
    _, ref = TF.max_pool2d(torch.tensor(x), **kw, return_indices=True)
    np.testing.assert_array_equal(mine, ref.numpy())


@pytest.mark.parametrize("kw", POOL)
def test_max_pool2d_gives_a_tie_to_the_first_maximum_as_torch(kw):
    x = np.round(RNG.standard_normal((1, 2, 6, 7)))  # integers: many ties
    x[0, 0] = 1.0  # a channel of equal values
    _compare(lambda a: F.max_pool2d(a, **kw), lambda a: TF.max_pool2d(a, **kw), x)


@pytest.mark.parametrize("kw", POOL)
@pytest.mark.parametrize("count_include_pad", [True, False])
def test_avg_pool2d_matches_torch(kw, count_include_pad):
    x = RNG.standard_normal((2, 2, 7, 5))
    _compare(lambda a: F.avg_pool2d(a, **kw, count_include_pad=count_include_pad),
             lambda a: TF.avg_pool2d(a, **kw, count_include_pad=count_include_pad), x)


@pytest.mark.parametrize("size", [1, (1, 1), (3, 2), (5, 4), (2, None)])
def test_adaptive_avg_pool2d_matches_torch(size):
    _compare(lambda a: F.adaptive_avg_pool2d(a, size), lambda a: TF.adaptive_avg_pool2d(a, size),
             RNG.standard_normal((2, 3, 5, 7)))


def test_layer_and_batch_norm_match_torch():
    x, w, b = RNG.standard_normal((4, 3, 5)), RNG.standard_normal(5), RNG.standard_normal(5)
    _compare(lambda *v: F.layer_norm(v[0], (5,), v[1], v[2]), lambda *t: TF.layer_norm(t[0], (5,), t[1], t[2]), x, w, b)
    x2, w2, b2 = RNG.standard_normal((4, 3, 2, 3)), RNG.standard_normal(3), RNG.standard_normal(3)
    mine_stats = [np.zeros(3), np.ones(3)]
    torch_stats = [torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)]
    _compare(lambda *v: F.batch_norm(v[0], *mine_stats, v[1], v[2], training=True, momentum=0.3),
             lambda *t: TF.batch_norm(t[0], *torch_stats, t[1], t[2], training=True, momentum=0.3), x2, w2, b2)
    for mine, ref in zip(mine_stats, torch_stats):  # the running statistics moved the same way
        np.testing.assert_allclose(mine, ref.numpy(), rtol=1e-12)
    _compare(lambda *v: F.batch_norm(v[0], *mine_stats, v[1], v[2]),
             lambda *t: TF.batch_norm(t[0], *torch_stats, t[1], t[2]), x2, w2, b2)


def test_dropout_in_eval_is_the_identity_and_in_training_keeps_the_mean():
    x = RNG.standard_normal((3, 4))
    _compare(lambda a: F.dropout(a, 0.3, training=False) * 1.0, lambda a: TF.dropout(a, 0.3, training=False) * 1.0, x)
    tg.manual_seed(0)
    first = F.dropout(np.ones((200, 200)), 0.25).data
    tg.manual_seed(0)
    again = F.dropout(np.ones((200, 200)), 0.25).data
    np.testing.assert_array_equal(first, again)  # drawn from the library's generator
    assert set(np.unique(first)) == {0.0, 1 / 0.75}
    assert abs(first.mean() - 1.0) < 0.02
    with pytest.raises(ArgumentError):
        F.dropout(x, 1.5)


def test_embedding_matches_torch_with_padding_idx():
    idx = np.array([[0, 2, 2], [4, 1, 2]])
    w = RNG.standard_normal((5, 3))
    _compare(lambda v: F.embedding(idx, v), lambda t: TF.embedding(torch.tensor(idx), t), w)
    _compare(lambda v: F.embedding(idx, v, padding_idx=2), lambda t: TF.embedding(torch.tensor(idx), t, padding_idx=2),
             w)
    with pytest.raises(ShapeError):
        F.embedding(np.array([5]), Value(w))


@pytest.mark.parametrize("mask", ["none", "causal", "bool", "float"])
def test_scaled_dot_product_attention_matches_torch(mask):
    q, k, v = RNG.standard_normal((2, 2, 4, 3)), RNG.standard_normal((2, 2, 4, 3)), RNG.standard_normal((2, 2, 4, 5))
    kw = {"causal": dict(is_causal=True), "none": {},
          "bool": dict(attn_mask=(RNG.random((4, 4)) < 0.7) | np.eye(4, dtype=bool)),
          "float": dict(attn_mask=RNG.standard_normal((4, 4)))}[mask]
    tkw = {k2: torch.tensor(a) if isinstance(a, np.ndarray) else a for k2, a in kw.items()}
    _compare(lambda *x: F.scaled_dot_product_attention(*x, **kw),
             lambda *t: TF.scaled_dot_product_attention(*t, **tkw), q, k, v)


# ---- modules: train/eval, buffers, containers, state dicts loaded by PyTorch --------------------------
class _Net(nn.Module):
    def __init__(self):
        self.conv = nn.Conv2d(2, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.pool = nn.MaxPool2d(2)
        self.conv1 = nn.Conv1d(4, 3, 2, stride=2)
        self.blocks = nn.ModuleList([nn.Linear(6, 5), nn.Dropout(0.5), nn.BatchNorm1d(5), nn.LayerNorm(5)])
        self.heads = nn.ModuleDict({"emb": nn.Embedding(7, 5, padding_idx=0), "avg": nn.AdaptiveAvgPool2d(1)})

    def forward(self, x, idx):
        h = self.pool(self.bn(self.conv(x)).relu())  # (N, 4, 3, 3)
        h = self.conv1(h.reshape(h.shape[0], 4, 9)).reshape(h.shape[0], -1)[:, :6]
        for block in self.blocks:
            h = block(h)
        return h + self.heads["emb"](idx).sum(axis=1) + self.heads["avg"](x).reshape(x.shape[0], -1).sum()


def _torch_net():
    T = torch.nn

    class TNet(T.Module):
        def __init__(self):
            super().__init__()
            self.conv, self.bn, self.pool = T.Conv2d(2, 4, 3, padding=1), T.BatchNorm2d(4), T.MaxPool2d(2)
            self.conv1 = T.Conv1d(4, 3, 2, stride=2)
            self.blocks = T.ModuleList([T.Linear(6, 5), T.Dropout(0.5), T.BatchNorm1d(5), T.LayerNorm(5)])
            self.heads = T.ModuleDict({"emb": T.Embedding(7, 5, padding_idx=0), "avg": T.AdaptiveAvgPool2d(1)})

        def forward(self, x, idx):
            h = self.pool(self.bn(self.conv(x)).relu())
            h = self.conv1(h.reshape(h.shape[0], 4, 9)).reshape(h.shape[0], -1)[:, :6]
            for block in self.blocks:
                h = block(h)
            return h + self.heads["emb"](idx).sum(dim=1) + self.heads["avg"](x).reshape(x.shape[0], -1).sum()

    return TNet()


def test_state_dict_with_buffers_loads_into_torch_and_gives_the_same_outputs(tmp_path):
    safetensors_torch = pytest.importorskip("safetensors.torch")
    net = _Net()
    x = RNG.standard_normal((5, 2, 6, 6)).astype(np.float32)
    idx = np.array([[0, 3], [1, 6], [2, 2], [0, 0], [5, 4]])
    for _ in range(3):  # training steps move the running statistics
        net(x, idx)
    assert int(net.bn.num_batches_tracked) == 3
    net.eval()
    assert not net.blocks[1].training and not net.bn.training
    state = net.state_dict()
    for key in ("bn.running_mean", "bn.running_var", "bn.num_batches_tracked", "blocks.2.running_var",
                "heads.emb.weight"):
        assert key in state
    tg.save(state, tmp_path / "net.safetensors")
    tnet = _torch_net()
    tnet.load_state_dict(safetensors_torch.load_file(str(tmp_path / "net.safetensors")))  # strict: same keys
    tnet.eval()
    ref = tnet(torch.tensor(x), torch.tensor(idx)).detach().numpy()
    np.testing.assert_allclose(net(x, idx).data, ref, rtol=1e-5, atol=1e-5)
    again = _Net().eval()
    again.load(tmp_path / "net.safetensors")
    np.testing.assert_array_equal(again(x, idx).data, net(x, idx).data)


def test_batch_norm_module_tracks_running_stats_as_torch():
    x = RNG.standard_normal((6, 3, 4)).astype(np.float32)
    mine, ref = nn.BatchNorm1d(3, momentum=None), torch.nn.BatchNorm1d(3, momentum=None)
    for _ in range(3):
        out, tout = mine(x * 2 + 1), ref(torch.tensor(x * 2 + 1))
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(mine.running_var, ref.running_var.numpy(), rtol=1e-5)
    mine.eval(), ref.eval()
    np.testing.assert_allclose(mine(x).data, ref(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-5)
    with pytest.raises(ShapeError):
        mine(np.ones((2, 4)))


def test_load_state_dict_checks_buffers_before_writing_anything():
    net = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    state = net.state_dict()
    before = {k: v.copy() for k, v in state.items()}
    state["0.weight"] = np.zeros((3, 2))
    state["1.running_mean"] = np.zeros(4)  # wrong shape: nothing may be written, not even 0.weight
    with pytest.raises(ShapeError):
        net.load_state_dict(state)
    for k, v in net.state_dict().items():
        np.testing.assert_array_equal(v, before[k])
    state["1.running_mean"] = np.full(3, 2.0)
    net.load_state_dict(state)
    np.testing.assert_array_equal(net[1].running_mean, np.full(3, 2.0, np.float32))
    assert not any(p is net[1].running_mean for p in net.parameters())  # a buffer is not trained


def test_module_list_and_dict_register_their_children():
    layers = nn.ModuleList([nn.Linear(2, 2)])
    layers.append(nn.Linear(2, 3))
    layers.insert(0, nn.Conv1d(1, 1, 1))
    assert [n for n, _ in layers.named_parameters()] == ["0.weight", "0.bias", "1.weight", "1.bias", "2.weight",
                                                        "2.bias"]
    assert len(layers) == 3 and isinstance(layers[-1], nn.Linear) and len(layers[1:]) == 2
    heads = nn.ModuleDict({"a": nn.Linear(1, 1)})
    heads["b"] = nn.LayerNorm(2)
    assert list(heads) == ["a", "b"] and "b" in heads and len(heads.parameters()) == 4
    del heads["a"]
    assert list(heads.state_dict()) == ["b.weight", "b.bias"]
    with pytest.raises(ArgumentError):
        heads["train"] = nn.Linear(1, 1)  # would hide the method


def test_conv_module_initialises_like_torch_and_rejects_bad_shapes():
    conv = nn.Conv2d(4, 6, (3, 2), groups=2, generator=np.random.default_rng(0))
    assert conv.weight.shape == (6, 2, 3, 2) and conv.weight.dtype == np.float32
    bound = 1 / np.sqrt(2 * 3 * 2)
    assert np.abs(conv.weight.data).max() <= bound and np.abs(conv.bias.data).max() <= bound
    with pytest.raises(ShapeError):
        conv(np.ones((1, 2, 5, 5)))
    with pytest.raises(ArgumentError):
        F.conv2d(np.ones((1, 1, 5, 5)), np.ones((1, 1, 3, 3)), stride=2, padding="same")
    with pytest.raises(ShapeError):
        F.conv2d(np.ones((1, 1, 2, 2)), np.ones((1, 1, 3, 3)))


def test_lenet_step_agrees_with_the_numpy_benchmark_and_torch():
    from benchmarks.cases import LeNet
    from benchmarks.numpy_lenet import KEYS, loss_and_grads

    net = LeNet(dtype=np.float64, generator=np.random.default_rng(1))
    x = RNG.random((4, 1, 28, 28))
    y = np.array([3, 1, 0, 9])
    state = net.state_dict()
    loss = F.cross_entropy(net(x), y)
    loss.backward()
    ref_loss, grads = loss_and_grads([state[k] for k in KEYS], x, y)
    assert loss.item() == pytest.approx(ref_loss, rel=1e-12)
    for k, g in zip(KEYS, grads):
        np.testing.assert_allclose(dict(net.named_parameters())[k].grad, g, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("batch_first", [True, False])
@pytest.mark.parametrize("masks", ["none", "causal", "bool", "float", "padding"])
def test_multihead_attention_matches_torch(batch_first, masks):
    mine = nn.MultiheadAttention(6, 2, batch_first=batch_first, dtype=np.float64, generator=np.random.default_rng(2))
    ref = torch.nn.MultiheadAttention(6, 2, batch_first=batch_first, dtype=torch.float64)
    ref.load_state_dict({k: torch.tensor(v) for k, v in mine.state_dict().items()})
    x = RNG.standard_normal((2, 4, 6) if batch_first else (4, 2, 6))
    kv = RNG.standard_normal((2, 5, 6) if batch_first else (5, 2, 6))
    q_in, k_in = (x, x) if masks == "causal" else (x, kv)
    s_len = k_in.shape[1] if batch_first else k_in.shape[0]
    kw = {"none": {}, "causal": dict(attn_mask=~np.tril(np.ones((4, 4), dtype=bool)), is_causal=True),
          "bool": dict(attn_mask=np.eye(4, s_len, dtype=bool)),
          "float": dict(attn_mask=RNG.standard_normal((4, s_len))),
          "padding": dict(key_padding_mask=np.array([[False] * 4 + [True], [False, True, False, False, False]]))}[masks]
    tkw = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
    q, k = Value(q_in), Value(k_in)
    out, weights = mine(q, k, k, **kw)
    tq, tk = torch.tensor(q_in, requires_grad=True), torch.tensor(k_in, requires_grad=True)
    tout, tweights = ref(tq, tk, tk, **tkw)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(weights.data, tweights.detach().numpy(), rtol=1e-9, atol=1e-12)
    seed = RNG.standard_normal(tout.shape)
    out.backward(seed)
    tout.backward(torch.tensor(seed))
    np.testing.assert_allclose(q.grad, tq.grad.numpy(), rtol=1e-8, atol=1e-11)
    np.testing.assert_allclose(k.grad, tk.grad.numpy(), rtol=1e-8, atol=1e-11)
    for name, p in mine.named_parameters():
        np.testing.assert_allclose(p.grad, dict(ref.named_parameters())[name].grad.numpy(), rtol=1e-8, atol=1e-11)


# ---- issue 13 (w2-cnn): interpolate, Upsample, and pooling with ceil_mode=True ---------------------------
INTERPOLATE = [  # input shape, kwargs: sizes up and down, integer and fractional factors, PyTorch's shortcuts
    ((2, 3, 5), dict(size=9)),
    ((1, 2, 7), dict(scale_factor=0.5, mode="nearest-exact")),
    ((2, 2, 5), dict(size=8, mode="linear", align_corners=True)),
    ((2, 2, 5), dict(scale_factor=1.7, mode="linear", align_corners=False)),
    ((1, 2, 4, 7), dict(scale_factor=2)),
    ((1, 2, 5, 7), dict(scale_factor=(2.1, 1.19))),  # 2-D nearest: doubled and unchanged axes are copied as such
    ((2, 1, 6, 3), dict(size=(4, 5))),
    ((1, 1, 5, 5), dict(scale_factor=2.4, mode="nearest-exact")),
    ((2, 3, 4, 7), dict(size=(9, 4), mode="bilinear", align_corners=False)),
    ((2, 3, 4, 7), dict(size=(9, 4), mode="bilinear", align_corners=True)),
    ((1, 2, 6, 3), dict(scale_factor=(0.5, 1.7), mode="bilinear")),
    ((1, 2, 5, 4), dict(scale_factor=1.19, mode="bilinear", align_corners=False)),  # unchanged sizes: copied
    ((1, 1, 3, 5), dict(size=(1, 2), mode="bilinear", align_corners=True)),  # one output row
    ((1, 2, 4, 4), dict(scale_factor=3, mode="bilinear", recompute_scale_factor=True)),
]


@pytest.mark.parametrize("shape, kw", INTERPOLATE)
def test_interpolate_matches_torch_values_and_gradients(shape, kw):
    _compare(lambda a: F.interpolate(a, **kw), lambda t: TF.interpolate(t, **kw), RNG.standard_normal(shape))


def test_interpolate_1d_nearest_by_a_factor_near_2_is_torchs_forward_and_its_own_exact_gradient():
    """1-D nearest by 2.1 reads floor(dst / 2.1) in PyTorch's forward (no doubling shortcut, unlike 2-D), but
    PyTorch's backward (2.13) sends dst's gradient to dst // 2: not its forward's gradient. Ours is the forward's."""
    x = RNG.standard_normal((2, 3, 5))
    mine = F.interpolate(Value(x), scale_factor=2.1)
    np.testing.assert_array_equal(mine.data, TF.interpolate(torch.tensor(x), scale_factor=2.1).numpy())
    np.testing.assert_array_equal(mine.data[0, 0], x[0, 0, [0, 0, 0, 1, 1, 2, 2, 3, 3, 4]])
    assert gradcheck(lambda a: F.interpolate(a, scale_factor=2.1), x)


@pytest.mark.parametrize("shape, kw", INTERPOLATE[-6:])
def test_interpolate_in_float32_matches_torch(shape, kw):
    x = RNG.standard_normal(shape).astype(np.float32)
    mine = F.interpolate(x, **kw)
    assert mine.dtype == np.float32
    np.testing.assert_allclose(mine.data, TF.interpolate(torch.tensor(x), **kw).numpy(), rtol=1e-6, atol=1e-6)


def test_interpolate_second_derivative_and_upsample_module():
    assert gradgradcheck(lambda a: F.interpolate(a, size=(3, 5), mode="bilinear").square(),
                         RNG.standard_normal((1, 2, 2, 3)), atol=1e-5)
    up, ref = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True), torch.nn.Upsample(
        scale_factor=2, mode="bilinear", align_corners=True)
    x = RNG.standard_normal((2, 1, 3, 4))
    np.testing.assert_allclose(up(x).data, ref(torch.tensor(x)).numpy(), rtol=1e-12)
    assert "scale_factor=2" in repr(up) and not up.parameters()


@pytest.mark.parametrize("kw, error, words", [
    (dict(size=4, scale_factor=2), ArgumentError, "exactly one of size and scale_factor"),
    ({}, ArgumentError, "neither"),
    (dict(size=4, mode="bicubic"), ArgumentError, "mode must be one of"),
    (dict(size=4, mode="linear"), ShapeError, "needs a 3-D input"),
    (dict(size=4, align_corners=True), ArgumentError, "align_corners applies to the linear modes"),
    (dict(size=(4, 4, 4)), ArgumentError, "one per spatial axis"),
    (dict(size=0), ArgumentError, "size must hold whole numbers >= 1"),
    (dict(scale_factor=-1.0), ArgumentError, "positive numbers"),
    (dict(scale_factor=0.1), ShapeError, "leaves no output"),
    (dict(size=4, antialias=True), ArgumentError, "antialias"),
])
def test_interpolate_rejects_bad_arguments_with_project_errors(kw, error, words):
    with pytest.raises(error, match=words):
        F.interpolate(np.ones((1, 1, 3, 3)), **kw)


def test_interpolate_rejects_bad_ranks():
    with pytest.raises(ShapeError, match="needs a 4-D input"):
        F.interpolate(np.ones((1, 1, 3)), size=4, mode="bilinear")
    with pytest.raises(ShapeError, match=r"\(N, C, L\) or \(N, C, H, W\)"):
        F.interpolate(np.ones((3, 3)), size=4)


CEIL = [  # odd sizes, stride > kernel, padding, windows that start in the left padding
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=2, stride=3),
    dict(kernel_size=(3, 2), stride=(2, 3), padding=(1, 1)),
    dict(kernel_size=2, stride=2, padding=1),  # the decremented case: a last window in the right padding is dropped
]


@pytest.mark.parametrize("kw", CEIL)
@pytest.mark.parametrize("shape", [(2, 2, 7, 5), (1, 1, 6, 9)])
def test_max_pool2d_with_ceil_mode_matches_torch_with_indices(kw, shape):
    x = RNG.standard_normal(shape)
    _compare(lambda a: F.max_pool2d(a, **kw, ceil_mode=True), lambda a: TF.max_pool2d(a, **kw, ceil_mode=True), x)
    _, mine = F.max_pool2d(x, **kw, ceil_mode=True, return_indices=True)
    _, ref = TF.max_pool2d(torch.tensor(x), **kw, ceil_mode=True, return_indices=True)
    np.testing.assert_array_equal(mine, ref.numpy())


def test_max_pool2d_with_ceil_mode_and_dilation_matches_torch():
    x = RNG.standard_normal((1, 2, 8, 7))
    kw = dict(kernel_size=2, stride=2, dilation=2, padding=1, ceil_mode=True)
    _compare(lambda a: F.max_pool2d(a, **kw), lambda a: TF.max_pool2d(a, **kw), x)


@pytest.mark.parametrize("kw", CEIL)
@pytest.mark.parametrize("count_include_pad", [True, False])
@pytest.mark.parametrize("shape", [(2, 2, 7, 5), (1, 1, 6, 9)])
def test_avg_pool2d_with_ceil_mode_divides_as_torch(kw, count_include_pad, shape):
    x = RNG.standard_normal(shape)
    _compare(lambda a: F.avg_pool2d(a, **kw, ceil_mode=True, count_include_pad=count_include_pad),
             lambda a: TF.avg_pool2d(a, **kw, ceil_mode=True, count_include_pad=count_include_pad), x)


def test_ceil_mode_pooling_modules_and_a_shape_that_rounds_up():
    x = RNG.standard_normal((1, 1, 5, 5))
    assert F.max_pool2d(x, 2).shape == (1, 1, 2, 2) and nn.MaxPool2d(2, ceil_mode=True)(x).shape == (1, 1, 3, 3)
    np.testing.assert_allclose(nn.AvgPool2d(2, ceil_mode=True, divisor_override=3)(x).data,
                               TF.avg_pool2d(torch.tensor(x), 2, ceil_mode=True, divisor_override=3).numpy(),
                               rtol=1e-12)
    with pytest.raises(ArgumentError, match="ceil_mode must be True or False"):
        F.max_pool2d(x, 2, ceil_mode="yes")
