"""Counter-based randomness: a 64-bit hash of (seed, salt, key), scalar or vectorised.

The same (seed, salt, key) always gives the same number, in Python and in numpy, so any
user, edge or track can be computed on its own without generating anything before it.
"""

from __future__ import annotations

import random

import numpy as np

_M64 = (1 << 64) - 1
_GOLD = 0x9E3779B97F4A7C15
_C1 = 0xBF58476D1CE4E5B9
_C2 = 0x94D049BB133111EB
_INV53 = 1.0 / (1 << 53)


def _mix(x: int) -> int:
    x = (x + _GOLD) & _M64
    x = ((x ^ (x >> 30)) * _C1) & _M64
    x = ((x ^ (x >> 27)) * _C2) & _M64
    return x ^ (x >> 31)


def _base(seed: int, salt: int) -> int:
    return _mix(_mix(seed & _M64) ^ ((salt * _GOLD) & _M64))


def h64(seed: int, salt: int, key: int) -> int:
    """A 64-bit hash of (seed, salt, key)."""
    return _mix(_base(seed, salt) ^ (key & _M64))


def uniform(seed: int, salt: int, key: int) -> float:
    """A float in [0, 1) from (seed, salt, key)."""
    return (h64(seed, salt, key) >> 11) * _INV53


def rng_for(seed: int, salt: int, key: int) -> random.Random:
    """A ``random.Random`` seeded from (seed, salt, key) for drawing many details."""
    return random.Random(h64(seed, salt, key))


def h64_array(seed: int, salt: int, keys: np.ndarray) -> np.ndarray:
    """Vectorised ``h64`` over an integer array (same values as the scalar version)."""
    x = np.asarray(keys).astype(np.uint64) ^ np.uint64(_base(seed, salt))
    x = x + np.uint64(_GOLD)  # uint64 array arithmetic wraps silently
    x = (x ^ (x >> np.uint64(30))) * np.uint64(_C1)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(_C2)
    return x ^ (x >> np.uint64(31))


def uniform_array(seed: int, salt: int, keys: np.ndarray) -> np.ndarray:
    """Vectorised ``uniform``."""
    return (h64_array(seed, salt, keys) >> np.uint64(11)).astype(np.float64) * _INV53
