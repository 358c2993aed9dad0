"""The sample municipality Exempelkommun: reproducible to the byte, and the true effects are in it.

The generator is run twice into temporary folders (about 4 s each). Effect checks are computed
here with plain pandas from the clean canonical tables the generator returns, independently of the
generator's own ``realised_truth``.

Tolerances come from the spread of each quantity across 16 seeds (``seed_spread.py 16``; SDs
quoted at each check) and are 3-4 SD wide, so a typical seed passes while a missing effect fails
(every effect checked is at least 4 SD from zero).
"""
from __future__ import annotations

import hashlib
import importlib.util
import re
import sys
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.schemas import CHANGE_TYPES, DECISIONS, LIFE_AREAS, ORDERS, OUTCOMES, PANDAS_DTYPES, VISITS

# the same folder as the ``sample_dir`` fixture (needed at import time, before fixtures exist)
SAMPLE = Path(__file__).resolve().parents[1] / "data_samples" / "exempelkommun"


def _import_generator():
    spec = importlib.util.spec_from_file_location("exempelkommun_generate", SAMPLE / "generate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


gen = _import_generator()
EFFECTS = tomllib.loads((SAMPLE / "effects.toml").read_text(encoding="utf-8"))


def _sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def first(tmp_path_factory):
    return gen.generate(tmp_path_factory.mktemp("first"))


@pytest.fixture(scope="module")
def decisions(first) -> pd.DataFrame:
    return first["decisions"]


# ----------------------------------------------------------------------------------- reproducibility
def test_same_seed_gives_identical_bytes_and_matches_committed_files(first, tmp_path):
    second = gen.generate(tmp_path)
    for a, b in zip(first["files"], second["files"]):
        assert _sha256(a) == _sha256(b), f"{a.name} differs between two runs with the same seed"
        assert _sha256(a) == _sha256(SAMPLE / a.name), f"committed {a.name} is not what generate.py writes"


def test_a_different_seed_gives_different_data(tmp_path):
    # guards against a generator that ignores its seed (and hence a meaningless determinism test)
    world = gen.build_world(seed=EFFECTS["world"]["seed"] + 1)
    base = gen.build_world()
    assert not world.persons["applied_on"].equals(base.persons["applied_on"])


def test_committed_data_are_small():
    total = sum((SAMPLE / f).stat().st_size for f in gen.FILES)
    assert total < 6_000_000


# ------------------------------------------------------------------------------- README and effects
def test_readme_effects_table_is_rendered_from_effects_toml():
    readme = (SAMPLE / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- effects:start -->\n")[1].split("\n<!-- effects:end -->")[0]
    assert block == gen.render_effects_table(EFFECTS)
    # and the rendered table really carries the numbers (not just any text)
    assert f"+{EFFECTS['ibic']['processing_days_level_change']:g} days" in block
    assert f"rate ratio {EFFECTS['flexible_codes']['rate_ratio']:g}" in block
    assert f"| {EFFECTS['faults']['decided_before_applied']} |" in block


def test_readme_realised_table_matches_this_draw(first):
    readme = (SAMPLE / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- realised:start -->\n")[1].split("\n<!-- realised:end -->")[0]
    assert block == gen.render_truth_table(first["truth"])


def test_configs_point_at_existing_files_and_name_the_true_dates():
    expected = {"ibic.toml": EFFECTS["ibic"]["date"], "rehab_pilot.toml": EFFECTS["rehab_pilot"]["date"],
                "flexible_codes.toml": EFFECTS["flexible_codes"]["date"]}
    for name, date in expected.items():
        cfg = tomllib.loads((SAMPLE / name).read_text(encoding="utf-8"))
        assert cfg["change"]["date"] == date
        assert isinstance(cfg["evaluation"]["seed"], int)
        for source in cfg["data"].values():
            for path in [source.get("path"), source.get("manifest"), *source.get("forms", [])]:
                if path is not None:
                    assert (SAMPLE / path).exists()  # [data.documents] path is a folder
        ids = [a["id"] for a in cfg["analyses"]]
        assert len(ids) == len(set(ids)) and all(re.fullmatch(r"[a-z0-9_]+", i) for i in ids)
    pilot = tomllib.loads((SAMPLE / "rehab_pilot.toml").read_text(encoding="utf-8"))
    assert pilot["analyses"][0]["treated"] == EFFECTS["rehab_pilot"]["treated"]


# ------------------------------------------------------------------------------- canonical schemas
@pytest.mark.parametrize("table,schema", [("decisions", DECISIONS), ("orders", ORDERS), ("visits", VISITS)])
def test_canonical_tables_follow_the_schemas(first, table, schema):
    frame = first[table]
    for col in schema.columns:
        if not col.required and col.name not in frame:
            continue
        assert str(frame[col.name].dtype) == PANDAS_DTYPES[col.kind], col.name
        if col.required and not col.nullable:
            assert frame[col.name].notna().all(), col.name
        if col.allowed:
            values = set(frame[col.name].dropna().astype(str))
            assert values <= set(col.allowed), (col.name, values - set(col.allowed))


def test_decision_ids_unique_and_person_ids_are_pseudonyms(decisions, first):
    assert decisions["decision_id"].is_unique
    for frame in (decisions, first["orders"], first["visits"]):
        assert frame["person_id"].str.fullmatch(r"P\d{6}").all()
    assert set(decisions["outcome"]) == set(OUTCOMES)
    assert set(decisions["life_area"].dropna()) <= set(LIFE_AREAS)
    assert set(first["orders"]["change_type"]) == set(CHANGE_TYPES)


def test_exports_contain_nothing_that_looks_like_an_identity_number():
    # a personnummer / fødselsnummer is 10-12 digits, possibly with a separator after 6 or 8
    pattern = re.compile(rb"\d{6}[-+ ]?\d{4}|\d{8}[-+ ]?\d{4}|\d{6} ?\d{5}")
    for name in gen.FILES:
        assert pattern.search((SAMPLE / name).read_bytes()) is None, name


# ------------------------------------------------------------------------------------ file formats
def test_decisions_export_is_a_cp1252_report_with_preamble_and_repeated_headers():
    raw = (SAMPLE / "beslut_procapita.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # Å, Ö, § as single cp1252 bytes
    lines = raw.decode("cp1252").split("\r\n")
    assert lines[0].startswith("Sammanställning beslut") and lines[1].startswith("Urval:") and lines[2] == ""
    header = ";".join(gen.DECISION_HEADER)
    assert lines[3] == header
    assert lines.count(header) > 1 and "\n" not in raw.decode("cp1252").replace("\r\n", "")
    assert re.search(r";\d+,5;SoL 4 kap\. 1 §;", "\n".join(lines))


def test_decisions_export_reads_back_to_the_canonical_table(decisions):
    path = SAMPLE / "beslut_procapita.csv"
    raw = pd.read_csv(path, sep=";", encoding="cp1252", skiprows=3, decimal=",", dtype=str,
                      keep_default_na=False)
    raw = raw[raw["Beslutsid"].str.fullmatch(r"B\d{6}")].reset_index(drop=True)  # drop page headers/blanks
    assert len(raw) == len(decisions)
    assert (raw["Beslutsid"] == decisions["decision_id"]).all()
    assert (raw["Enhet"] == decisions["unit"]).all()
    applied = pd.to_datetime(raw["Ansökningsdatum"].replace("", None)).astype("datetime64[ns]")
    assert applied.equals(decisions["applied_on"].rename("Ansökningsdatum"))
    hours = pd.to_numeric(raw["Beviljade timmar/mån"].str.replace(",", ".").replace("", None))
    assert np.allclose(hours.fillna(-1), decisions["hours_per_month"].astype(float).fillna(-1))
    goal = raw["Mål dokumenterat"].map({"Ja": True, "Nej": False})
    assert (goal == decisions["goal_recorded"].astype(bool)).all()
    outcome = raw["Beslut"].map({"Bifall": "granted", "Delvis bifall": "partly", "Avslag": "denied"})
    assert (outcome == decisions["outcome"]).all()


def test_orders_and_visits_exports_have_their_encodings(first):
    orders = (SAMPLE / "andrade_bestallningar.csv").read_bytes()
    assert orders.startswith(b"\xef\xbb\xbf" + "Beställnings-id;".encode("utf-8"))
    assert b"\r\n" in orders
    back = pd.read_csv(SAMPLE / "andrade_bestallningar.csv", sep=";", encoding="utf-8-sig")
    assert len(back) == len(first["orders"])
    assert set(back["Ändringstyp"]) == {"Tid", "Insats", "Nytt beslut", "Start", "Avslut", "Övrigt"}
    visits = (SAMPLE / "besok.csv").read_bytes()
    assert visits.startswith(b"Kund,Personal,Start,Slut,") and b"\r" not in visits
    vback = pd.read_csv(SAMPLE / "besok.csv", encoding="utf-8")
    assert len(vback) == len(first["visits"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", vback["Start"].iloc[0])
    assert set(vback["Besökstyp"]) == {"Planerat", "Larm", "Matleverans", "HSL"}


# ---------------------------------------------------------------------------------------- faults
def test_planted_faults_are_present_with_the_documented_counts(decisions):
    f = EFFECTS["faults"]
    assert (decisions["decided_on"] < decisions["applied_on"]).sum() == f["decided_before_applied"]
    assert (decisions["end_on"] < decisions["start_on"]).sum() == f["end_before_start"]
    home = decisions["service"].isin(["Hemtjänst omsorg", "Hemtjänst service"])
    granted = decisions["outcome"].isin(["granted", "partly"])
    assert (home & granted & decisions["hours_per_month"].isna()).sum() == f["granted_home_care_without_hours"]


# ------------------------------------------------------------------------------------- IBIC effects
def _processing_days(decisions: pd.DataFrame) -> pd.Series:
    days = (decisions["decided_on"] - decisions["applied_on"]).dt.days
    return days[days >= 0]


def test_ibic_shifts_processing_time_by_the_true_level_change(decisions):
    days = _processing_days(decisions)
    year = decisions.loc[days.index, "decided_on"].dt.year
    change = days[year == 2017].mean() - days[year == 2016].mean()
    # SD of this difference across seeds 0.37 days
    assert change == pytest.approx(EFFECTS["ibic"]["processing_days_level_change"], abs=1.5)
    # a location shift: the medians of three years either side move by the same amount (SD 0.34)
    pre = days[year.between(2014, 2016)].median()
    post = days[year.between(2017, 2019)].median()
    assert post - pre == pytest.approx(EFFECTS["ibic"]["processing_days_level_change"], abs=1)
    # no slope: 2014 vs 2016 and 2017 vs 2019 means equal within noise (SD ~0.45)
    assert abs(days[year == 2016].mean() - days[year == 2014].mean()) < 1.8
    assert abs(days[year == 2019].mean() - days[year == 2017].mean()) < 1.8


def test_processing_time_is_slower_in_july(decisions):
    days = _processing_days(decisions)
    month = decisions.loc[days.index, "decided_on"].dt.month
    july = days[month == 7].mean() - days[month.isin([5, 6, 8, 9])].mean()
    assert july == pytest.approx(EFFECTS["ibic"]["processing_days_july_extra"], abs=1.5)


@pytest.mark.parametrize("flag", ["goal_recorded", "own_view_recorded"])
def test_ibic_raises_documentation_shares(decisions, flag):
    year = decisions["decided_on"].dt.year
    before = decisions.loc[year.between(2014, 2016), flag].astype(float).mean()
    after = decisions.loc[year.between(2017, 2019), flag].astype(float).mean()
    # SD across seeds about 0.007 before and 0.006 after
    assert before == pytest.approx(EFFECTS["ibic"][f"{flag}_before"], abs=0.04)
    assert after == pytest.approx(EFFECTS["ibic"][f"{flag}_after"], abs=0.03)


def test_ibic_fields_exist_only_from_the_ibic_date(decisions):
    post = decisions["decided_on"] >= pd.Timestamp(EFFECTS["ibic"]["date"])
    assert decisions.loc[~post, "life_area"].isna().all()
    assert decisions.loc[post, "life_area"].notna().all()
    q = decisions.loc[post, "qualifier"].dropna()
    assert set(q) <= {0, 1, 2, 3, 4, 8, 9} and {8, 9} <= set(q)
    assert decisions.loc[post, "icf_code"].dropna().str.fullmatch(r"d\d{3}").all()


# ------------------------------------------------------------------------------------ rehab pilot
def _hours_per_user(decisions: pd.DataFrame, first: str, last: str) -> pd.DataFrame:
    """Per district and month: hours of decisions in force, summed per person, mean over persons.

    Both the factual hours and the hours without the pilot (same decisions, same persons).
    """
    columns = ["hours_per_month", "hours_no_pilot"]
    d = decisions[decisions["outcome"].isin(["granted", "partly"]) & decisions["hours_per_month"].notna()]
    frames = []
    for month in pd.date_range(first, last, freq="MS"):
        end = month + pd.offsets.MonthEnd(0)
        live = d[(d["start_on"] <= end) & (d["end_on"].isna() | (d["end_on"] >= month))]
        per_person = live.groupby(["unit", "person_id"])[columns].sum().astype(float)
        frames.append(per_person.groupby(level="unit").mean().assign(month=month))
    return pd.concat(frames).reset_index()


def test_pilot_cuts_hours_of_new_decisions_by_the_true_ratio(decisions):
    pilot = EFFECTS["rehab_pilot"]
    new = decisions[decisions["unit"].isin(pilot["treated"])
                    & (decisions["decided_on"] >= pd.Timestamp(pilot["date"]))
                    & decisions["hours_per_month"].notna()]
    ratio = new["hours_per_month"].astype(float).sum() / new["hours_no_pilot"].astype(float).sum()
    # hours are rounded to half hours, which moves the ratio by < 0.005
    assert ratio == pytest.approx(pilot["hours_ratio"], abs=0.01)
    untouched = decisions[~decisions["unit"].isin(pilot["treated"])
                          | (decisions["decided_on"] < pd.Timestamp(pilot["date"]))]
    assert (untouched["hours_per_month"] == untouched["hours_no_pilot"]).fillna(True).all()


def test_pilot_hours_difference_in_differences(decisions):
    pilot = EFFECTS["rehab_pilot"]
    panel = _hours_per_user(decisions, "2016-01-01", "2021-12-31")
    treated = panel["unit"].isin(pilot["treated"])
    post = panel["month"] >= pd.Timestamp(pilot["date"])
    att = (panel["hours_per_month"] - panel["hours_no_pilot"])[treated & post].mean()
    # true effect on the monthly stock, phased in as decisions are renewed (SD across seeds 0.06)
    assert -3.4 < att < -2.5
    means = panel.groupby([treated, post])["hours_per_month"].mean()
    did = (means[True, True] - means[True, False]) - (means[False, True] - means[False, False])
    # DiD of district means: SD across seeds 0.64 h around the ATT (finite-sample composition noise)
    assert did < 0 and abs(did - att) < 2.4
    # parallel trends before: a placebo date mid-way through the pre-period finds nothing
    pre = panel[~post]
    fake = pre["month"] >= pd.Timestamp("2017-07-01")
    m = pre.groupby([pre["unit"].isin(pilot["treated"]), fake])["hours_per_month"].mean()
    assert abs((m[True, True] - m[True, False]) - (m[False, True] - m[False, False])) < 1.5


def _kolada_continuity(visits: pd.DataFrame, birth_year: pd.Series, window: pd.Timestamp) -> pd.Series:
    """Distinct staff per eligible user (65+, >= 2 planned visits 07:00-22:00 on each of 14 days)."""
    v = visits[(visits["visit_start"] >= window) & (visits["visit_start"] < window + pd.Timedelta(days=14))]
    clock = v["visit_start"] - v["visit_start"].dt.normalize()
    v = v[(v["visit_kind"] == "planned") & (clock >= pd.Timedelta(hours=7)) & (clock <= pd.Timedelta(hours=22))]
    per_day = v.groupby(["person_id", v["visit_start"].dt.normalize()]).size().unstack(fill_value=0)
    days = per_day.reindex(columns=pd.date_range(window, periods=14), fill_value=0).min(axis=1)
    age = window.year - birth_year.reindex(days.index)
    eligible = days.index[(days >= 2) & (age >= 65)]
    v = v[v["person_id"].isin(eligible)]
    return v.groupby(["unit", "person_id"])["staff_id"].nunique()


def test_staff_continuity_level_and_pilot_effect(first, decisions):
    pilot = EFFECTS["rehab_pilot"]
    birth = decisions.groupby("person_id")["birth_year"].first().astype(float)
    rows = []
    for w in pilot["visit_windows"]:
        counts = _kolada_continuity(first["visits"], birth, pd.Timestamp(w))
        rows.append(counts.rename("n").reset_index().assign(window=pd.Timestamp(w)))
    cont = pd.concat(rows)
    assert 300 < len(cont) < 500  # about 64 % of the logged users meet the rule
    pre = cont["window"] < pd.Timestamp(pilot["date"])
    # national level about 15 (domain.md §2.6); SD across seeds of the pre-window mean 0.17
    assert cont.loc[pre, "n"].mean() == pytest.approx(pilot["continuity_mean"], abs=1.0)
    treated = cont["unit"].isin(pilot["treated"])
    m = cont.groupby([treated, pre])["n"].mean()
    did = (m[True, False] - m[True, True]) - (m[False, False] - m[False, True])
    # SD across seeds 0.53 (few users per district and window)
    assert did == pytest.approx(pilot["continuity_effect"], abs=1.6) and did < 0


def test_visit_log_contains_what_the_rule_must_exclude(first, decisions):
    v = first["visits"]
    assert {"alarm", "meal", "health"} <= set(v["visit_kind"])
    hour = v["visit_start"].dt.hour
    assert ((hour < 7) | (hour >= 22)).any()
    birth = decisions.groupby("person_id")["birth_year"].first()
    ages = 2018 - birth.reindex(v["person_id"].unique())
    assert (ages < 65).any()


# ---------------------------------------------------------------------------------- flexible codes
def _monthly_rate(first) -> pd.DataFrame:
    d = first["decisions"]
    d = d[d["outcome"].isin(["granted", "partly"])]
    months = pd.date_range("2013-01-01", "2022-12-01", freq="MS")
    orders = first["orders"]
    changes = orders.groupby([orders["unit"], orders["changed_on"].dt.to_period("M").dt.to_timestamp()]).size()
    rows = []
    for month in months:
        end = month + pd.offsets.MonthEnd(0)
        live = d[(d["start_on"] <= end) & (d["end_on"].isna() | (d["end_on"] >= month))]
        for unit, users in live.groupby("unit")["person_id"].nunique().items():
            rows.append((unit, month, users, changes.get((unit, month), 0)))
    return pd.DataFrame(rows, columns=["unit", "month", "active", "changes"])


def _expected_changes(rates: pd.DataFrame) -> pd.Series:
    """Design mean of order changes per district-month before flexible codes (no frailty)."""
    fc = EFFECTS["flexible_codes"]
    season = np.asarray(fc["season"]) / np.mean(fc["season"])
    t = (rates["month"].dt.year - 2013) * 12 + rates["month"].dt.month - 1
    return (rates["active"] * fc["order_changes_per_100_base"] / 100 * season[rates["month"].dt.month - 1]
            * (1 + fc["trend_per_year"]) ** (t / 12))


@pytest.fixture(scope="module")
def rates(first) -> pd.DataFrame:
    return _monthly_rate(first)


def test_flexible_codes_cut_the_order_change_rate(rates):
    fc = EFFECTS["flexible_codes"]
    total = rates.groupby("month")[["active", "changes"]].sum()
    rate = 100 * total["changes"] / total["active"]
    date = pd.Timestamp(fc["date"])
    before = rate[(rate.index >= date - pd.DateOffset(months=12)) & (rate.index < date)].mean()
    after = rate[(rate.index >= date) & (rate.index < date + pd.DateOffset(months=12))].mean()
    expected = fc["rate_ratio"] * (1 + fc["trend_per_year"])  # same calendar months, one year apart
    # SD of the 12-month ratio of means across seeds 0.041
    assert after / before == pytest.approx(expected, abs=0.13)
    base = rate[rate.index.year == 2013].mean()
    assert base == pytest.approx(fc["order_changes_per_100_base"], rel=0.1)


def test_order_changes_have_summer_peak_and_overdispersion(rates):
    fc = EFFECTS["flexible_codes"]
    pre = rates[rates["month"] < pd.Timestamp(fc["date"])]
    by_month = pre.groupby(pre["month"].dt.month)[["changes", "active"]].sum()
    season = by_month["changes"] / by_month["active"]
    season = season / season.mean()
    truth = np.asarray(fc["season"]) / np.mean(fc["season"])
    assert season[7] == pytest.approx(truth[6], abs=0.08)
    assert season[7] > season[[1, 2, 3, 10, 11]].max()
    # Pearson dispersion against the design mean: NB with shape 25 gives 1 + mu/25 ≈ 1.8 for mu ≈ 20
    mu = _expected_changes(pre)
    dispersion = (((pre["changes"] - mu) ** 2) / mu).mean()
    assert 1.3 < dispersion < 2.6


def test_flexible_codes_drop_is_in_time_and_service_changes(first):
    o = first["orders"]
    date = pd.Timestamp(EFFECTS["flexible_codes"]["date"])
    share = o.groupby(o["changed_on"] >= date)["change_type"].apply(lambda s: s.isin(["time", "service"]).mean())
    assert share[False] == pytest.approx(0.64, abs=0.03)
    assert share[True] < share[False] - 0.1


# ---------------------------------------------------------------------------------------- distractor
def test_covid_dip_hits_new_applications_but_not_the_effect_outcomes(first, decisions, rates):
    cov = EFFECTS["distractors"]["covid"]
    first_decision = decisions.sort_values("decided_on").drop_duplicates("person_id")
    applied = first_decision["applied_on"].dropna()

    def in_months(s, year):
        return s[(s.dt.year == year) & s.dt.month.between(3, 6)]

    dip = len(in_months(applied, 2020)) / np.mean([len(in_months(applied, 2019)), len(in_months(applied, 2021))])
    assert dip == pytest.approx(cov["new_applications_ratio"], abs=0.15)
    days = _processing_days(decisions)
    decided = decisions.loc[days.index, "decided_on"]
    spring = decided.dt.month.between(3, 6)
    covid = days[spring & (decided.dt.year == 2020)].mean()
    normal = days[spring & decided.dt.year.isin([2019, 2021])].mean()
    assert abs(covid - normal) < 2.0
    # order changes per active user in Mar-Jun 2020 follow the design rate (observed / expected;
    # SD of a 4-month ratio about 0.06 across seeds)
    spring = rates[(rates["month"].dt.year == 2020) & rates["month"].dt.month.between(3, 6)]
    assert spring["changes"].sum() / _expected_changes(spring).sum() == pytest.approx(1.0, abs=0.2)


def test_negative_control_outcomes_do_not_change_at_the_ibic_date(decisions):
    year = decisions["decided_on"].dt.year
    pre, post = year.between(2014, 2016), year.between(2017, 2019)
    denied = decisions["outcome"] == "denied"
    # about 1 000 denials in 21 000 rows: SE of each 3-year share about 0.002
    assert abs(denied[post].mean() - denied[pre].mean()) < 0.01
    due = decisions["follow_up_on"].notna() & (decisions["follow_up_on"] <= decisions["exit_on"].fillna(
        pd.Timestamp("2262-01-01")))
    done = decisions["followed_up_on"].notna()
    fu_year = decisions["follow_up_on"].dt.year
    shares = [done[due & fu_year.between(a, b)].mean() for a, b in ((2014, 2016), (2017, 2019))]
    assert shares[0] == pytest.approx(EFFECTS["world"]["followed_up_share"], abs=0.03)
    assert abs(shares[1] - shares[0]) < 0.03
