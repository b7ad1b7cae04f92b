"""Cost of the churn model, on the generated history of the learning benchmark: the learner
runs on one OpenMP thread (threads spinning for each other on shared cores cost more than
they gain) and trains on a bounded sample of both classes, weighted back by its calibrator."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from threadpoolctl import threadpool_info

from benchmarks.learning_cost import generate
from learning import churn_model

FAST = {"max_iter": 30, "learning_rate": 0.2, "max_leaf_nodes": 15, "min_samples_leaf": 20}


def _openmp_threads() -> set[int]:
    return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "openmp"}


def test_the_learner_fits_and_scores_on_one_thread(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    generate(path, accounts=300, days=365)
    during_run: list[set[int]] = []
    before = _openmp_threads()
    with duckdb.connect(str(path)) as con:
        summary = churn_model.run(con, churn_model.ModelSettings(every="quarter", learner_params=FAST),
                                  log=lambda _: during_run.append(_openmp_threads()))
        rows, predicted = con.execute("select (select count(*) from marts.health_scores), "
                                      "count(churn_probability_90d) from marts.churn_predictions").fetchall()[0]
    assert summary.versions_fit and summary.rows_scored == rows and predicted > 0
    # every version is logged from inside the run: one thread there, the caller's setting after
    assert during_run and all(threads == {1} for threads in during_run)
    assert _openmp_threads() == before


def test_sampling_shares_bound_the_rows_and_keep_both_classes():
    # churned rows get at least half the budget; retained rows the rest
    assert churn_model.sampling_shares(76_000, 556_000, 60_000) == (30_000 / 76_000, 30_000 / 556_000)
    # few retained rows: churned rows take what they leave
    assert churn_model.sampling_shares(76_000, 10_000, 60_000) == (50_000 / 76_000, 1.0)
    # few churned rows: all kept, retained rows fill the budget
    assert churn_model.sampling_shares(5_000, 100_000, 60_000) == (1.0, 0.55)
    assert churn_model.sampling_shares(1_000, 50_000, 60_000) == (1.0, 1.0)


def test_more_churned_rows_than_the_budget_still_fit_a_weighted_model(tmp_path):
    """Daily rows of a large churned cohort outnumber the training budget: both classes are
    sampled and weighted back, so the model still sees retained accounts and its base rate
    is the history's, not the sample's."""
    path = tmp_path / "warehouse.duckdb"
    generate(path, accounts=300, days=365)
    settings = churn_model.ModelSettings(every="quarter", learner_params=FAST, max_training_rows=1_000,
                                         min_churn_events=10)
    with duckdb.connect(str(path)) as con:
        churn_model.run(con, settings, log=lambda _: None)
        fits = con.execute("select model_version, n_training_rows, base_rate from learning.model_versions "
                           "where model is not null order by fit_date").fetchall()
        last_fit = dt.date.fromisoformat(fits[-1][0].removeprefix("churn-"))
        history_rate = con.execute(f"""
            select avg(churned::int) from ({churn_model.training_rows_sql(last_fit, settings)})
            where (epoch(as_of_date) / 86400)::bigint % 7 = 0""").fetchall()[0][0]
    assert [name for name, _, _ in fits] == ["churn-2023-07-01", "churn-2023-10-01"]
    assert all(900 <= rows <= 1_100 for _, rows, _ in fits)
    assert fits[-1][2] == pytest.approx(history_rate, rel=0.15)

