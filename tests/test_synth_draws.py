"""The synthetic county's fast draws give NumPy's own: the same seed, the same county."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tracelab.synth._draws import choice, search_right


@settings(max_examples=60, deadline=None)
@given(weights=st.lists(st.sampled_from([0.0, 1e-9, 0.001, 0.25, 1.0, 3.0, 1 / 3]),
                        min_size=1, max_size=300),
       size=st.sampled_from([1, 5, 1023, 1024, 5000, (300, 7)]), seed=st.integers(0, 2**32 - 1))
def test_choice_is_generator_choice(weights, size, seed):
    p = np.array(weights)
    if p.sum() == 0:
        p[0] = 1.0
    p /= p.sum()
    got = choice(np.random.default_rng(seed), len(p), size, p)
    want = np.random.default_rng(seed).choice(len(p), size=size, p=p)
    assert got.dtype == want.dtype and got.shape == want.shape
    assert (got == want).all()


@settings(max_examples=60, deadline=None)
@given(cuts=st.lists(st.integers(0, 2**16), min_size=1, max_size=50),
       seed=st.integers(0, 2**32 - 1))
def test_search_right_on_bucket_edges(cuts, seed):
    # cdf values on and next to the bucket edges (k / 2**16), and draws on them too
    cdf = np.sort(np.array([c / 2**16 for c in cuts] + [1.0]))
    u = np.random.default_rng(seed).random(4096)
    u[: len(cdf) - 1] = np.minimum(cdf[:-1], np.nextafter(1.0, 0.0))
    assert (search_right(cdf, u) == cdf.searchsorted(u, side="right")).all()
