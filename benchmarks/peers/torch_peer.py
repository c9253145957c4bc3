"""PyTorch on the CPU with the peer interface, for case 7 (cases 2 and 3 time PyTorch themselves)."""

from __future__ import annotations

import numpy as np

LABEL, PIP = "PyTorch CPU", "pip install torch==2.13.0"


def missing() -> str | None:
    try:
        import torch  # noqa: F401
    except ImportError:
        return f"not installed ({PIP})"
    return None


def version() -> str:
    import torch

    return torch.__version__


def mlp_steps(state: dict, x: np.ndarray, y: np.ndarray, lr: float) -> list[tuple]:
    import torch

    tx, ty = torch.from_numpy(x), torch.from_numpy(y)
    hidden = state["0.weight"].shape[0]

    def factory():
        net = torch.nn.Sequential(torch.nn.Linear(784, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 10))
        net.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in state.items()})
        opt = torch.optim.SGD(net.parameters(), lr=lr)

        def step():
            loss = torch.nn.functional.cross_entropy(net(tx), ty)
            loss.backward()
            opt.step()
            opt.zero_grad()
            return loss.detach()
        return step

    return [("PyTorch CPU", factory, f"{torch.get_num_threads()} threads")]
