"""The components added from evidence (issue 13, item 6), by hand on the fixture world.

tests/dbt_raw_fixture.py, plus a term of Stark before its current one, built with every dbt
test under the default scorecard (v4; tests/test_dbt_project.py checks v1 by hand). Acme on 2024-06-30 (the fixture's docstring):

    survey_response    4 invitations in 180 days, 3 answered          0.75  -> 100
    feature_retention  usual features (the year up to 05-31): integrations, api, dashboards,
                       exports, alerts = 5; still used in June: dashboards = 1
                                                                      0.2   -> 0
    user_trend         4 people active in June; 3 (u-acme-1, -2, -6) in the 30 days
                       up to 2024-04-01 (90 days before)              4/3   -> 100
    seat_price         first term: no data
Stark's term before (2023-02-01..2024-02-01: 2,000 MRR for 16 seats, 125 a seat) against
its current one (3,000 for 20, 150 a seat): the price per seat rose 20 %  -> 0.

silent_contact (an invitation is decided 14 days after it was sent; floor 3 in a row, target 0):
    Acme on 06-30: taro answered both of his, admin answered I2 (06-14, decided 06-28); the
    06-18 invitations are not decided yet                             0     -> 100
    Globex (added here): hanako answered I5 (05-15), then left I7 (05-29), I8 (06-05) and
    I9 (06-12, answered 06-28: after the 14 days) unanswered; ken never answered I10 (06-01)
        06-30: hanako 3 in a row (I9 decided 06-26)                    3     -> 0
        06-20: hanako 2 (I7 decided 06-12, I8 06-19), ken 1            2     -> 33.3
        06-13: hanako 1 (I7 decided 06-12); ken's I10 is decided 06-15 1     -> 66.7

renewal_exposure (days until the account decides again; floor 90, target 180):
    Initech's only term ends 2024-05-01, no renewal:
        2023-12-01: 152 days, none signed                             152   -> 68.9
        2024-03-01:  61 days (inside the renewal window)              61    -> 0
    Stark's current term (2024-02-01..2025-02-01) was created on 2023-01-10, before its
    previous term ended: on 2024-01-15 the renewal is signed and covers until 2025-02-01
                                                                      383   -> 100
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
GLOBEX = fx.ACCOUNT_IDS["globex"]


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    warehouse = fx.write_raw_fixture(tmp_path_factory.mktemp("components") / "warehouse.duckdb")
    stamp = datetime(2023, 1, 10, 9, tzinfo=timezone.utc)
    fx.add_rows(warehouse, {"raw_salesforce.contracts": [
        ("800000000000004AAA", fx.SF_STARK, "00000104", "2023-02-01", "2024-02-01", "Expired", 12, 2000.0, 16.0,
         "enterprise", stamp, stamp, False)]})
    # Umbrella's renewal deal: opened on 2024-05-15, won on 2024-06-20, for the term after 2024-08-01
    fx.add_rows(warehouse, {"raw_hubspot.deals": [
        ("9045", fx.HS_UMBRELLA, "Umbrella renewal 2024", "existingbusiness", "closedwon", "default", "18000",
         fx.ts("2024-06-20 00:00"), "2024-08-01", "2025-08-01", "1500", "15", "pro", fx.ts("2024-05-15 09:00"),
         fx.ts("2024-06-20 00:00"), False)]})

    def sent(inv_id: str, email: str, day: str) -> tuple:
        at = fx.ts(f"{day} 09:00")
        return (inv_id, email, "relationship", at, at)
    fx.add_rows(warehouse, {
        "raw_surveys.invitations": [sent("I7", "hanako@globex.example", "2024-05-29"),
                                    sent("I8", "hanako@globex.example", "2024-06-05"),
                                    sent("I9", "hanako@globex.example", "2024-06-12"),
                                    sent("I10", "ken@globex.example", "2024-06-01")],
        "raw_surveys.responses": [("R9", "I9", "hanako@globex.example", 6, None, fx.ts("2024-06-28 10:00"),
                                   fx.ts("2024-06-28 10:00"))]})
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
    # 2024-05-31: usual = used in the year up to 05-01 (integrations, api); of those none in May
    acme = components(home, ACME, date(2024, 5, 31))
    assert acme["feature_retention"]["reason"] == "0 of 2 usual features still used in 30 days"
    assert acme["feature_retention"]["score"] == 0.0


def test_silent_contact_counts_unanswered_invitations_in_a_row_by_hand(home):
    acme = components(home, ACME, TODAY)
    assert (acme["silent_contact"]["component_value"], acme["silent_contact"]["score"]) == (0, 100.0)
    assert acme["silent_contact"]["reason"] == "every surveyed contact answered their latest invitation"
    by_day = {day: components(home, GLOBEX, day)["silent_contact"]
              for day in (TODAY, date(2024, 6, 20), date(2024, 6, 13))}
    assert {day: (c["component_value"], c["score"]) for day, c in by_day.items()} == {
        TODAY: (3, 0.0), date(2024, 6, 20): (2, pytest.approx(100 / 3)), date(2024, 6, 13): (1, pytest.approx(200 / 3))}
    # an answer after the 14 days does not count: I9 stays unanswered
    assert by_day[TODAY]["reason"] == ("hanako@globex.example left the last 3 survey invitations unanswered "
                                       "(answered before)")
    # Stark: nobody invited, no data
    assert components(home, STARK, TODAY)["silent_contact"]["score"] is None


def test_renewal_exposure_counts_down_to_an_unsigned_renewal_by_hand(home):
    early, late = (components(home, fx.ACCOUNT_IDS["initech"], day)["renewal_exposure"]
                   for day in (date(2023, 12, 1), date(2024, 3, 1)))
    assert (early["component_value"], early["score"]) == (152, pytest.approx(100 * 62 / 90))
    assert early["reason"] == "renews in 152 days, no renewal signed"
    assert (late["component_value"], late["score"]) == (61, 0.0)
    assert late["reason"] == "renews in 61 days, no renewal signed"
    signed = components(home, STARK, date(2024, 1, 15))["renewal_exposure"]
    assert (signed["component_value"], signed["score"]) == (383, 100.0)
    assert signed["reason"] == "renewal signed, covered for 383 more days"


def test_a_hubspot_renewal_is_signed_when_its_deal_is_won_not_when_it_is_opened(home):
    """Umbrella's term ends 2024-08-01; its renewal deal was opened on 2024-05-15 and won on
    2024-06-20 (deal 9045 above). Rebuilt from today's CRM the deal is closedwon, but on the
    days before 06-20 nobody knew it would be: those days still count down to 08-01."""
    umbrella = fx.ACCOUNT_IDS["umbrella"]
    opened = components(home, umbrella, date(2024, 6, 10))["renewal_exposure"]
    assert (opened["component_value"], opened["score"]) == (52, 0.0)
    assert opened["reason"] == "renews in 52 days, no renewal signed"
    won = components(home, umbrella, date(2024, 6, 25))["renewal_exposure"]
    assert (won["component_value"], won["score"]) == (402, 100.0)
    assert won["reason"] == "renewal signed, covered for 402 more days"


def test_acme_scored_with_scorecard_v4_by_hand(home):
    row = one(home, "select * from marts.health_scores where account_id = ? and as_of_date = ?", [ACME, TODAY])
    assert (row["lifecycle_stage"], row["scorecard_version"]) == ("adoption", "v4")
    # v4 adoption (= renewal) weights with data (relationship and seat_price have none): 0.925 of 1.
    # renewal_exposure (timing) keeps its 0.25: the term ends 2025-01-01, 185 days away, none
    # signed -> 100. The evidence with data (0.675) shares the other 0.75:
    #   utilization 0.0375 x 66.67 + usage 0.075 x 100 + usage_trend 0.0375 x 25 + breadth 0.1125 x 0
    #   + support 0.0375 x 0 + csat 0.0375 x 0 + sentiment 0.1125 x 16.7 + survey_response 0.0375 x 100
    #   + feature_retention 0.075 x 0 + user_trend 0.0375 x 100 + silent_contact 0.075 x 100
    evidence = (0.0375 * 100 * 0.4 / 0.6 + 0.075 * 100 + 0.0375 * 25 + 0.1125 * 16.7 + 0.0375 * 100
                + 0.0375 * 100 + 0.075 * 100) / 0.675
    assert row["health_score"] == pytest.approx(round(0.25 * 100 + 0.75 * evidence, 1))
    assert row["coverage"] == pytest.approx(0.925)
    assert row["silent_contact_contribution"] == pytest.approx(0.075 / 0.675 * 0.75 * 100, abs=0.01)
    assert (row["renewal_exposure_score"], row["renewal_exposure_contribution"]) == (100.0, 25.0)
    assert row["training_contribution"] == 0.0
