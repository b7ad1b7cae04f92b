"""Cost of the churn model: its learner runs on one OpenMP thread (threads spinning for each
other on shared cores cost more than they gain), on the generated history of the learning
benchmark."""

from __future__ import annotations

import duckdb
from threadpoolctl import threadpool_info

from benchmarks.learning import generate
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
