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
from .autograd import (
    BackwardTrace,
    TraceStep,
    detect_anomaly,
    enable_grad,
    is_grad_enabled,
    name_scope,
    no_grad,
    trace_backward,
)
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
from .functions import abs as abs  # tg.abs and tg.round: importable, kept out of __all__ (see below)
from .functions import (  # the elementwise functions under PyTorch's names (tg.maximum, tg.erf, ...)
    acos,
    acosh,
    asin,
    asinh,
    atan,
    atanh,
    ceil,
    clamp,
    clip,
    copysign,
    cos,
    cosh,
    eq,
    erf,
    exp,
    exp2,
    expm1,
    floor,
    floor_divide,
    ge,
    gt,
    isclose,
    isfinite,
    isinf,
    isnan,
    le,
    lerp,
    log,
    log1p,
    log2,
    log10,
    logaddexp,
    lt,
    maximum,
    minimum,
    ne,
    reciprocal,
    relu,
    remainder,
    rsqrt,
    sigmoid,
    sign,
    sin,
    sinh,
    sqrt,
    square,
    tan,
    tanh,
    trunc,
)
from .functions import round as round
from .random import get_rng_state, manual_seed, set_rng_state
from .serialization import load, save

# ---- reductions, scans, sorting and shape ops as package functions (tg.cumsum, tg.meshgrid, ...) ----
from .tensor_functions import all as all  # (kept out of __all__, as abs and round)
from .tensor_functions import any as any
from .tensor_functions import (
    argmax,
    argmin,
    argsort,
    chunk,
    cummax,
    cummin,
    cumprod,
    cumsum,
    diag,
    diagonal,
    flatten,
    flip,
    logcumsumexp,
    meshgrid,
    movedim,
    norm,
    permute,
    prod,
    repeat_interleave,
    roll,
    sort,
    split,
    squeeze,
    std,
    std_mean,
    topk,
    tril,
    triu,
    unflatten,
    unsqueeze,
    var,
    var_mean,
)
from .threads import get_num_threads, set_num_threads

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
from .dtypes import bool as bool  # noqa: A004 (PyTorch's torch.bool; kept out of __all__)
from .dtypes import float16, float32, float64, int32, int64
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

# ---- issue 16: what the Zero to Hero lectures call (torch.tensor, torch.Generator, ...) (one block) ----
# isort: split
from .torch_compat import Generator, allclose, cat, histogram, multinomial, tensor

__all__ = [
    "AnomalyError",
    "BackwardTrace",
    "TraceStep",
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
    "get_num_threads",
    "get_rng_state",
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
    "set_num_threads",
    "set_rng_state",
    "stack",
    "trace_backward",
    "viz",
    "where",
    # reductions, scans, sorting and shape ops (tensor_functions)
    "argmax", "argmin", "argsort", "chunk", "cummax", "cummin", "cumprod", "cumsum", "diag",
    "diagonal", "flatten", "flip", "logcumsumexp", "meshgrid", "movedim", "norm", "permute", "prod",
    "repeat_interleave", "roll", "sort", "split", "squeeze", "std", "std_mean", "topk", "tril", "triu", "unflatten",
    "unsqueeze", "var", "var_mean",
    # issue 12: creation, dtypes, products, gather/scatter
    "arange", "dtypes", "einsum", "empty", "empty_like", "eye", "float16", "float32", "float64", "full",
    "full_like", "gather", "index_select", "int32", "int64", "linspace", "masked_fill", "masked_select", "nonzero",
    "one_hot", "ones", "ones_like", "outer", "rand", "rand_like", "randint", "randint_like", "randn", "randn_like",
    "scatter", "scatter_add", "scatter_reduce", "tensordot", "zeros", "zeros_like",
]
# issue 16: the lectures' names (torch_compat)
__all__ += ["Generator", "allclose", "cat", "histogram", "multinomial", "tensor"]
# The elementwise functions. (abs, round, all, any and bool are importable but left out of __all__:
# `from tinygrad_edu import *` must not hide Python's built-ins.)
__all__ += [
    "acos",
    "acosh",
    "asin",
    "asinh",
    "atan",
    "atanh",
    "ceil",
    "clamp",
    "clip",
    "copysign",
    "cos",
    "cosh",
    "eq",
    "erf",
    "exp",
    "exp2",
    "expm1",
    "floor",
    "floor_divide",
    "ge",
    "gt",
    "isclose",
    "isfinite",
    "isinf",
    "isnan",
    "le",
    "lerp",
    "log",
    "log10",
    "log1p",
    "log2",
    "logaddexp",
    "lt",
    "maximum",
    "minimum",
    "ne",
    "reciprocal",
    "relu",
    "remainder",
    "rsqrt",
    "sigmoid",
    "sign",
    "sin",
    "sinh",
    "sqrt",
    "square",
    "tan",
    "tanh",
    "trunc",
]

