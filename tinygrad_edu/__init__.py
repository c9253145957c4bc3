"""tinygrad_edu: reverse-mode automatic differentiation on NumPy, small enough to read.

>>> from tinygrad_edu import Value
>>> x = Value(3.0)
>>> y = x * x + 2 * x
>>> y.backward()
>>> x.grad          # dy/dx = 2x + 2
8.0
"""

from . import datasets, nn, optim, viz
from ._version import __version__
from .autograd import detect_anomaly, enable_grad, is_grad_enabled, name_scope, no_grad
from .engine import Value, concatenate, make_op, stack, where
from .errors import (
    AnomalyError,
    ArgumentError,
    AxisError,
    BackwardError,
    DataError,
    DatasetError,
    GraphIndexError,
    SerializationError,
    ShapeError,
    TinygradEduError,
)
from .functional_grad import grad
from .random import manual_seed
from .serialization import load, save

# ---- issue 12: creation, dtypes, products, gather/scatter (one block) ----
# isort: split
from . import dtypes
from .creation import (
    arange,
    empty,
    empty_like,
    eye,
    full,
    full_like,
    linspace,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    zeros,
    zeros_like,
)
from .dtypes import bool, float16, float32, float64, int32, int64  # noqa: A004 (PyTorch's torch.bool)
from .engine import einsum, outer, tensordot
from .nn.functional import one_hot
from .ops.gather import (
    gather,
    index_select,
    masked_fill,
    masked_select,
    nonzero,
    scatter,
    scatter_add,
    scatter_reduce,
)

__all__ = [
    "AnomalyError",
    "ArgumentError",
    "AxisError",
    "BackwardError",
    "DataError",
    "DatasetError",
    "GraphIndexError",
    "SerializationError",
    "ShapeError",
    "TinygradEduError",
    "Value",
    "__version__",
    "concatenate",
    "datasets",
    "detect_anomaly",
    "enable_grad",
    "grad",
    "is_grad_enabled",
    "load",
    "make_op",
    "manual_seed",
    "name_scope",
    "nn",
    "no_grad",
    "optim",
    "save",
    "stack",
    "viz",
    "where",
    # issue 12: creation, dtypes, products, gather/scatter
    "arange", "bool", "dtypes", "einsum", "empty", "empty_like", "eye", "float16", "float32", "float64", "full",
    "full_like", "gather", "index_select", "int32", "int64", "linspace", "masked_fill", "masked_select", "nonzero",
    "one_hot", "ones", "ones_like", "outer", "rand", "rand_like", "randint", "randint_like", "randn", "randn_like",
    "scatter", "scatter_add", "scatter_reduce", "tensordot", "zeros", "zeros_like",
]
