"""The components added from evidence (issue 13, item 6), by hand on the fixture world.

tests/dbt_raw_fixture.py, plus a term of Stark before its current one, built with every dbt
test under the default scorecard (v2). Acme on 2024-06-30 (the fixture's docstring):

    survey_response    4 invitations in 180 days, 3 answered          0.75  -> 100
    feature_retention  usual features (2024-03-03..05-31): integrations, api, dashboards,
                       exports, alerts = 5; still used in June: dashboards = 1
                                                                      0.2   -> 0
    user_trend         4 people active in June; 3 (u-acme-1, -2, -6) in the 30 days
                       up to 2024-04-01 (90 days before)              4/3   -> 100
    seat_price         first term: no data
Stark's term before (2023-02-01..2024-02-01: 2,000 MRR for 16 seats, 125 a seat) against
its current one (3,000 for 20, 150 a seat): the price per seat rose 20 %  -> 0.
"""

from __future__ import annotations

import importlib.util
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from test_dbt_project import Dbt, one, rows

_spec = importlib.util.spec_from_file_location("dbt_raw_fixture", Path(__file__).with_name("dbt_raw_fixture.py"))
fx = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fx)

ACME, STARK = fx.ACCOUNT_IDS["acme"], fx.ACCOUNT_IDS["stark"]
TODAY = fx.WORLD_TODAY  # 2024-06-30
NEW_COMPONENTS = ("survey_response", "feature_retention", "user_trend", "seat_price")


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    warehouse = fx.write_raw_fixture(tmp_path_factory.mktemp("components") / "warehouse.duckdb")
    stamp = datetime(2023, 1, 10, 9, tzinfo=timezone.utc)
    fx.add_rows(warehouse, {"raw_salesforce.contracts": [
        ("800000000000004AAA", fx.SF_STARK, "00000104", "2023-02-01", "2024-02-01", "Expired", 12, 2000.0, 16.0,
         "enterprise", stamp, stamp, False)]})
    Dbt(tmp_path_factory.mktemp("cs360_home"), dbt_vars=None)(warehouse, "build", label="build")
    return warehouse


def components(warehouse: Path, account_id: str, day: date) -> dict[str, dict]:
    return {r["component"]: r for r in rows(
        warehouse, "select component, component_value, score, reason from intermediate.int_health__component_values "
                   "where account_id = ? and as_of_date = ?", [account_id, day])}


def test_acme_new_components_by_hand(home):
    acme = components(home, ACME, TODAY)
    assert {c: (acme[c]["component_value"], acme[c]["score"]) for c in NEW_COMPONENTS} == {
        "survey_response": (0.75, 100.0),
        "feature_retention": (pytest.approx(0.2), 0.0),
        "user_trend": (pytest.approx(4 / 3), 100.0),
        "seat_price": (None, None),
    }
    assert acme["survey_response"]["reason"] == "3 of 4 survey invitations answered in 180 days"
    assert acme["feature_retention"]["reason"] == "1 of 5 usual features still used in 30 days"
    assert acme["user_trend"]["reason"] == "4 people active in 30 days, 3 90 days before"
    assert acme["seat_price"]["reason"] is None


def test_a_dearer_seat_at_the_last_renewal_scores_low(home):
    stark = components(home, STARK, TODAY)
    assert stark["seat_price"]["component_value"] == pytest.approx(1.2)
    assert stark["seat_price"]["score"] == 0.0
    assert stark["seat_price"]["reason"] == "price per seat up 20% at the last renewal"
    assert stark["relationship"]["component_value"] == pytest.approx(1.25)   # seats grew: a different signal
    # Stark has no product tenant and nobody was invited to a survey: no data, not a zero
    assert [stark[c]["score"] for c in ("survey_response", "feature_retention", "user_trend")] == [None] * 3


def test_feature_retention_counts_only_the_usual_features(home):
    # 2024-05-31: usual = used 2024-02-01..05-01 (integrations, api); of those none in May
    acme = components(home, ACME, date(2024, 5, 31))
    assert acme["feature_retention"]["reason"] == "0 of 2 usual features still used in 30 days"
    assert acme["feature_retention"]["score"] == 0.0


def test_acme_scored_with_scorecard_v2_by_hand(home):
    row = one(home, "select * from marts.health_scores where account_id = ? and as_of_date = ?", [ACME, TODAY])
    assert (row["lifecycle_stage"], row["scorecard_version"]) == ("adoption", "v2")
    # v2 adoption weights with data (relationship and seat_price have none): 0.95
    #   utilization 0.10 x 66.67 + usage 0.25 x 100 + usage_trend 0.05 x 25 + sentiment 0.10 x 16.7
    #   + training 0.05 x 100 + survey_response 0.10 x 100 (breadth, support, csat, feature_retention: 0)
    expected = (0.10 * 100 * 0.4 / 0.6 + 0.25 * 100 + 0.05 * 25 + 0.10 * 16.7 + 0.05 * 100 + 0.10 * 100) / 0.95
    assert row["health_score"] == pytest.approx(round(expected, 1))
    assert row["coverage"] == pytest.approx(0.95)
    assert row["survey_response_contribution"] == pytest.approx(0.10 / 0.95 * 100, abs=0.01)
    assert row["feature_retention_score"] == 0.0 and row["user_trend_contribution"] == 0.0
