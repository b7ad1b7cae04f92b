"""The churn model: point-in-time labels, walk-forward fits that never see a future label,
the fallback without enough churn events, calibration, and predictions under a world cut.

The warehouse tables the model reads (marts.health_scores, the contract outcomes and terms)
are written here directly, so each test knows its exact input: a hand-checked tiny history
for the labels, and a generated one (400 accounts, a year) for the fits.
"""

from __future__ import annotations

import datetime as dt
import shutil

import duckdb
import numpy as np
import pytest

from benchmarks.learning_cost import daily_scores_sql
from cs360.report import churn_model_status
from learning import churn_model, labels
from learning.features import FEATURE_TABLE, build_features

D = dt.date

SCORE_COLUMNS = """
    account_id varchar, as_of_date date, contract_id varchar, lifecycle_stage varchar,
    health_score double, coverage double, usage_score double, support_score double,
    contract_end_date date, days_to_renewal integer, mrr double, seats integer,
    active_users_30d integer, logins_30d integer, logins_prev_30d integer,
    features_used_30d integer, features_available integer, last_activity_on date,
    open_tickets integer, tickets_90d integer, sla_breaches_90d integer, csat_90d double,
    nps_180d double, nps_responses_180d integer, people_trained integer, onboarding_completed boolean
"""


def _schema(con) -> None:
    con.execute("create schema marts; create schema intermediate")
    con.execute(f"create table marts.health_scores ({SCORE_COLUMNS})")
    con.execute("create table intermediate.int_crm__contract_outcomes (contract_id varchar, account_id varchar, "
                "start_date date, end_date date, outcome varchar)")
    con.execute("create table intermediate.int_crm__contracts (account_id varchar, contract_id varchar, "
                "start_date date, end_date date, mrr double, seats integer, previous_mrr double, previous_seats integer)")


# --- a hand-checked tiny history -----------------------------------------------------------

def _tiny(con) -> None:
    """A: one term 01-01..04-01, not renewed. B: 01-01..03-01, renewed by B2. C: open."""
    _schema(con)
    con.execute("""
        insert into intermediate.int_crm__contract_outcomes values
            ('cA', 'A', '2024-01-01', '2024-04-01', 'churned'),
            ('cB', 'B', '2024-01-01', '2024-03-01', 'renewed'),
            ('cB2', 'B', '2024-03-01', '2025-03-01', 'open'),
            ('cC', 'C', '2024-01-01', '2025-01-01', 'open')
    """)
    con.execute("""
        insert into marts.health_scores (account_id, as_of_date, contract_id, lifecycle_stage) values
            ('A', '2024-01-01', 'cA', 'adoption'), ('A', '2024-01-02', 'cA', 'renewal'),
            ('A', '2024-02-15', 'cA', 'renewal'),
            ('B', '2024-01-01', 'cB', 'renewal'), ('B', '2024-01-02', 'cB', 'renewal'),
            ('B', '2024-03-05', 'cB2', 'adoption'),
            ('C', '2024-01-01', 'cC', 'onboarding')
    """)


def test_hand_checked_labels_and_the_examples_known_on_each_fit_date():
    con = duckdb.connect()
    _tiny(con)
    every = con.execute(f"select account_id, as_of_date, churned from ({labels.labeled_examples_sql()}) "
                        "order by 1, 2").fetchall()
    # A on 01-01: the term ends 04-01, one day after 01-01 + 90 = 03-31, so not within 90 days
    assert every == [("A", D(2024, 1, 1), False), ("A", D(2024, 1, 2), True), ("A", D(2024, 2, 15), True),
                     ("B", D(2024, 1, 1), False), ("B", D(2024, 1, 2), False), ("B", D(2024, 3, 5), False),
                     ("C", D(2024, 1, 1), False)]

    def known(fit_date):
        return con.execute(f"select account_id, as_of_date, churned from ({labels.known_examples_sql(fit_date)}) "
                           "order by 1, 2").fetchall()

    # a fit on D learns from E + 90 + 30 <= D: on 05-01 the days up to 01-02
    assert known(D(2024, 4, 30)) == [("A", D(2024, 1, 1), False), ("B", D(2024, 1, 1), False),
                                     ("C", D(2024, 1, 1), False)]
    assert known(D(2024, 5, 1)) == [("A", D(2024, 1, 1), False), ("A", D(2024, 1, 2), True),
                                    ("B", D(2024, 1, 1), False), ("B", D(2024, 1, 2), False),
                                    ("C", D(2024, 1, 1), False)]
    assert len(known(D(2024, 6, 15))) == 6   # + A on 02-15 (02-15 + 120 = 06-14)
    assert known(D(2023, 12, 1)) == []


def test_fit_dates_follow_the_cadence(monkeypatch):
    first, last = D(2024, 1, 15), D(2024, 7, 2)
    assert labels.fit_dates(first, last) == [first, D(2024, 2, 1), D(2024, 3, 1), D(2024, 4, 1), D(2024, 5, 1),
                                             D(2024, 6, 1), D(2024, 7, 1)]
    assert labels.fit_dates(first, last, "quarter") == [first, D(2024, 4, 1), D(2024, 7, 1)]
    assert labels.fit_dates(first, D(2024, 2, 1), "week") == [first, D(2024, 1, 22), D(2024, 1, 29)]
    monkeypatch.setenv("CS360_REFIT_EVERY", "quarter")
    assert labels.fit_dates(first, last) == [first, D(2024, 4, 1), D(2024, 7, 1)]
    monkeypatch.setenv("CS360_REFIT_EVERY", "fortnight")
    with pytest.raises(ValueError, match="CS360_REFIT_EVERY='fortnight' is not a refit cadence"):
        labels.fit_dates(first, last)


# --- a generated history: 400 accounts over 2023 --------------------------------------------

FIRST, LAST = D(2023, 1, 1), D(2023, 12, 31)


def _generated(con, *, cut: dt.date | None = None, flip_after: dt.date | None = None) -> None:
    """Each account's yearly term ends on a day spread over 2023; a quarter of the accounts
    (weak usage, fading in the last 60 days, SLA breaches) do not renew. `cut` gives the
    warehouse as it stood on that day (later days absent, later outcomes not yet known);
    `flip_after` inverts the outcome of every term ending after that day."""
    _schema(con)
    today = cut or LAST
    con.execute("""
        create temp table accounts as
        select 'A' || lpad(i::varchar, 4, '0') as account_id,
            date '2022-01-01' + (i * 11 % 365)::int as term_start,
            hash(i, 'churn') % 4 = 0 as leaves,
            10 + (hash(i, 'seats') % 40)::int as seats,
            (hash(i, 'noise') % 1000) / 1000.0 as noise
        from range(400) as t(i)
    """)
    con.execute("""
        create temp table terms as
        select account_id, account_id || '-1' as contract_id, term_start as start_date,
            term_start + 365 as end_date, seats, leaves, 1 as term from accounts
        union all
        select account_id, account_id || '-2', term_start + 365, term_start + 730, seats, false, 2
        from accounts where not leaves
    """)
    flip = f"end_date > date '{flip_after}'" if flip_after else "false"
    con.execute(f"""
        insert into intermediate.int_crm__contract_outcomes
        select contract_id, account_id, start_date, end_date,
            case when end_date > date '{today}' then 'open'
                 when ({flip}) then case when leaves then 'renewed' else 'churned' end
                 when leaves then 'churned' else 'renewed' end
        from terms where start_date <= date '{today}'
    """)
    con.execute(f"""
        insert into intermediate.int_crm__contracts
        select account_id, contract_id, start_date, end_date, 10.0 * seats, seats,
            case when term = 2 then 10.0 * seats end, case when term = 2 then seats end
        from terms where start_date <= date '{today}'
    """)
    con.execute(daily_scores_sql(FIRST, today, "round(100 * active / seats, 1)"))
    con.execute("drop table accounts; drop table terms")


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    """The generated history, every version fit and every day scored."""
    path = tmp_path_factory.mktemp("churn") / "full.duckdb"
    with duckdb.connect(str(path)) as con:
        _generated(con)
        summary = churn_model.run(con, SETTINGS, log=lambda _: None)
    return path, summary


SETTINGS = churn_model.ModelSettings(every="quarter", learner_params={"max_iter": 60, "learning_rate": 0.1, "max_leaf_nodes": 15,
                                                     "min_samples_leaf": 20})


def _rows(path, sql, params=None):
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def test_versions_walk_forward_and_predict_every_scored_day(fitted):
    path, summary = fitted
    versions = _rows(path, "select model_version, fit_date, training_to, n_churn_events, null_reason, model is null "
                           "from learning.model_versions order by fit_date")
    assert [v[1] for v in versions] == [FIRST, D(2023, 4, 1), D(2023, 7, 1), D(2023, 10, 1)]
    for name, fit_date, training_to, events, reason, no_model in versions:
        assert name == f"churn-{fit_date}"
        # only examples whose label was decided on the fit date
        assert training_to is None or training_to <= fit_date - dt.timedelta(days=120)
        assert (reason is None) == (not no_model)
        assert events >= SETTINGS.min_churn_events or reason.endswith("fewer than the 30 needed")
    # early in the year no label is known yet: null with the reason, then models
    assert versions[0][3:5] == (0, "no trustworthy churn model: 0 churned contracts known on 2023-01-01, "
                                   "fewer than the 30 needed")
    assert versions[-1][4] is None and versions[-1][3] >= 50
    scored = _rows(path, "select count(*) from marts.health_scores")[0][0]
    predicted = _rows(path, "select count(*), count(churn_probability_90d), min(churn_probability_90d), "
                            "max(churn_probability_90d) from marts.churn_predictions")[0]
    assert predicted[0] == scored == summary.rows_scored
    assert 0 < predicted[1] < scored and 0 <= predicted[2] and predicted[3] <= 1
    # each day is scored by the latest version fit on or before it
    wrong = _rows(path, """
        select count(*) from marts.churn_predictions p
        where p.model_version <> (select max(v.model_version) from learning.model_versions v
                                  where v.fit_date <= p.as_of_date)""")[0][0]
    assert wrong == 0


def test_the_model_ranks_churners_and_names_drivers(fitted):
    path, _ = fitted
    auc, n, churned = _rows(path, "select validation_auc, validation_n, validation_churned from learning.model_versions "
                                  "where model_version = 'churn-2023-07-01'")[0]
    assert n > 10_000 and churned > 500 and auc > 0.9
    risky = _rows(path, "select top_drivers from marts.churn_predictions where churn_probability_90d > 0.5 "
                        "and as_of_date = '2023-12-01'")
    assert risky and all(drivers.count(";") <= 2 for (drivers,) in risky)
    words = " ".join(drivers for (drivers,) in risky)
    assert "renewal in " in words or "utilization " in words or "SLA breaches" in words
    safe = _rows(path, "select distinct top_drivers from marts.churn_predictions "
                       "where churn_probability_90d < 0.01 and as_of_date = '2023-12-01'")
    assert safe == [("no driver above the base churn rate",)]


def _fit_on(tmp_path, name, settings=SETTINGS, **world):
    path = tmp_path / f"{name}.duckdb"
    with duckdb.connect(str(path)) as con:
        _generated(con, **world)
        churn_model.run(con, settings, log=lambda _: None)
    return path


PREDICTIONS_UP_TO = "select * from marts.churn_predictions where as_of_date < ? order by account_id, as_of_date"
VERSIONS_UP_TO = ("select model_version, training_from, training_to, n_examples, n_churn_events, n_training_rows, "
                  "base_rate, null_reason from learning.model_versions where fit_date <= ? order by fit_date")


@pytest.mark.parametrize("grace_days", [30, pytest.param(0, marks=pytest.mark.slow)])
def test_no_label_decided_after_the_fit_date_reaches_the_fit(fitted, tmp_path, grace_days):
    """Invert every outcome decided after D (terms ending after D - 30): the versions fit up
    to D and their predictions stay exactly the same. With no grace period (grace_days=0)
    the fit on D would read outcomes of terms that ended within 30 days before D, which a
    renewal could still overturn: the same comparison catches that leak."""
    fit_day = D(2023, 7, 1)
    settings = churn_model.ModelSettings(**{**SETTINGS.__dict__, "grace_days": grace_days})
    original = fitted[0] if grace_days == 30 else _fit_on(tmp_path, "original", settings)
    flipped = _fit_on(tmp_path, "flipped", settings, flip_after=fit_day - dt.timedelta(days=30))
    next_fit = D(2023, 10, 1)
    same_versions = _rows(original, VERSIONS_UP_TO, [fit_day]) == _rows(flipped, VERSIONS_UP_TO, [fit_day])
    same_predictions = (_rows(original, PREDICTIONS_UP_TO, [next_fit]) == _rows(flipped, PREDICTIONS_UP_TO, [next_fit]))
    if grace_days == 30:
        assert same_versions and same_predictions
        # the flip is real: later versions learn from the inverted outcomes
        assert _rows(original, VERSIONS_UP_TO, [LAST]) != _rows(flipped, VERSIONS_UP_TO, [LAST])
    else:
        assert not (same_versions and same_predictions)


def test_without_enough_churn_events_the_probability_is_null_and_status_says_why(tmp_path):
    settings = churn_model.ModelSettings(**{**SETTINGS.__dict__, "min_churn_events": 10_000})
    path = _fit_on(tmp_path, "few", settings)
    assert _rows(path, "select count(*) from learning.model_versions where model is not null")[0][0] == 0
    reasons = _rows(path, "select distinct churn_probability_90d, top_drivers, null_reason from marts.churn_predictions "
                          "where as_of_date = '2023-12-31'")
    assert len(reasons) == 1 and reasons[0][:2] == (None, None)
    assert reasons[0][2].startswith("no trustworthy churn model: ")
    assert reasons[0][2].endswith("churned contracts known on 2023-10-01, fewer than the 10000 needed")
    with duckdb.connect(str(path), read_only=True) as con:
        assert churn_model_status(con) == f"churn model: {reasons[0][2]}; CRM churn risk is null"


def test_predictions_up_to_a_cut_day_survive_the_later_runs(fitted, tmp_path):
    """Cut at T: build, then let the world go on (the warehouse keeps its rows, like the
    incremental score table) and run again. Every version fit up to T and every prediction
    up to T is unchanged, and equal to a build of the full history from scratch."""
    cut_day = D(2023, 10, 20)
    path = _fit_on(tmp_path, "cut", cut=cut_day)
    before = _rows(path, PREDICTIONS_UP_TO, [cut_day + dt.timedelta(days=1)])
    assert before and max(r[1] for r in before) == cut_day
    # the world goes on: the same warehouse file, its inputs replaced by the later ones
    later = tmp_path / "later.duckdb"
    shutil.copy(path, later)
    with duckdb.connect(str(later)) as con:
        kept = con.execute(f"{FIT_COLUMNS} order by fit_date").fetchall()
        _generated_inputs_replace(con)
        churn_model.run(con, SETTINGS, log=lambda _: None)
        # the fits are kept as they were (their walk-forward validation grows as outcomes arrive)
        assert con.execute(f"{FIT_COLUMNS} where fit_date <= ? order by fit_date", [cut_day]).fetchall() == kept
    after = _rows(later, PREDICTIONS_UP_TO, [cut_day + dt.timedelta(days=1)])
    assert after == before
    assert _rows(fitted[0], PREDICTIONS_UP_TO, [cut_day + dt.timedelta(days=1)]) == before


FIT_COLUMNS = ("select * exclude (fitted_at, validated_through, validation_n, validation_churned, validation_auc, "
               "validation_brier, validation_ece) from learning.model_versions")


def _generated_inputs_replace(con) -> None:
    """Swap the model's inputs for those of the full history, keeping its own tables."""
    con.execute("drop table if exists marts.health_scores")
    con.execute("drop schema if exists intermediate cascade")
    con.execute("create schema if not exists intermediate")
    scratch = duckdb.connect()
    _generated(scratch)
    for table in ("marts.health_scores", "intermediate.int_crm__contract_outcomes", "intermediate.int_crm__contracts"):
        data = scratch.sql(f"select * from {table}").to_arrow_table()
        con.register("incoming", data)
        con.execute(f"create table {table} as select * from incoming")
        con.unregister("incoming")


# --- calibration ----------------------------------------------------------------------------

def test_expected_calibration_error_by_hand():
    p = np.array([0.1, 0.1, 0.3, 0.3, 0.5, 0.5, 0.7, 0.7, 0.9, 0.9])
    y = np.array([0, 0, 0, 1, 1, 1, 1, 1, 1, 1])
    # deciles of 1 row each: |0.1-0|,|0.1-0|,|0.3-0|,|0.3-1|,|0.5-1|,|0.5-1|,|0.7-1|,|0.7-1|,|0.9-1|,|0.9-1|
    assert churn_model.expected_calibration_error(p, y) == pytest.approx(
        (0.1 + 0.1 + 0.3 + 0.7 + 0.5 + 0.5 + 0.3 + 0.3 + 0.1 + 0.1) / 10)


def test_calibrated_on_later_data_matches_the_true_probabilities():
    """Known truth: P(churn) = sigmoid(3x - 3), a rare event. The boosted trees alone over-
    or under-state it; calibrated on the held-out later days they match within 0.02 ECE."""
    rng = np.random.default_rng(0)
    n = 40_000
    x = rng.normal(size=(n, 3)).astype(np.float32)
    truth = 1 / (1 + np.exp(-(3 * x[:, 0] - 3)))
    y = (rng.random(n) < truth).astype(np.int8)
    days = np.sort(rng.integers(0, 200, size=n))
    model, method = churn_model._fit_calibrated(x, y, np.ones(n), days, SETTINGS)
    assert method.startswith("isotonic on ")
    x_new = rng.normal(size=(20_000, 3)).astype(np.float32)
    p_true = 1 / (1 + np.exp(-(3 * x_new[:, 0] - 3)))
    y_new = (rng.random(20_000) < p_true).astype(np.int8)
    p = model.predict_proba(x_new)[:, 1]
    assert churn_model.expected_calibration_error(p, y_new) < 0.02
    assert abs(p.mean() - p_true.mean()) < 0.01


def test_status_names_the_version_in_force_and_its_walk_forward_figures():
    con = duckdb.connect()
    con.execute(churn_model.DDL)
    con.execute("insert into learning.model_versions (model_version, fit_date, n_churn_events) "
                "values ('churn-2026-10-01', '2026-10-01', 41)")
    con.execute("insert into marts.churn_predictions values ('A', '2026-10-31', 0.2, 'churn-2026-10-01', 'x', null), "
                "('B', '2026-10-31', 0.01, 'churn-2026-10-01', 'y', null), "
                "('A', '2026-10-30', 0.2, 'churn-2026-10-01', 'x', null)")
    assert churn_model_status(con) == ("churn model: churn-2026-10-01 (41 churn events, not validated yet); "
                                       "2 of 2 accounts predicted")
    con.execute("create table marts.score_validation as select * from (values "
                "('pooled', 90, 'churn_model', 12, 0.9412, 0.8126, 7.26, 0.0061), "
                "('pooled', 90, 'health_score', 12, 0.81, 0.85, 4.0, null), "
                "('version', 90, 'churn_model', 1, 0.5, 0.5, 1.0, 0.2)) "
                "t(scope, horizon_days, model, n_dates, auc, renewal_cohort_auc, top_decile_lift, ece)")
    assert churn_model_status(con) == (
        "churn model: churn-2026-10-01 (41 churn events, walk-forward over 12 evaluation dates: AUC 0.941, "
        "renewal-cohort AUC 0.813, top-decile lift 7.3, ECE 0.006); 2 of 2 accounts predicted")


def test_driver_phrases_of_the_survey_and_price_groups_by_hand():
    import re

    from learning.churn_model import DRIVER_TEXT, _driver_phrase
    columns = sorted({c for text in DRIVER_TEXT.values() for c in re.findall(r"\bf\.(\w+)", text)})
    con = duckdb.connect()
    con.execute(f"create table f as select * from (values ('surveys', 'price')) as t(first_driver, second_driver) "
                f"cross join (select {', '.join(f'cast(null as double) as {c}' for c in columns)})")
    con.execute("update f set silent_contact_score = 0, survey_response_score = 37.5, seat_price_score = 33.3")
    every = {c for c in columns}
    phrases = con.execute(f"select {_driver_phrase('first_driver', every)}, {_driver_phrase('second_driver', every)} "
                          "from f").fetchall()[0]
    assert phrases == ("survey invitations left unanswered (silent contact 0/100, response rate 38/100)",
                       "price per seat raised at the last renewal (33/100)")
    # a warehouse without those components: the groups are left out, not an error
    without = every - {"silent_contact_score", "seat_price_score"}
    assert con.execute(f"select {_driver_phrase('first_driver', without)}, {_driver_phrase('second_driver', without)} "
                       "from f").fetchall()[0] == (None, None)


def test_drivers_rewalk_only_the_trees_of_each_group_and_equal_predict_proba(fitted, tmp_path):
    """The drivers' per-tree shortcut gives exactly the probability predict_proba gives for
    the row with one group set to its training medians, re-walking fewer trees."""
    path = tmp_path / "copy.duckdb"
    shutil.copy(fitted[0], path)
    with duckdb.connect(str(path)) as con:
        build_features(con)
        version = churn_model._load_version(con, "churn-2023-10-01")
        table = con.sql(f"select * from {FEATURE_TABLE} where as_of_date = '2023-12-01'").to_arrow_table()
    X = churn_model._matrix(table, version.features, np.float64)
    groups = [[version.features.index(f) for f in members if f in version.features]
              for members in churn_model.DRIVER_GROUPS.values()]
    groups = [idx for idx in groups if idx]
    neutral = [np.array([version.medians[version.features[i]] for i in idx]) for idx in groups]
    trees = churn_model._TreeSum.of(version.model)
    fast = trees.group_probabilities(X, groups, neutral)
    for g, idx in enumerate(groups):
        changed = X.copy()
        changed[:, idx] = neutral[g]
        assert np.array_equal(fast[:, g], version.model.predict_proba(changed)[:, 1])
    walked = [sum(bool(splits & set(idx)) for splits in trees.splits_on) for idx in groups]
    assert len(X) == 319 and min(walked) < len(trees.trees)


def test_scoring_threads_and_chunks_change_no_prediction(fitted, tmp_path, monkeypatch):
    """Scoring in row chunks on several threads gives every probability and driver exactly as
    one thread over one chunk does (the stored versions are reused; only scoring runs)."""
    predictions = {}
    for threads, chunk_rows in ((1, 10**9), (3, 997)):
        path = tmp_path / f"threads-{threads}.duckdb"
        shutil.copy(fitted[0], path)
        monkeypatch.setattr(churn_model, "SCORING_CHUNK_ROWS", chunk_rows)
        monkeypatch.setattr(churn_model, "DRIVER_CHUNK_ROWS", chunk_rows)
        with duckdb.connect(str(path)) as con:
            con.execute(f"delete from {churn_model.PREDICTIONS}")
            settings = churn_model.ModelSettings(every=SETTINGS.every, learner_params=SETTINGS.learner_params,
                                                 scoring_threads=threads)
            summary = churn_model.run(con, settings, log=lambda _: None)
            assert summary.versions_fit == [] and summary.rows_scored > 100_000
            predictions[threads] = con.execute(
                f"select account_id, as_of_date, churn_probability_90d, model_version, top_drivers "
                f"from {churn_model.PREDICTIONS} order by account_id, as_of_date").fetchall()
    assert len(predictions[1]) == len(predictions[3]) > 100_000
    assert predictions[1] == predictions[3]
    assert sum(row[4] not in (None, "no driver above the base churn rate") for row in predictions[3]) > 1_000
