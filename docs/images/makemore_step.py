"""Draw one training step of makemore part 2's MLP (docs/images/makemore_step.svg): python docs/images/makemore_step.py

The lecture's network at a small size (a batch of 4 contexts of 3 characters, a 2-d embedding, 8 tanh units),
so that every node of the graph fits on a page: embedding lookup C[X], the hidden layer, cross_entropy.
"""

from pathlib import Path

import tinygrad_edu as torch
import tinygrad_edu.nn.functional as F
from tinygrad_edu import viz

g = torch.Generator().manual_seed(2147483647)
X = torch.tensor([[0, 0, 5], [0, 5, 13], [5, 13, 13], [13, 13, 1]])  # ".em", "emm", "mma" -> the next character
Y = torch.tensor([5, 13, 13, 1])
C = torch.randn((27, 2), generator=g, requires_grad=True)
W1 = torch.randn((6, 8), generator=g, requires_grad=True)
b1 = torch.randn(8, generator=g, requires_grad=True)
W2 = torch.randn((8, 27), generator=g, requires_grad=True)
b2 = torch.randn(27, generator=g, requires_grad=True)
for name, p in (("C", C), ("W1", W1), ("b1", b1), ("W2", W2), ("b2", b2)):
    p.label = name

emb = C[X]  # (4, 3, 2): one row of C per character
emb.label = "emb"
h = torch.tanh(emb.view(-1, 6) @ W1 + b1)  # (4, 8)
h.label = "h"
logits = h @ W2 + b2  # (4, 27)
logits.label = "logits"
loss = F.cross_entropy(logits, Y)
loss.label = "loss"
loss.backward()  # the picture shows each node's gradient beside its data

out = Path(__file__).with_name("makemore_step.svg")
viz.render(viz.draw_graph(loss, title="one training step of makemore part 2's MLP"), out)
print(out)
