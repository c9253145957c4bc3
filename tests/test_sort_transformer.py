"""examples/sort_transformer.py: the data is laid out as described, a short run learns, and the saved
state_dict loads into the same transformer written in PyTorch and gives the same outputs."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.transformer_case import sort_example, torch_sort_gpt  # the PyTorch twin: shared with case 11

st = sort_example()  # examples/sort_transformer.py as a module


@pytest.fixture(scope="module")
def short_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("sort") / "sort_gpt.safetensors"
    return st.main(["--steps", "40", "--seed", "0", "--out", str(out)]), out


def test_the_batches_ask_only_for_the_sorted_half() -> None:
    x, y = st.make_batch(np.array([[2, 0, 1]]))
    assert x.tolist() == [[2, 0, 1, 0, 1]]
    assert y.tolist() == [[st.IGNORE, st.IGNORE, 0, 1, 2]]


def test_the_held_out_inputs_are_never_trained_on() -> None:
    inputs = st.all_inputs()
    assert inputs.shape == (729, 6) and len({tuple(r) for r in inputs}) == 729
    train, test = st.split(inputs, 0.25, np.random.default_rng(0))
    assert len(test) == 182 and len(train) + len(test) == 729
    assert not {tuple(r) for r in train} & {tuple(r) for r in test}


def test_a_short_run_learns_to_sort(short_run, capsys) -> None:
    result, out = short_run
    losses = result["losses"]
    assert len(losses) == 40 and losses[0] > 1.0  # about log 3 = 1.10 at the start
    assert np.mean(losses[-5:]) < 0.3 * losses[0], losses[::5]
    assert result["accuracy"] > 0.3  # guessing gets 1 / 3^6 = 0.0014 of the answers whole
    assert out.exists()


def test_the_saved_state_dict_loads_into_pytorch_and_gives_the_same_outputs(short_run) -> None:
    torch = pytest.importorskip("torch")
    from safetensors.torch import load_file

    result, out = short_run
    model = result["model"]
    twin = torch_sort_gpt(torch, vocab_size=3, block_size=11, d_model=48, n_head=3, n_layer=2)
    state = load_file(str(out))  # the file the example wrote, read by safetensors' own PyTorch loader
    assert sorted(state) == sorted(twin.state_dict())  # the same names: strict loading below checks it too
    twin.load_state_dict(state, strict=True)
    twin.eval()
    x, _ = st.make_batch(st.all_inputs()[::7])
    ours = model(x).data
    with torch.no_grad():
        theirs = twin(torch.from_numpy(x)).numpy()
    assert ours.dtype == theirs.dtype == np.float32
    np.testing.assert_allclose(ours, theirs, atol=1e-5, rtol=1e-5)
    # and the same gradients of the same loss, for every parameter
    x, y = st.make_batch(st.all_inputs()[::5])
    model.zero_grad()
    st.loss_on(model, st.all_inputs()[::5]).backward()
    logits = twin(torch.from_numpy(x))
    torch.nn.functional.cross_entropy(logits.reshape(-1, 3), torch.from_numpy(y).reshape(-1),
                                      ignore_index=st.IGNORE).backward()
    theirs_grads = dict(twin.named_parameters())
    for name, p in model.named_parameters():
        np.testing.assert_allclose(p.grad, theirs_grads[name].grad.numpy(), atol=1e-5, rtol=1e-4, err_msg=name)
