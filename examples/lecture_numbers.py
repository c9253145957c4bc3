"""Every worked number of the two lecture decks, computed with tinygrad_edu.

Run:  python examples/lecture_numbers.py
Each line prints the lectures' value beside ours; the script fails if any differs.
"""

from __future__ import annotations

import argparse

import numpy as np

from tinygrad_edu import Value, nn

checks: list[tuple[str, str, str]] = []  # (what, lecture's value, ours)


def check(what: str, lecture: str, ours: str) -> None:
    checks.append((what, lecture, ours))
    mark = "ok" if lecture == ours else "DIFFERS"
    print(f"{what:<44} lecture {lecture:>15}   tinygrad_edu {ours:>15}   {mark}")


def main(argv: list[str] | None = None) -> dict:
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args(argv)
    checks.clear()

    # 1. Parameters of a 4-5-5-3-2 network: layer k has n_k * n_(k+1) weights and n_(k+1) biases.
    net = nn.mlp([4, 5, 5, 3, 2], activation="sigmoid")
    print(nn.format_parameter_table(net))
    names = ["step 1 (4 -> 5)", "step 2 (5 -> 5)", "step 3 (5 -> 3)", "step 4 (3 -> 2)", "total"]
    for name, row, expected in zip(names, nn.parameter_table(net), ["25", "30", "18", "8", "81"]):
        check(f"parameters, {name}", expected, str(row["total"]))
    layer = nn.parameter_table(nn.Linear(3, 4))[-1]
    check("a 3-4 layer: weights + biases", "12 + 4", f"{layer['weights']} + {layer['biases']}")

    # 2. Squared error L = |Y - Yhat|^2 of a 10-class output against one-hot labels.
    output = Value(np.array([0.54, 0.24, 0.92, 0.61, 0.51, 0.14, 0.42, 0.32, 0.51, 0.87]))
    for label, expected in [(2, "2.3032"), (9, "2.4032")]:
        one_hot = nn.functional.one_hot([label], 10)[0]
        loss = nn.functional.mse_loss(output, one_hot.double(), reduction="sum")
        check(f"squared error, label {label}", expected, f"{loss.item():.4f}")

    # 3. Hand-set single neurons y = sigma(x W + b) with W = [0.4, 0.4].
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    W = Value(np.array([[0.4], [0.4]]))
    for gate, b, expected in [("OR", -0.4, "0.4 0.5 0.5 0.6"), ("AND", -0.8, "0.3 0.4 0.4 0.5")]:
        y = (x @ W + b).sigmoid()
        check(f"{gate} neuron, b = {b}, inputs 00 01 10 11", expected, " ".join(f"{v:.1f}" for v in y.data[:, 0]))

    # 4. The hand-set XOR network: h = sigma(x W1 + b1), y = sigma(h W2 + b2).
    W1, b1 = Value(np.array([[10.0, -10.0], [10.0, -10.0]])), Value(np.array([-5.0, 15.0]))
    W2, b2 = Value(np.array([[10.0], [10.0]])), Value(np.array([-15.0]))
    h = (x @ W1 + b1).sigmoid()
    y = (h @ W2 + b2).sigmoid()
    check("XOR network, inputs 00 01 10 11", "0 1 1 0", " ".join(f"{v:.0f}" for v in y.data[:, 0]))

    # 5. The terms y log f(x) + (1 - y) log(1 - f(x)) of binary cross-entropy.
    for target, f, expected in [(1, 0.99, "-0.01"), (0, 0.01, "-0.01"), (1, 0.01, "-4.61"), (0, 0.99, "-4.61")]:
        term = -nn.functional.binary_cross_entropy(Value(np.array([f])), np.array([float(target)]))
        check(f"cross-entropy term, y = {target}, f = {f}", expected, f"{term.item():.2f}")

    # 6. MNIST: the predicted class is the argmax of the 10 outputs.
    toy = np.array([0.01, 0.02, 0.92, 0.01, 0.0, 0.01, 0.01, 0.01, 0.0, 0.01])
    check("MNIST toy output: the guessed digit", "2", str(int(np.argmax(toy))))

    mismatches = [c for c in checks if c[1] != c[2]]
    print(f"\n{len(checks) - len(mismatches)} of {len(checks)} numbers reproduced")
    return {"checks": list(checks), "all_match": not mismatches}


if __name__ == "__main__":
    raise SystemExit(0 if main()["all_match"] else 1)
