"""Golden values for ek.did: Card & Krueger (1994), AER 84(4), Tables 2 and 3.

Data: tests/data/did/card_krueger_1994_public.csv (David Card's public archive; see the README there).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.analysis.did import did
from evalkit.errors import AnalysisWarning

DATA = Path(__file__).parent / "data" / "did" / "card_krueger_1994_public.csv"


@pytest.fixture(scope="module")
def stores() -> pd.DataFrame:
    d = pd.read_csv(DATA)
    d["store"] = np.arange(len(d))  # SHEET is not unique (407 occurs in both states)
    d["fte0"] = d["EMPFT"] + d["NMGRS"] + 0.5 * d["EMPPT"]
    d["fte1"] = d["EMPFT2"] + d["NMGRS2"] + 0.5 * d["EMPPT2"]
    return d


def long_panel(stores: pd.DataFrame, closed_as_zero: bool = False) -> pd.DataFrame:
    d = stores.copy()
    if closed_as_zero:  # Table 3 row 5: stores closed temporarily (renovation, road works, fire) count as 0
        d.loc[d["STATUS2"].isin([2, 4, 5]), "fte1"] = 0.0
    long = pd.wide_to_long(d[["store", "STATE", "fte0", "fte1"]], "fte", i="store", j="wave").reset_index()
    long["nj"] = long["STATE"] == 1
    return long.dropna(subset=["fte"])


def balanced(long: pd.DataFrame) -> pd.DataFrame:
    return long.groupby("store").filter(lambda g: len(g) == 2)


def run(panel: pd.DataFrame):
    # Called exactly as a user would: two waves, no options. One pre period must warn, not refuse.
    with pytest.warns(AnalysisWarning, match="parallel pre-trends cannot be checked"):
        return did(panel, outcome="fte", unit="store", time="wave", treated="nj", intervention=1, seed=0)


def test_file_reproduces_table_2_means(stores):
    # Table 2, row 1 of "Employment": mean FTE (SE) by state and wave.
    expected = {(0, "fte0"): (23.33, 1.35), (1, "fte0"): (20.44, 0.51),
                (0, "fte1"): (21.17, 0.94), (1, "fte1"): (21.03, 0.52)}
    for (state, col), (mean, se) in expected.items():
        x = stores.loc[stores["STATE"] == state, col].dropna()
        assert round(x.mean(), 2) == mean
        assert round(x.std() / np.sqrt(len(x)), 2) == se


def test_table_3_row_4_balanced_sample(stores):
    # Table 3, row 4 (balanced sample of stores): NJ − PA change in mean FTE = 2.75 (1.34).
    res = run(balanced(long_panel(stores)))
    assert res.n_units == 384 and res.n_obs == 768 and res.n_treated == 309
    assert round(res.effect["estimate"], 2) == 2.75
    assert round(res.inference["se_cr1"], 2) == 1.34
    assert res.inference["method"] == "cluster"


def test_table_3_row_5_closed_stores_as_zero(stores):
    # Table 3, row 5: 2.51 (1.35). The paper's SE is the two-sample (unequal-variance) formula with n − 1
    # denominators; CR1 differs from it in the third digit (1.341 vs 1.346), so the SE is checked to 0.01.
    res = run(balanced(long_panel(stores, closed_as_zero=True)))
    assert round(res.effect["estimate"], 2) == 2.51
    assert res.inference["se_cr1"] == pytest.approx(1.35, abs=0.01)


def test_all_stores_uses_the_stores_seen_twice(stores):
    # With store fixed effects a store seen once carries no information about the change: the all-stores
    # TWFE estimate is the balanced one (Table 3, row 4), not the difference of unconditional means (row 3).
    full, bal = run(long_panel(stores)), run(balanced(long_panel(stores)))
    assert full.n_units == 410
    assert full.effect["estimate"] == pytest.approx(bal.effect["estimate"], abs=1e-10)
    assert round(full.inference["se_cr1"], 2) == 1.34
