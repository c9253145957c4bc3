"""Shared test set-up: the tests folder on sys.path (for op_registry), and Hypothesis profiles."""

import os
import sys
from pathlib import Path

from hypothesis import settings

sys.path.insert(0, str(Path(__file__).parent))  # tests/op_registry.py

# In CI every run draws the same examples (a red run is reproducible); locally each run explores new ones.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
