"""Point in time with learning (contract section 6): a world cut at T, built from scratch,
gives the same health scores, scorecard versions, churn model versions and churn
predictions for every day up to T as the full world built from scratch.

The S world of seed 1 (about 200 accounts, 400 days of events), cut at T by
sandbox.world.cut. Each world goes into raw tables straight from its files
(tests/dbt_raw_fixture.py), then dbt, the scorecard fit and the churn model run in the
order the Dagster job runs them. The thresholds are lowered so that this small world fits
learned scorecards and trains models before T (with the defaults every version falls back
to the seed weights and a null probability, and the check would prove little); the test
asserts that they did.

The score history covers the world's whole span: var score_history_days 1200 reaches
from either end back before the first contract (2023-10-08; the events begin a year
later). Since scorecard v4, `renewal_exposure` rates every day a contract covers, so days
before the first event are scored too: a shorter window would start each build's history
on a different day (450 days: 2025-05-23 for the cut, 2025-08-08 for the full world), and
the fits of the first months would learn from different examples (docs/health-score.md,
"Point in time, learned").

Slow: two builds of an S world, about 7 minutes on two busy shared cores.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from learning import churn_model, scorecard
from sandbox.world.cut import cut_world
from sandbox.world.generator import generate_world
from tests.dbt_raw_fixture import write_raw_from_world

pytestmark = pytest.mark.slow

PROJECT = Path(__file__).resolve().parents[1] / "dbt_project"
DBT_MAIN = "import sys; from dbt.cli.main import cli; sys.exit(cli())"
CUT_DAY = dt.date(2026, 8, 15)
DBT_VARS = "{score_history_days: 1200}"
SCORECARD = scorecard.ScorecardSettings(min_churn_events=5)
# the history reaches back two years before the first churn: the latest tenth of the
# training days (not a quarter) holds out for calibration, so the first fits have churners
# on both sides of the split
MODEL = churn_model.ModelSettings(min_churn_events=8, calibration_share=0.1)
FIT_INPUTS = "+int_health__component_values +int_crm__contract_outcomes"


def _dbt(home: Path, *args: str) -> None:
    env = {**os.environ, "CS360_HOME": str(home), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    command = [sys.executable, "-c", DBT_MAIN, *args, "--project-dir", str(PROJECT), "--profiles-dir", str(PROJECT),
               "--target-path", str(home / "dbt" / "target"), "--log-path", str(home / "dbt" / "logs")]
    if args[0] != "seed":
        command += ["--vars", DBT_VARS]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=1200, check=False)
    assert result.returncode == 0, f"dbt {' '.join(args)} failed:\n{result.stdout[-6000:]}"


def _build(world: Path, home: Path) -> Path:
    """Raw tables, dbt up to the component scores, the scorecard fit, dbt on to the health
    scores, then the churn model: the order of the Dagster job."""
    warehouse = write_raw_from_world(world, home / "warehouse.duckdb")
    _dbt(home, "seed")
    _dbt(home, "run", "--select", *FIT_INPUTS.split())
    with duckdb.connect(str(warehouse)) as con:
        scorecard.run(con, SCORECARD, log=lambda line: None)
    _dbt(home, "run", "--select", "+health_scores", "--exclude", *FIT_INPUTS.split())
    with duckdb.connect(str(warehouse)) as con:
        churn_model.run(con, MODEL, log=lambda line: None)
    return warehouse


@pytest.fixture(scope="module")
def builds(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("point_in_time")
    full_world, cut = root / "world", root / "world_cut"
    generate_world(full_world, size="S", seed=1)
    cut_world(full_world, cut, CUT_DAY)
    return _build(full_world, root / "full"), _build(cut, root / "cut")


def _rows(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, [CUT_DAY]).fetchall()


SCORES = "select * from marts.health_scores where as_of_date <= ? order by account_id, as_of_date"
PREDICTIONS = "select * from marts.churn_predictions where as_of_date <= ? order by account_id, as_of_date"
MODEL_VERSIONS = ("select * exclude (fitted_at, model, validated_through, validation_n, validation_churned, "
                  "validation_auc, validation_brier, validation_ece) from learning.model_versions "
                  "where fit_date <= ? order by fit_date")
# the versions from the one in force on the first scored day (fits on earlier days scored
# nothing: the component values reach back to the history window's start, before any data)
SCORECARDS = ("select * from learning.scorecard_weights where effective_from <= ? and effective_from >= ("
              "select max(effective_from) from learning.scorecard_weights "
              "where effective_from <= (select min(as_of_date) from marts.health_scores)) "
              "order by effective_from, lifecycle_stage, component")


def test_the_cut_world_scores_and_predicts_every_day_up_to_the_cut_as_the_full_world(builds):
    full, cut = builds
    first_day = _rows(full, "select min(as_of_date) from marts.health_scores where ? is not null")[0][0]
    assert _rows(cut, "select min(as_of_date) from marts.health_scores where ? is not null")[0][0] == first_day
    scores = _rows(full, SCORES)
    assert scores and max(r[1] for r in scores) == CUT_DAY
    assert _rows(cut, SCORES) == scores
    assert _rows(cut, SCORECARDS) == _rows(full, SCORECARDS)
    assert _rows(cut, MODEL_VERSIONS) == _rows(full, MODEL_VERSIONS)
    assert _rows(cut, PREDICTIONS) == _rows(full, PREDICTIONS)


def test_the_check_is_not_empty_learned_weights_and_probabilities_before_the_cut(builds):
    full, _ = builds
    methods = dict(_rows(full, "select method, count(distinct scorecard_version) from learning.scorecard_weights "
                               "where effective_from <= ? group by all"))
    assert methods.get("shrunk", 0) >= 1
    learned_days = _rows(full, "select count(*) from marts.health_scores where as_of_date <= ? "
                               "and scorecard_version in (select scorecard_version from learning.scorecard_weights "
                               "where method = 'shrunk')")[0][0]
    assert learned_days > 1000
    predicted = _rows(full, "select count(churn_probability_90d), count(distinct model_version) "
                            "filter (where churn_probability_90d is not null) from marts.churn_predictions "
                            "where as_of_date <= ?")[0]
    assert predicted[0] > 1000 and predicted[1] >= 2
