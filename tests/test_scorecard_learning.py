"""The scorecard learned walk-forward (learning/scorecard.py), on hand-made examples.

A tiny warehouse holds the three relations the fit reads: component scores
(intermediate.int_health__component_values), contract outcomes
(intermediate.int_crm__contract_outcomes) and the seed weights (seeds.health_score_weights).
Renewal-stage examples on Mondays; a fit on D may use examples dated up to D - 120 days
(90-day horizon + 30 days renewal grace).
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np
import pytest

from learning import scorecard

FIT_DAY = dt.date(2024, 6, 1)
KNOWN_DAY = dt.date(2024, 1, 29)       # a Monday, FIT_DAY - 124 days: its label is decided on FIT_DAY
UNKNOWN_DAY = dt.date(2024, 2, 5)      # a Monday, FIT_DAY - 117 days: decided only after FIT_DAY
SEED = {"renewal": {"usage": 0.5, "support": 0.5}}
# the columns the hand-made component rows fill; weight_role defaults to evidence
VALUES = ("intermediate.int_health__component_values "
          "(account_id, as_of_date, lifecycle_stage, contract_id, seed_scorecard_version, component, score)")


def _warehouse(examples: list[tuple], outcomes: list[tuple]) -> duckdb.DuckDBPyConnection:
    """examples: (account_id, as_of_date, contract_id, usage score, support score);
    outcomes: (contract_id, end_date, outcome)."""
    con = duckdb.connect()
    con.execute("create schema intermediate; create schema seeds")
    con.execute("""create table intermediate.int_health__component_values (account_id varchar, as_of_date date,
        lifecycle_stage varchar, contract_id varchar, seed_scorecard_version varchar, component varchar,
        score double, weight_role varchar default 'evidence')""")
    con.executemany(f"insert into {VALUES} values (?, ?, 'renewal', ?, 'v1', ?, ?)",
                    [(a, d, c, name, s) for a, d, c, usage, support in examples
                     for name, s in (("usage", usage), ("support", support))])
    # the history runs to FIT_DAY, so FIT_DAY is a planned fit date
    con.execute(f"insert into {VALUES} values "
                "('filler', ?, 'renewal', 'c-filler', 'v1', 'usage', 50)", [FIT_DAY])
    con.execute("create table intermediate.int_crm__contract_outcomes (contract_id varchar, end_date date, "
                "outcome varchar)")
    con.executemany("insert into intermediate.int_crm__contract_outcomes values (?, ?, ?)", outcomes)
    con.execute("create table seeds.health_score_weights (scorecard_version varchar, lifecycle_stage varchar, "
                "component varchar, weight decimal(9, 4))")
    con.executemany("insert into seeds.health_score_weights values ('v1', ?, ?, ?)",
                    [(stage, c, w) for stage, weights in SEED.items() for c, w in weights.items()])
    return con


def _separable(n_churned: int, n_renewed: int, day: dt.date = KNOWN_DAY, tag: str = "") -> tuple[list, list]:
    """Churners use the product not at all, the others fully; support is the same for all."""
    end = day + dt.timedelta(days=45)
    examples, outcomes = [], []
    for i in range(n_churned):
        examples.append((f"churn{tag}{i}", day, f"c-churn{tag}{i}", 0.0, 50.0))
        outcomes.append((f"c-churn{tag}{i}", end, "churned"))
    for i in range(n_renewed):
        examples.append((f"stay{tag}{i}", day, f"c-stay{tag}{i}", 100.0, 50.0))
        outcomes.append((f"c-stay{tag}{i}", end, "renewed"))
    return examples, outcomes


def _fit(con, **settings) -> dict[tuple[str, str], dict]:
    scorecard.run(con, scorecard.ScorecardSettings(**settings), log=lambda line: None)
    cursor = con.execute(f"select * from {scorecard.TABLE} where effective_from = ?", [FIT_DAY])
    names = [c[0] for c in cursor.description]
    return {(r["lifecycle_stage"], r["component"]): r for r in (dict(zip(names, row, strict=True)) for row in cursor.fetchall())}


def test_a_component_that_separates_churners_gets_all_the_weight():
    con = _warehouse(*_separable(30, 30))
    weights = _fit(con, min_churn_events=20, shrinkage_events=0)
    usage, support = weights[("renewal", "usage")], weights[("renewal", "support")]
    assert (usage["weight"], support["weight"]) == (1.0, 0.0)
    assert (usage["method"], usage["n_examples"], usage["n_churn_events"]) == ("fitted", 60, 30)
    assert usage["scorecard_version"] == "v1-fit-2024-06-01"
    assert (usage["training_from"], usage["training_to"]) == (KNOWN_DAY, KNOWN_DAY)


def test_few_churn_events_shrink_towards_the_seed_weights():
    con = _warehouse(*_separable(30, 30))
    weights = _fit(con, min_churn_events=20, shrinkage_events=30)
    usage, support = weights[("renewal", "usage")], weights[("renewal", "support")]
    # 30 / (30 + 30) x fitted (1, 0) + 30 / (30 + 30) x seed (0.5, 0.5)
    assert (usage["weight"], support["weight"]) == (0.75, 0.25)
    assert (usage["fitted_weight"], usage["expert_weight"]) == (1.0, 0.5)
    assert usage["method"] == "shrunk"
    assert usage["reason"] == "fit on 30 churned contracts, shrunk towards the seed weights (30/(30+30) fitted)"


def test_below_the_minimum_of_churn_events_the_seed_weights_stay_and_say_why():
    con = _warehouse(*_separable(30, 30))
    weights = _fit(con, min_churn_events=31, shrinkage_events=0)
    usage = weights[("renewal", "usage")]
    assert (usage["weight"], weights[("renewal", "support")]["weight"]) == (0.5, 0.5)
    assert usage["method"] == "expert" and usage["fitted_weight"] is None
    assert usage["reason"] == "30 churned contracts known, fewer than the minimum of 31: seed weights kept"


def test_a_missing_component_is_reweighted_as_in_the_score():
    # support has no data for half the examples: in the fit it takes the others' weighted
    # mean, as the score re-weights, so the learned scorecard still ranks every churner
    # below every other account, and usage (the component that separates) weighs most
    examples, outcomes = _separable(30, 30)
    examples = [(a, d, c, u, None if i % 2 else s) for i, (a, d, c, u, s) in enumerate(examples)]
    con = _warehouse(examples, outcomes)
    weights = _fit(con, min_churn_events=20, shrinkage_events=0)
    w_usage, w_support = weights[("renewal", "usage")]["weight"], weights[("renewal", "support")]["weight"]
    assert w_usage > 0.5 and w_usage + w_support == pytest.approx(1)

    def score(usage, support):
        if support is None:
            return usage
        return w_usage * usage + w_support * support

    churners = [score(u, s) for a, _, _, u, s in examples if a.startswith("churn")]
    others = [score(u, s) for a, _, _, u, s in examples if a.startswith("stay")]
    assert max(churners) < min(others)


def test_a_missing_component_takes_the_evidence_mean_not_the_timing():
    # renewal_exposure (timing) lost all its points on every example; csat is missing on the
    # second. The missing x is the weighted mean of the evidence with data (usage 0.2 only),
    # not of all components with data ((0.5 x 1 + 0.25 x 0.2) / 0.75 = 0.733)
    lost = np.array([[1.0, 0.2, 0.4], [1.0, 0.2, np.nan]])
    weights = np.array([0.5, 0.25, 0.25])
    timing = np.array([True, False, False])
    filled = scorecard._fill_missing(lost, weights, timing)
    assert filled.tolist() == [[1.0, 0.2, 0.4], [1.0, 0.2, 0.2]]
    assert scorecard._fill_missing(lost, weights)[1, 2] == pytest.approx(0.55 / 0.75)
    # no evidence with data: the timing alone
    assert scorecard._fill_missing(np.array([[1.0, np.nan, np.nan]]), weights, timing).tolist() == [[1.0, 1.0, 1.0]]


def test_timing_keeps_its_seed_weight_and_the_evidence_shares_the_rest():
    # renewal_exposure (timing) separates churners as well as usage does, support not at all:
    # the fit still leaves timing at its seed 0.25 and gives usage the other 0.75
    churned = np.array([True] * 30 + [False] * 30)
    usage = np.where(churned, 0.0, 100.0)
    scores = np.column_stack([usage, usage, np.full(60, 50.0)])  # renewal_exposure, usage, support
    expert = np.array([0.25, 0.375, 0.375])
    settings = scorecard.ScorecardSettings(shrinkage_events=0)
    weights, fitted, method, _ = scorecard.fit_stage_weights(scores, churned, expert, 30, settings,
                                                             np.array([True, False, False]))
    assert method == "fitted"
    assert weights.tolist() == [0.25, 0.75, 0.0] and fitted[0] == 0.25
    # as plain evidence it would take a share of its own
    weights, _, _, _ = scorecard.fit_stage_weights(scores, churned, expert, 30, settings)
    assert weights[0] > 0.25 and weights.sum() == pytest.approx(1)


def test_the_score_formula_matches_the_fit():
    # the score of the same rows by score_sql: 100 - 100 x (the full-weight x of _fill_missing)
    con = duckdb.connect()
    rows = [("a", "renewal_exposure", 0.5, 0.0, "timing"), ("a", "usage", 0.25, 80.0, "evidence"),
            ("a", "csat", 0.25, None, "evidence"),
            ("b", "renewal_exposure", 0.5, 0.0, "timing"), ("b", "usage", 0.25, None, "evidence"),
            ("b", "csat", 0.25, None, "evidence")]
    con.execute("create table r (account varchar, component varchar, weight double, score double, weight_role varchar)")
    con.executemany("insert into r values (?, ?, ?, ?, ?)", rows)
    scores = dict(con.execute(f"select account, {scorecard.score_sql()} from r group by account").fetchall())
    # a: timing 0.5 x 0 + evidence (usage alone, with csat's weight) 0.5 x 80 = 40; b: timing alone = 0
    assert scores == {"a": pytest.approx(40.0), "b": pytest.approx(0.0)}
    lost = np.array([[1.0, 0.2, np.nan]])
    filled = scorecard._fill_missing(lost, np.array([0.5, 0.25, 0.25]), np.array([True, False, False]))
    assert 100 - 100 * (filled @ np.array([0.5, 0.25, 0.25]))[0] == pytest.approx(scores["a"])


def test_no_label_decided_after_the_fit_date_leaks_into_it():
    examples, outcomes = _separable(30, 30)
    reference = _fit(_warehouse(examples, outcomes), min_churn_events=20, shrinkage_events=0)
    # later examples that say the opposite (support separates, usage points the wrong way),
    # and the outcomes of contracts ending after the fit date flipped
    late_examples, late_outcomes = _separable(200, 200, day=UNKNOWN_DAY, tag="late")
    late_examples = [(a, d, c, 100 - u, 0.0 if a.startswith("churn") else 100.0) for a, d, c, u, _ in late_examples]
    flipped = [(c, FIT_DAY + dt.timedelta(days=10), "renewed" if o == "churned" else "churned")
               for c, _, o in late_outcomes]
    leaked = _fit(_warehouse(examples + late_examples, outcomes + flipped), min_churn_events=20, shrinkage_events=0)
    assert leaked == reference
    # the same late examples, once their labels are decided, do change the next fit
    con = _warehouse(examples + late_examples, outcomes + late_outcomes)
    con.execute(f"insert into {VALUES} values "
                "('filler', date '2024-07-01', 'renewal', 'c-filler', 'v1', 'usage', 50)")
    scorecard.run(con, scorecard.ScorecardSettings(min_churn_events=20, shrinkage_events=0), log=lambda line: None)
    july = dict(con.execute(f"select component, weight from {scorecard.TABLE} "
                            "where effective_from = date '2024-07-01'").fetchall())
    assert july["support"] > 0.5


def test_stages_with_one_seed_scorecard_are_fit_together_and_keep_one_scale():
    """Adoption and renewal share the seed weights: one fit over both stages' examples, the
    same weights for both, churned contracts counted once. Renewal examples (90-day label):
    20 churners without usage and 20 stayers with it. Adoption examples (180-day label):
    20 churners whose support score is 0, 20 stayers at 100 (usage is the same for all)."""
    examples, outcomes = _separable(20, 20)
    con = _warehouse(examples, outcomes)
    adoption_day = dt.date(2023, 10, 30)  # a Monday, FIT_DAY - 215 days: its 180-day label is decided
    end = adoption_day + dt.timedelta(days=150)
    rows, adoption_outcomes = [], []
    for i in range(40):
        churned = i < 20
        rows += [(f"a{i}", adoption_day, "adoption", f"c-a{i}", "v1", "usage", 50.0),
                 (f"a{i}", adoption_day, "adoption", f"c-a{i}", "v1", "support", 0.0 if churned else 100.0)]
        adoption_outcomes.append((f"c-a{i}", end, "churned" if churned else "renewed"))
    con.executemany(f"insert into {VALUES} values (?, ?, ?, ?, ?, ?, ?)", rows)
    con.executemany("insert into intermediate.int_crm__contract_outcomes values (?, ?, ?)", adoption_outcomes)
    con.executemany("insert into seeds.health_score_weights values ('v1', 'adoption', ?, ?)",
                    [("usage", 0.5), ("support", 0.5)])
    assert scorecard.shared_stages({"adoption": {"usage": 0.5, "support": 0.5}, "renewal": {"usage": 0.6, "support": 0.4},
                                    "onboarding": {"usage": 1.0, "support": 0.0}}) == [["adoption"], ["onboarding"],
                                                                                     ["renewal"]]
    assert scorecard.shared_stages({"adoption": SEED["renewal"], "renewal": SEED["renewal"]}) == [
        ["adoption", "renewal"]]
    fit = _fit(con, min_churn_events=20, shrinkage_events=0)
    # 40 churned contracts in all (20 renewal + 20 adoption): enough for one joint fit
    for stage in ("adoption", "renewal"):
        assert {c: fit[(stage, c)]["n_churn_events"] for c in ("usage", "support")} == {"usage": 40, "support": 40}
        assert fit[(stage, "usage")]["n_examples"] == 80
        assert fit[(stage, "usage")]["reason"] == ("fit on 40 churned contracts; stages adoption, renewal fit "
                                                    "together (one seed scorecard)")
    assert fit[("adoption", "usage")]["weight"] == fit[("renewal", "usage")]["weight"]
    assert fit[("adoption", "support")]["weight"] == fit[("renewal", "support")]["weight"]
    # by hand: the examples are symmetric (renewal: usage separates, support lost 0.5 for all;
    # adoption: support separates, usage lost 0.5 for all; as many of each), and the penalised
    # logistic fit has one optimum, so it weighs both alike. Renewal alone would put every
    # weight on usage (the first test above).
    assert {c: fit[("renewal", c)]["fitted_weight"] for c in ("usage", "support")} == {"usage": 0.5, "support": 0.5}
    assert fit[("adoption", "usage")]["horizon_days"] == 180 and fit[("renewal", "usage")]["horizon_days"] == 90


def test_a_later_run_adds_versions_and_never_refits_a_stored_one():
    examples, outcomes = _separable(30, 30)
    con = _warehouse(examples, outcomes)
    first = _fit(con, min_churn_events=20, shrinkage_events=0)
    # new evidence that would change the June fit arrives, and the history reaches July
    more, more_outcomes = _separable(100, 0, tag="more")
    con.executemany(f"insert into {VALUES} values (?, ?, 'renewal', ?, 'v1', ?, ?)",
                    [(a, d, c, name, s) for a, d, c, u, s in more for name, s in (("usage", 100.0), ("support", s))])
    con.executemany("insert into intermediate.int_crm__contract_outcomes values (?, ?, ?)", more_outcomes)
    con.execute(f"insert into {VALUES} values "
                "('filler', date '2024-07-01', 'renewal', 'c-filler', 'v1', 'usage', 50)")
    summary = scorecard.run(con, scorecard.ScorecardSettings(min_churn_events=20, shrinkage_events=0),
                            log=lambda line: None)
    assert summary.versions == ["v1-fit-2024-07-01"]
    assert _fit(con, min_churn_events=20, shrinkage_events=0) == first


def test_weights_are_on_the_seed_grid_and_add_up_to_one():
    import numpy as np
    rounded = scorecard._rounded(np.array([1 / 3, 1 / 3, 1 / 3]))
    assert list(rounded) == [0.3334, 0.3333, 0.3333] and rounded.sum() == pytest.approx(1, abs=1e-12)


def test_fit_dates_are_calendar_anchored():
    assert scorecard.planned_fit_dates(dt.date(2024, 1, 15), dt.date(2024, 4, 1), "month") == [
        dt.date(2024, 2, 1), dt.date(2024, 3, 1), dt.date(2024, 4, 1)]
    assert scorecard.planned_fit_dates(dt.date(2024, 2, 1), dt.date(2024, 3, 1), "month") == [
        dt.date(2024, 2, 1), dt.date(2024, 3, 1)]


def test_propose_writes_the_latest_fit_as_seed_rows_with_a_report(tmp_path):
    import csv
    import shutil

    # a file warehouse: the hand-made examples, fit on 2024-06-01, a history up to 2024-06-03
    examples, outcomes = _separable(30, 30)
    late, late_outcomes = _separable(5, 5, day=dt.date(2024, 2, 26), tag="late")   # unseen by the June fit
    memory = _warehouse(examples + late, outcomes + late_outcomes)
    memory.execute("create table seeds.health_band_thresholds as select * from (values "
                   "('v1', 'renewal', 'green', 70.0), ('v1', 'renewal', 'yellow', 40.0), ('v1', 'renewal', 'red', 0.0))"
                   " as t(scorecard_version, lifecycle_stage, band, min_score)")
    scorecard.run(memory, scorecard.ScorecardSettings(min_churn_events=20, shrinkage_events=30), log=lambda line: None)
    home = tmp_path / "home"
    home.mkdir()
    memory.execute(f"attach '{home / 'warehouse.duckdb'}' as file_warehouse")
    for schema in ("intermediate", "seeds", "learning"):
        memory.execute(f"create schema file_warehouse.{schema}")
        for (table,) in memory.execute("select table_name from duckdb_tables() where database_name = 'memory' "
                                       "and schema_name = ?", [schema]).fetchall():
            memory.execute(f"create table file_warehouse.{schema}.{table} as select * from memory.{schema}.{table}")
    memory.execute("detach file_warehouse")
    seeds = tmp_path / "seeds"
    shutil.copytree(Path(__file__).resolve().parents[1] / "dbt_project" / "seeds", seeds)
    before = {f: (seeds / f).read_text() for f in ("health_score_weights.csv", "health_score_components.csv")}

    repo = Path(__file__).resolve().parents[1]
    cli = [sys.executable, "-m", "cs360.cli"]   # the console script, run from the checkout
    done = subprocess.run([*cli, "scorecard", "propose", "--home", str(home), "--out", str(seeds), "--name", "v9"],
                          capture_output=True, text=True, timeout=120, cwd=repo)
    assert done.returncode == 0, done.stderr
    assert "proposal v9: v1-fit-2024-06-01 (fit walk-forward on seed v1)" in done.stdout
    assert "example days after 2024-01-29 (not seen by the proposal)" in done.stdout
    assert "3 weight rows" not in done.stdout and "2 weight rows of scorecard v9 appended" in done.stdout

    weights = list(csv.DictReader((seeds / "health_score_weights.csv").open()))
    assert [r for r in weights if r["scorecard_version"] == "v9"] == [
        {"scorecard_version": "v9", "lifecycle_stage": "renewal", "component": "support", "weight": "0.2500"},
        {"scorecard_version": "v9", "lifecycle_stage": "renewal", "component": "usage", "weight": "0.7500"}]
    assert (seeds / "health_score_weights.csv").read_text().startswith(before["health_score_weights.csv"])
    components = list(csv.DictReader((seeds / "health_score_components.csv").open()))
    assert ({r["component"] for r in components if r["scorecard_version"] == "v9"}
            == {r["component"] for r in components if r["scorecard_version"] == "v1"})
    bands = list(csv.DictReader((seeds / "health_band_thresholds.csv").open()))
    assert len([r for r in bands if r["scorecard_version"] == "v9"]) == 9
    # a second proposal under the same name is refused, and nothing is appended twice
    again = subprocess.run([*cli, "scorecard", "propose", "--home", str(home), "--out", str(seeds), "--name", "v9"],
                           capture_output=True, text=True, timeout=120, cwd=repo)
    assert again.returncode == 1 and "already exists" in again.stderr
    assert len(list(csv.DictReader((seeds / "health_score_weights.csv").open()))) == len(weights)


# --- the real Dagster job on the XS world ------------------------------------------------------

@pytest.fixture(scope="module")
def transformed(full_run):
    """The shared run of the whole job on the tiny world (tests/conftest.py): its transform
    steps are those of `cs360 run transform`."""
    return full_run.stage


def _step_order(stage) -> list[str]:
    return [e.step_key for e in stage.result.all_events if e.event_type_value == "STEP_START"]


def _materialized_by(stage) -> dict[str, str]:
    """Asset key (a/b) -> the step that materialized it."""
    return {"/".join(e.event_specific_data.materialization.asset_key.path): e.step_key
            for e in stage.result.all_events if e.event_type_value == "ASSET_MATERIALIZATION"}


def test_the_transform_stage_fits_the_scorecard_between_the_dbt_steps(full_run, transformed):
    steps, made_by = _step_order(transformed), _materialized_by(transformed)
    fit_step = made_by["learning/scorecard_weights"]
    # the component values come from a dbt step before the fit, the health scores from one after it
    assert steps.index(made_by["intermediate/int_health__component_values"]) < steps.index(fit_step)
    assert steps.index(fit_step) < steps.index(made_by["marts/health_scores"])
    with duckdb.connect(str(full_run.home.warehouse), read_only=True) as con:
        versions = con.execute(f"select scorecard_version, min(effective_from) from {scorecard.TABLE} "
                               "group by all order by 2").fetchall()
        days = con.execute("select as_of_date, any_value(scorecard_version), count(distinct scorecard_version) "
                           "from marts.health_scores group by all order by 1").fetchall()
    assert versions and all(name == f"v4-fit-{start.isoformat()}" for name, start in versions)
    for day, version, n_versions in days:
        in_force = [name for name, start in versions if start <= day]
        assert (version, n_versions) == (in_force[-1] if in_force else "v4", 1), day


def test_a_later_fit_leaves_earlier_scores_exactly_as_they_were(full_run, transformed):
    """A version added later scores only the days from its date on: the incremental run
    re-scores the last days, and every row before the new version's day stays identical."""
    from dagster import AssetSelection

    from cs360.runner import run_stage
    from orchestration.definitions import build_definitions
    from orchestration.defs.scorecard import SCORECARD_WEIGHTS_KEY
    with duckdb.connect(str(full_run.home.warehouse)) as con:
        last_day = con.execute("select max(as_of_date) from marts.health_scores").fetchall()[0][0]
        latest_fit = con.execute(f"select max(effective_from) from {scorecard.TABLE}").fetchall()[0][0]
        effective = last_day - dt.timedelta(days=1)
        assert latest_fit < effective
        before = con.execute("select * from marts.health_scores order by account_id, as_of_date").fetchall()
        # a later fit (as the asset writes it), with all the weight on usage
        con.execute(f"""insert into {scorecard.TABLE} by name
            select 'v4-fit-later' as scorecard_version, base_scorecard_version, date '{effective}' as effective_from,
                   lifecycle_stage, component, case when component = 'usage' then 1.0 else 0.0 end as weight,
                   expert_weight, null as fitted_weight, horizon_days, training_from, training_to, n_examples,
                   n_churn_events, 'fitted' as method, 'added by the test' as reason
            from {scorecard.TABLE}
            where scorecard_version = (select max_by(scorecard_version, effective_from) from {scorecard.TABLE})""")
    # what a new version changes: the transform stage's assets downstream of the fit
    graph = build_definitions(full_run.home).resolve_asset_graph()
    downstream = AssetSelection.keys(SCORECARD_WEIGHTS_KEY).downstream(include_self=False).resolve(graph)
    assert run_stage(full_run.home, "transform", only=downstream, log=lambda line: None, log_level="ERROR").success
    with duckdb.connect(str(full_run.home.warehouse), read_only=True) as con:
        after = con.execute("select * from marts.health_scores order by account_id, as_of_date").fetchall()
        columns = [c[0] for c in con.execute("select * from marts.health_scores limit 0").description]
    day, version = columns.index("as_of_date"), columns.index("scorecard_version")
    assert [r for r in after if r[day] < effective] == [r for r in before if r[day] < effective]
    rescored = [r for r in after if r[day] >= effective]
    assert rescored and {r[version] for r in rescored} == {"v4-fit-later"}
    usage, health = columns.index("usage_score"), columns.index("health_score")
    assert [r[health] for r in rescored] == [pytest.approx(r[usage], abs=0.05) for r in rescored]


def test_days_the_seed_scorecard_would_not_score_are_no_examples():
    """Days before a system's data begins have component rows without data: the score does
    not rate them (coverage below 0.5), so they teach the fit nothing either. Without that
    rule these 40 churners with no data would count as healthy, and how many of them a
    build holds depends on how far back its history reaches."""
    examples, outcomes = _separable(30, 30)
    reference = _fit(_warehouse(examples, outcomes), min_churn_events=20, shrinkage_events=0)
    blank = [(f"blank{i}", KNOWN_DAY, f"c-blank{i}", None, None) for i in range(40)]
    blank_outcomes = [(f"c-blank{i}", KNOWN_DAY + dt.timedelta(days=45), "churned") for i in range(40)]
    assert _fit(_warehouse(examples + blank, outcomes + blank_outcomes), min_churn_events=20,
                shrinkage_events=0) == reference
    # half the weight with data is enough, as in the score (support missing, usage known)
    half = [(f"half{i}", KNOWN_DAY, f"c-half{i}", 0.0, None) for i in range(10)]
    half_outcomes = [(f"c-half{i}", KNOWN_DAY + dt.timedelta(days=45), "churned") for i in range(10)]
    weights = _fit(_warehouse(examples + half, outcomes + half_outcomes), min_churn_events=20, shrinkage_events=0)
    assert (weights[("renewal", "usage")]["n_examples"], weights[("renewal", "usage")]["n_churn_events"]) == (70, 40)
