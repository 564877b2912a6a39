"""Faster equivalents of NumPy draws whose results must not change (same seed, same county).

``Generator.choice(k, size, p=p)`` draws ``random(size)`` and looks each number up in the
cumulative ``p`` with a binary search; over millions of draws among hundreds of venues
the search, not the draw, is most of the time. :func:`choice` makes the same draw and
finds the same indices with a table of buckets.
"""

from __future__ import annotations

import numpy as np

__all__ = ["choice", "search_right"]

_BUCKETS = 1 << 16  # at most


def choice(rng: np.random.Generator, k: int, size: int | tuple[int, ...],
           p: np.ndarray) -> np.ndarray:
    """``rng.choice(k, size=size, p=p)`` (with replacement): the same draws and indices.

    Examples
    --------
    >>> p = np.array([0.5, 0.2, 0.3])
    >>> a = choice(np.random.default_rng(4), 3, (5, 2), p)
    >>> b = np.random.default_rng(4).choice(3, size=(5, 2), p=p)
    >>> bool((a == b).all()), a.dtype
    (True, dtype('int64'))
    """
    p = np.asarray(p, dtype=np.float64)
    if p.ndim != 1 or len(p) != k or k < 1 or (p < 0).any() or not abs(p.sum() - 1.0) <= 1e-8:
        return rng.choice(k, size=size, p=p)  # NumPy's own checks and messages
    # Generator.choice: cdf = p.cumsum(); cdf /= cdf[-1]; random(); searchsorted "right".
    cdf = p.cumsum()
    cdf /= cdf[-1]
    return search_right(cdf, rng.random(size))


def search_right(cdf: np.ndarray, u: np.ndarray) -> np.ndarray:
    """``cdf.searchsorted(u, side="right")`` for sorted ``cdf`` and ``u`` in [0, 1).

    Each ``u`` falls in one of up to ``_BUCKETS`` equal buckets; where no ``cdf`` value
    lies inside its bucket, the count of values ``<= u`` is the bucket's, else it is
    searched.

    Examples
    --------
    >>> cdf = np.array([0.1, 0.5, 0.5, 1.0])
    >>> u = np.array([0.0, 0.1, 0.3, 0.5, 0.99])
    >>> search_right(cdf, u).tolist() == cdf.searchsorted(u, side="right").tolist()
    True
    """
    u = np.asarray(u, dtype=np.float64)
    if u.size < 4 * len(cdf) or u.size < 1024:
        return cdf.searchsorted(u, side="right").astype(np.int64, copy=False)
    flat = u.reshape(-1)
    # Enough buckets that few hold a cdf value (a power of two: u * n and b / n are exact).
    n = min(_BUCKETS, max(1024, 1 << (16 * len(cdf)).bit_length()))
    edges = np.arange(n + 1, dtype=np.float64) / n
    at_edge = cdf.searchsorted(edges, side="right")
    bucket = (flat * n).astype(np.intp)
    out = at_edge[bucket]
    # A cdf value inside [b, b + 1) / n: the count there depends on u itself.
    mixed = np.flatnonzero(at_edge[bucket + 1] != out)
    if len(mixed):
        out[mixed] = cdf.searchsorted(flat[mixed], side="right")
    return out.astype(np.int64, copy=False).reshape(u.shape)
