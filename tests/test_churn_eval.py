"""Churn mechanisms of the world generator and the churn benchmark's figures (issue 13, item 7).

The metric functions are checked on tiny arrays against hand-computed values; the
evaluation dates, population and labels on a hand-made world and warehouse; each
mechanism by its footprint in an XS world of a fixed seed (exact counts).
"""

from __future__ import annotations

import datetime as dt
import json
import types
from pathlib import Path

import duckdb
import numpy as np
import pytest

from benchmarks.churn_eval import (
    RESCORED_TABLES, auc, brier, evaluation_dates, expected_calibration_error, judge, labeled_pairs_sql, ratio, top_decile_lift,
)
from cs360.cli import _parser
from sandbox.world.cut import cut_world
from sandbox.world.generator import DEFAULT_AS_OF, SIZES, _epoch_day, generate_world
from sandbox.world.mechanisms import DEFAULT_MECHANISM, MECHANISMS, mechanism
from tests.test_world import _check_references, _check_time, _load

SEED = 5  # an XS seed whose few renewals show every mechanism


# --- metrics on tiny arrays ------------------------------------------------------------

def test_auc_counts_pairs_ranked_right_and_ties_half():
    # churned at risk 0.9 beats all three retained, churned at 0.4 beats 0.3 and 0.1: 5 of 6
    assert auc(np.array([1, 0, 1, 0, 0]), np.array([0.9, 0.8, 0.4, 0.3, 0.1])) == pytest.approx(5 / 6)
    assert auc(np.array([1, 0, 0]), np.array([0.5, 0.5, 0.2])) == pytest.approx(0.75)  # one tie: half
    assert auc(np.array([0, 0]), np.array([0.1, 0.2])) is None


def test_top_decile_lift_takes_ceil_n_over_ten_and_breaks_ties_by_key():
    y = np.zeros(20)
    y[[0, 1, 7, 12]] = 1  # base rate 4 / 20
    risk = np.arange(20, 0, -1, dtype=float)  # row 0 riskiest
    assert top_decile_lift(y, risk) == pytest.approx(1.0 / 0.2)  # top 2 both churned: 5
    risk[[1, 2]] = risk[0]  # rows 0, 1, 2 tie at the top: the key decides which two count
    assert top_decile_lift(y, risk, tiebreak=np.r_[2, 1, 0, np.arange(3, 20)]) == pytest.approx(0.5 / 0.2)
    assert top_decile_lift(y[:11], np.arange(11, 0, -1.0)) == pytest.approx((2 / 2) / (3 / 11))  # ceil(1.1) = 2
    assert top_decile_lift(np.zeros(5), np.ones(5)) is None


def test_calibration_error_over_equal_count_bins_and_brier():
    p = np.r_[np.full(5, 0.1), np.full(5, 0.9)]
    y = np.array([0, 0, 0, 0, 1, 1, 1, 1, 1, 0])
    # two bins: |0.1 - 0.2| and |0.9 - 0.8|, each half of the pairs
    assert expected_calibration_error(y, p, bins=2) == pytest.approx(0.1)
    # ten bins of one: the mean of |p - y| = (4 x 0.1 + 0.9 + 4 x 0.1 + 0.9) / 10
    assert expected_calibration_error(y, p) == pytest.approx(0.26)
    assert brier(y, p) == pytest.approx((8 * 0.01 + 2 * 0.81) / 10)
    assert expected_calibration_error(np.zeros(0), np.zeros(0)) is None


def test_ratio_to_target_is_one_at_the_bound():
    assert ratio(0.8, ">=", 0.8) == pytest.approx(1.0)
    assert ratio(0.72, ">=", 0.9) == pytest.approx(0.8)
    assert ratio(0.06, "<=", 0.03) == pytest.approx(0.5)
    assert ratio(None, ">=", 3.0) is None


# --- evaluation dates, population and labels ---------------------------------------------

def test_evaluation_dates_step_back_a_month_from_as_of_minus_ninety_days():
    dates = evaluation_dates(dt.date(2026, 10, 31), first_day=dt.date(2025, 9, 28))
    assert dates[-1] == dt.date(2026, 8, 2) and dates[0] == dt.date(2025, 10, 2)
    assert len(dates) == 11  # k = 11 (2025-09-02) lies before the first scored day
    # month ends are clamped: 2026-05-31 - 90 days = 2026-03-02; and a 31st steps to the 28th
    assert evaluation_dates(dt.date(2026, 5, 31), dt.date(2026, 1, 1))[:2] == [dt.date(2026, 1, 2),
                                                                               dt.date(2026, 2, 2)]
    assert evaluation_dates(dt.date(2026, 6, 29), dt.date(2026, 2, 1))[:1] == [dt.date(2026, 2, 28)]


CONTRACTS = """contract_id,account_id,start_date,end_date,mrr,seats,plan,renewed
A-01,A,2025-06-01,2026-06-01,100.00,10,starter,true
A-02,A,2026-06-01,2027-06-01,103.00,10,starter,
B-01,B,2025-09-15,2026-04-15,100.00,10,starter,false
C-01,C,2025-03-10,2026-03-10,100.00,10,starter,false
D-01,D,2026-02-15,2027-02-15,100.00,10,starter,
"""


@pytest.fixture
def tiny(tmp_path):
    """Four accounts, as of 2026-06-30; E = 2026-04-01 and 2026-03-01 (scores from 2026-03-01)."""
    world = tmp_path / "world"
    world.mkdir()
    (world / "meta.json").write_text(json.dumps(
        {"as_of": "2026-06-30", "seed": 1, "size": "XS", "generator": "hand"}))
    (world / "contracts.csv").write_text(CONTRACTS)
    return world


def test_population_and_labels_of_a_hand_made_world(tiny):
    dates = evaluation_dates(dt.date(2026, 6, 30), dt.date(2026, 3, 1))
    assert dates == [dt.date(2026, 3, 1), dt.date(2026, 4, 1)]
    rows = duckdb.sql(f"""
        select evaluated_on::varchar, account_id, contract_id, churned, renewal_cohort
        from ({labeled_pairs_sql(f"read_csv('{tiny / 'contracts.csv'}', all_varchar = true)", dates)})
        order by all""").fetchall()
    assert rows == [
        # on 03-01: B ends 04-15 unrenewed (churned), C ends 03-10 unrenewed (churned), A renews 06-01
        # (day 92: outside the horizon), D starts 02-15
        ("2026-03-01", "A", "A-01", False, False),
        ("2026-03-01", "B", "B-01", True, True),
        ("2026-03-01", "C", "C-01", True, True),
        ("2026-03-01", "D", "D-01", False, False),
        # on 04-01: C is gone; A renews within 90 days (cohort, not churned)
        ("2026-04-01", "A", "A-01", False, True),
        ("2026-04-01", "B", "B-01", True, True),
        ("2026-04-01", "D", "D-01", False, False),
    ]


def test_judge_reads_scores_and_predictions_of_the_evaluation_days(tiny, tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema marts")
        con.execute("""create table marts.health_scores as select * from (values
            ('A', date '2026-03-01', 80.0), ('B', date '2026-03-01', 30.0), ('C', date '2026-03-01', 60.0),
            ('D', date '2026-03-01', 55.0), ('A', date '2026-04-01', 70.0), ('B', date '2026-04-01', 20.0),
            ('D', date '2026-04-01', 90.0), ('A', date '2026-03-15', 1.0)) t(account_id, as_of_date, health_score)""")
        con.execute("""create table marts.churn_predictions as select * from (values
            ('A', date '2026-03-01', 0.1), ('B', date '2026-03-01', 0.7), ('C', date '2026-03-01', 0.2),
            ('D', date '2026-03-01', 0.3), ('A', date '2026-04-01', 0.2), ('B', date '2026-04-01', null),
            ('D', date '2026-04-01', 0.1)) t(account_id, as_of_date, churn_probability_90d)""")
    figures = judge(tiny, warehouse)
    assert (figures.n_pairs, figures.n_churned, figures.scored, figures.predicted) == (7, 3, 7, 6)
    # score (low = risky): churned 30, 60, 20 against retained 80, 55, 70, 90: 30 and 20 beat all
    # four, 60 beats 80, 70 and 90 but not 55: 11 of 12
    assert figures.score_auc == pytest.approx(11 / 12)
    # renewal cohort: B 30, C 60, A(04-01) 70 retained, B 20: both churned below 70
    assert figures.score_renewal_auc == pytest.approx(1.0)
    # top ceil(7/10) = 1 pair: B on 04-01 (score 20), churned; base rate 3/7
    assert figures.score_lift == pytest.approx(7 / 3)
    # model over the 6 predicted pairs: churned 0.7, 0.2 against 0.1, 0.3, 0.2, 0.1: 4 + 2.5 of 8
    assert figures.model_auc == pytest.approx(6.5 / 8)
    assert figures.model_lift == pytest.approx(1 / (2 / 6))
    assert figures.model_brier == pytest.approx((0.01 + 0.09 + 0.64 + 0.04 + 0.09 + 0.01) / 6)
    # ten bins of six pairs: one per pair, |p - y| on average
    assert figures.model_ece == pytest.approx((0.1 + 0.3 + 0.8 + 0.3 + 0.2 + 0.1) / 6)


# --- the mechanisms ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def worlds(tmp_path_factory):
    out = {}
    for name in MECHANISMS:
        world = tmp_path_factory.mktemp(name)
        meta = generate_world(world, size="XS", seed=SEED, mechanism=name)
        out[name] = (world, meta, _load(world))
    return out


def _hidden(name: str):
    """The mechanism's hidden draws for the XS world of SEED (its own random stream)."""
    last = _epoch_day(DEFAULT_AS_OF)
    world = types.SimpleNamespace(n=SIZES["XS"].accounts, first_day=last - SIZES["XS"].days + 1, last_day=last)
    chosen = mechanism(name, SEED)
    chosen.prepare(world)
    return chosen


def _day(ts) -> np.ndarray:
    """Epoch days of a UTC timestamp column."""
    return ts.dt.tz_convert(None).to_numpy().astype("datetime64[D]").astype(np.int64)


def test_the_flag_names_every_mechanism_and_a_wrong_one_fails_before_writing(tmp_path):
    world = _parser()._subparsers._group_actions[0].choices["world"]
    flag = next(a for a in world._actions if a.dest == "mechanism")
    assert flag.default == DEFAULT_MECHANISM and sorted(flag.choices) == sorted(MECHANISMS)
    with pytest.raises(ValueError, match="unknown churn mechanism 'budget'"):
        generate_world(tmp_path / "w", size="XS", mechanism="budget")
    assert not (tmp_path / "w").exists()


def test_every_mechanism_writes_a_valid_world_and_names_itself(worlds, tmp_path):
    cut_day = DEFAULT_AS_OF - dt.timedelta(days=120)
    for name, (world, _meta, t) in worlds.items():
        recorded = json.loads((world / "meta.json").read_text())
        assert recorded.get("mechanism", DEFAULT_MECHANISM) == name
        assert ("mechanism" in recorded) == (name != DEFAULT_MECHANISM)  # the default world is as it was
        _check_references(t)
        _check_time(t, DEFAULT_AS_OF)
        # and cut at a day, it is still a valid world of the same mechanism
        assert cut_world(world, tmp_path / name, cut_day).get("mechanism", DEFAULT_MECHANISM) == name
        cut = _load(tmp_path / name)
        _check_references(cut)
        _check_time(cut, cut_day)


def _renewals(t):
    """Contracts that follow another one, with the rise of their price per seat."""
    c = t["contracts"].sort_values(["account_id", "start_date"]).copy()
    c["pps"] = c["mrr"].astype(float) / c["seats"].astype(int)
    prev = c.groupby("account_id")[["pps", "plan"]].shift()
    c["hike"] = (c["plan"] == prev["plan"]) & (c["pps"] / prev["pps"] > 1.10)
    return c[prev["pps"].notna()]


def test_price_mechanism_raises_prices_and_the_dearer_contracts_churn(worlds):
    default, price = _renewals(worlds["health"][2]), _renewals(worlds["price"][2])
    assert default["hike"].sum() == 0  # without it a renewal on the same plan costs 3 % more
    decided = price[price["renewed"].notna()]
    by_outcome = decided.groupby("renewed")["hike"].agg(["size", "sum"]).to_dict("index")
    # both churned renewals had a price rise above 10 %, none of the six renewed ones did
    assert by_outcome == {"false": {"size": 2, "sum": 2}, "true": {"size": 6, "sum": 0}}


def test_feature_fade_empties_one_area_while_logins_go_on(worlds):
    hidden = _hidden("feature_fade")
    t = worlds["feature_fade"][2]
    ev = t["events"].merge(t["tenants"][["tenant_id", "account_id"]], on="tenant_id")
    ev = ev[ev["account_id"].notna()]
    acc = ev["account_id"].str[2:].astype(int).to_numpy() - 1001
    day = _day(ev["occurred_at"])
    start = hidden.fade_start[acc]
    fading = start < 10 ** 9
    in_area = (ev["event_type"] != "login").to_numpy() & (
        ev["feature"].to_numpy() == np.array(["dashboard", "projects", "tasks", "reports"])[hidden.area[acc]])
    assert len(np.unique(acc[fading])) == 7
    assert int((in_area & fading & (day < start)).sum()) == 168  # the area in use before the fade
    assert int((in_area & fading & (day >= start + hidden.RAMP_DAYS)).sum()) == 0  # gone after it
    logins = (ev["event_type"] == "login").to_numpy() & fading
    assert int((logins & (day >= start + hidden.RAMP_DAYS)).sum()) == 423  # and logins go on


def test_seasonal_dips_change_usage_not_renewals(worlds):
    hidden = _hidden("seasonal")
    default, seasonal = worlds["health"][0], worlds["seasonal"][0]
    # the dips never decide a renewal: the contracts are the default world's, byte for byte
    assert (seasonal / "contracts.csv").read_bytes() == (default / "contracts.csv").read_bytes()
    rates = []
    for name in ("health", "seasonal"):
        t = worlds[name][2]
        ev = t["events"].merge(t["tenants"][["tenant_id", "account_id"]], on="tenant_id")
        ev = ev[ev["account_id"].notna()]
        acc = ev["account_id"].str[2:].astype(int).to_numpy() - 1001
        dip = hidden.in_dip(acc, _day(ev["occurred_at"]))
        rates.append((int(dip.sum()), int((~dip & hidden.seasonal[acc]).sum())))
    # events of the seasonal accounts in their quiet season / the rest of the year: the
    # season's share falls from 709 / 3,537 (20 %) to 192 / 2,905 (7 %), about a quarter
    assert rates == [(709, 2828), (192, 2713)]


def test_a_silent_sponsor_keeps_being_asked_and_the_account_leaves(worlds):
    hidden = _hidden("sponsor")
    t = worlds["sponsor"][2]
    sponsor = t["contacts"].sort_values("contact_id").groupby("account_id").head(1)
    inv = t["survey_invitations"].merge(sponsor[["account_id", "email"]], on="email")
    inv = inv.merge(t["survey_responses"][["invitation_id", "response_id"]], on="invitation_id", how="left")
    silent_from = hidden.silent_from[inv["account_id"].str[2:].astype(int).to_numpy() - 1001]
    after = _day(inv["sent_at"]) >= silent_from
    assert (int(after.sum()), int(inv["response_id"][after].notna().sum())) == (62, 0)
    assert (int((~after).sum()), int(inv["response_id"][~after].notna().sum())) == (244, 200)
    # renewals decided 45 days or more after the sponsor fell silent: the three churned
    # contracts were all such, none of the fifteen renewed ones
    c = t["contracts"][t["contracts"]["renewed"].notna()]
    ends = np.array([_epoch_day(d) for d in c["end_date"]])
    silent = hidden.silent_from[c["account_id"].str[2:].astype(int).to_numpy() - 1001] <= ends - hidden.NOTICE_DAYS
    in_history = ends > _epoch_day(DEFAULT_AS_OF) - SIZES["XS"].days + 1
    decided = c.assign(silent=silent)[in_history].groupby("renewed")["silent"].agg(["size", "sum"])
    assert decided.to_dict("index") == {"false": {"size": 3, "sum": 3}, "true": {"size": 15, "sum": 0}}


def test_a_world_whose_contacts_have_no_duplicate_is_written():
    # seed 42's sponsor world draws no contact entered twice; the generator used to fail on it
    from sandbox.world.generator import _case_variant

    assert _case_variant(np.zeros(0, dtype=object), np.zeros(0)).tolist() == []


def test_judge_says_so_when_the_warehouse_scored_nothing(tiny, tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.health_scores (account_id varchar, as_of_date date, health_score double)")
    with pytest.raises(RuntimeError, match="marts.health_scores in .* is empty"):
        judge(tiny, warehouse)


def test_table_joins_the_rows_of_worlds_run_apart(tmp_path, capsys):
    from benchmarks.churn_eval import main
    first = {"size": "M", "mechanism": "health", "seed": 1, "n_pairs": 100, "n_churned": 10, "score_auc": 0.85,
             "score_renewal_auc": 0.9, "score_lift": 4.0, "model_auc": 0.95, "model_ece": 0.01}
    second = {"size": "M", "mechanism": "price", "seed": 2, "n_pairs": 100, "n_churned": 12, "score_auc": 0.76,
              "score_renewal_auc": 0.82, "score_lift": 2.4, "model_auc": 0.92, "model_ece": 0.04}
    (tmp_path / "a.json").write_text(json.dumps([first]))
    (tmp_path / "b.json").write_text(json.dumps([second]))
    assert main(["--table", str(tmp_path / "a.json"), str(tmp_path / "b.json")]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[2].split()[:8] == ["M", "health", "1", "100", "10", "-", "-", "0.850"]
    assert lines[3].split()[:8] == ["M", "price", "2", "100", "12", "-", "-", "0.760"]
    assert "score_auc          >= 0.8   worst 0.95 (price/2), met in 1 of 2" in out
    assert "model_ece          <= 0.03  worst 0.75 (price/2), met in 1 of 2" in out


def test_a_rescore_drops_every_incremental_score_history():
    # an incremental model keeps its earlier rows on the next dbt run: a rescore that left
    # one in place would judge the first build's scores, not the changed score
    models = Path(__file__).resolve().parents[1] / "dbt_project" / "models"
    incremental = {f"{path.parent.name}.{path.stem}" for path in models.rglob("*.sql")
                   if "materialized='incremental'" in path.read_text()}
    assert incremental == {"intermediate.int_health__scores", "marts.health_scores"}
    assert incremental <= set(RESCORED_TABLES)
