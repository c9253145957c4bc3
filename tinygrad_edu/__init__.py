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
from .random import get_rng_state, manual_seed, set_rng_state
from .serialization import load, save

# ---- reductions, scans, sorting and shape ops as package functions (tg.cumsum, tg.meshgrid, ...) ----
from .tensor_functions import (
    all,
    any,
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
    "all", "any", "argmax", "argmin", "argsort", "chunk", "cummax", "cummin", "cumprod", "cumsum", "diag",
    "diagonal", "flatten", "flip", "logcumsumexp", "meshgrid", "movedim", "norm", "permute", "prod",
    "repeat_interleave", "roll", "sort", "split", "squeeze", "std", "std_mean", "topk", "tril", "triu", "unflatten",
    "unsqueeze", "var", "var_mean",
]
