"""Holm's adjustment by hand equals R's p.adjust and statsmodels; the other methods are statsmodels'."""
from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.multitest import multipletests

from evalkit.analysis._multitest import adjust_p


def test_holm_equals_r_p_adjust():
    # R 4.x: p.adjust(c(0.01, 0.04, 0.03, 0.005, 0.5, 0.04, 1e-10), "holm") — unsorted, with a tie
    p = [0.01, 0.04, 0.03, 0.005, 0.5, 0.04, 1e-10]
    expected = [0.05, 0.12, 0.12, 0.03, 0.5, 0.12, 7.0000000000000006e-10]
    np.testing.assert_allclose(adjust_p(p, "holm"), expected, rtol=1e-15)


def test_holm_caps_at_one_and_keeps_a_single_p_value():
    np.testing.assert_allclose(adjust_p([0.3, 0.3, 0.3], "holm"), [0.9, 0.9, 0.9], rtol=1e-15)  # R: 0.9 ×3
    np.testing.assert_allclose(adjust_p([0.6, 0.7], "holm"), [1.0, 1.0])
    assert adjust_p([0.02], "holm").tolist() == [0.02]


@pytest.mark.parametrize("seed", range(5))
def test_holm_equals_statsmodels_on_random_families(seed):
    rng = np.random.default_rng(seed)
    p = np.round(rng.uniform(0, 0.2, size=int(rng.integers(2, 40))), 3)  # rounded: ties occur
    np.testing.assert_allclose(adjust_p(p, "holm"), multipletests(p, method="holm")[1], rtol=1e-14)


def test_other_methods_are_statsmodels():
    p = [0.01, 0.04, 0.03, 0.005]
    np.testing.assert_allclose(adjust_p(p, "fdr_bh"), multipletests(p, method="fdr_bh")[1])
    np.testing.assert_allclose(adjust_p(p, "bonferroni"), [0.04, 0.16, 0.12, 0.02])
