"""The engagement component and the no_csm_touch alert, by hand on the fixture world.

tests/dbt_raw_fixture.py plus these CRM activities (seed engagement_rules: full recency
within 14 days, none from 60; 2 meetings in 90 days for the full meetings part; weights
0.5 / 0.25 / 0.25; data from 90 days after the first activity, 2024-03-01 -> 2024-05-30):

    Acme (Salesforce)     Event  2024-03-01 meeting with the CTO (Taro)
                          Event  2024-04-10 meeting with the advisor (Pat)
                          Task   2024-06-20 call with the CTO
                          Task   2024-06-25 e-mail to the advisor, deleted 2024-06-28
                          Task   2024-06-29 internal to-do (no touch)
    Stark (Salesforce)    Task   2024-05-01 call, no contact, AccountId empty (WhatId only)
    Umbrella (HubSpot)    call   2024-03-20 with the CIO (Alice)
                          meeting 2024-06-01 with the CIO; meeting 2024-06-15 CANCELED
                          note   2024-06-20

    Acme 2024-06-30   last touch 06-20: 10 days -> 1; 1 meeting (04-10) -> 0.5; CTO -> 1
                      0.5 + 0.125 + 0.25 = 0.875                              -> 87.5
    Acme 2024-06-26   last touch 06-25 (the e-mail, not yet deleted): 1 day
    Acme 2024-06-28   the e-mail deleted that day: last touch 06-20, 8 days
    Acme 2024-06-09   last touch 04-10: 60 days -> 0; 1 meeting; no executive: 0.125;
                      the no_csm_touch alert (59 days the day before)
    Stark 2024-06-10  40 days -> (60 - 40) / 46 = 0.4348 x 0.5               = 0.2174
    Stark 2024-06-30  60 days, nothing else                                  = 0
    Umbrella 06-30    29 days -> 31 / 46 = 0.6739 x 0.5; 1 meeting; the CIO  = 0.7120
    Umbrella 05-30    71 days (silent already when the data starts: no alert); the CIO's
                      call of 03-20 is within 90 days                         = 0.25
    Globex 06-30      no activity at all, data in the CRMs                    = 0
    anyone 05-29      before the activity history is 90 days old              = no data
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

ACME, STARK, UMBRELLA, GLOBEX = (fx.ACCOUNT_IDS[k] for k in ("acme", "stark", "umbrella", "globex"))
TARO, PAT = "003000000000001AAA", "003000000000002AAA"  # Acme's CTO and advisor


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def _task(n: int, account: str | None, what: str, who: str | None, subtype: str, type_: str, done: str,
          deleted_at: str | None = None) -> tuple:
    return (f"00T00000000000{n}AAA", who, what, account, fx.SF_ALICE, f"task {n}", type_, subtype, "Completed",
            done[:10], ts(done), ts(done), ts(deleted_at or done), deleted_at is not None)


def _event(n: int, who: str, start: str, booked: str) -> tuple:
    return (f"00U00000000000{n}AAA", who, fx.SF_ACME, fx.SF_ACME, fx.SF_ALICE, f"meeting {n}", "Meeting", "Event",
            ts(start), ts(start), start[:10], 60, ts(booked), ts(start), False)


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    warehouse = fx.write_raw_fixture(tmp_path_factory.mktemp("engagement") / "warehouse.duckdb")
    hs = fx.HS_UMBRELLA
    fx.add_rows(warehouse, {
        "raw_salesforce.events": [_event(1, TARO, "2024-03-01 15:00", "2024-02-25 09:00"),
                                  _event(2, PAT, "2024-04-10 15:00", "2024-04-01 09:00")],
        "raw_salesforce.tasks": [
            _task(1, fx.SF_ACME, fx.SF_ACME, TARO, "Call", "Call", "2024-06-20 10:00"),
            _task(2, fx.SF_ACME, fx.SF_ACME, PAT, "Email", "Email", "2024-06-25 10:00", "2024-06-28 09:00"),
            _task(3, fx.SF_ACME, fx.SF_ACME, None, "Task", "Other", "2024-06-29 10:00"),
            _task(4, None, fx.SF_STARK, None, "Call", "Call", "2024-05-01 10:00"),
        ],
        "raw_hubspot.calls": [("8101", False, ts("2024-03-20 09:00"), "102", ts("2024-03-20 09:00"),
                               ts("2024-03-20 09:00"), "Check-in", "OUTBOUND", "COMPLETED", "600000", hs, "7004")],
        "raw_hubspot.meetings": [
            ("8201", False, ts("2024-06-01 09:00"), "102", ts("2024-05-20 09:00"), ts("2024-06-01 09:00"),
             "QBR", ts("2024-06-01 09:00"), ts("2024-06-01 10:00"), "COMPLETED", hs, "7004"),
            ("8202", False, ts("2024-06-15 09:00"), "102", ts("2024-06-01 09:00"), ts("2024-06-14 09:00"),
             "Roadmap", ts("2024-06-15 09:00"), ts("2024-06-15 10:00"), "CANCELED", hs, "7004"),
        ],
        "raw_hubspot.notes": [("8301", False, ts("2024-06-20 09:00"), "102", ts("2024-06-20 09:00"),
                               ts("2024-06-20 09:00"), "<p>notes</p>", hs, None)],
    })
    Dbt(tmp_path_factory.mktemp("cs360_home"), dbt_vars=None)(warehouse, "build", label="build")
    return warehouse


def engagement(warehouse: Path, account_id: str, day: date) -> dict:
    return one(warehouse, """
        select v.component_value, v.score, v.reason, e.days_since_touch, e.meetings_90d, e.executive_engaged_90d,
               e.touches_90d
        from intermediate.int_health__component_values as v
        inner join intermediate.int_crm__account_engagement_daily as e using (account_id, as_of_date)
        where v.component = 'engagement' and account_id = ? and as_of_date = ?""", [account_id, day])


def test_activities_resolve_to_accounts_with_kind_and_executive(home):
    found = rows(home, """select source_system, source_activity_id, account_id, kind, is_touch, is_executive_contact,
                                 owner_email, deleted_on
                          from intermediate.int_crm__activities order by occurred_at, activity_id""")
    assert [(r["account_id"], r["kind"], r["is_touch"], r["is_executive_contact"], r["deleted_on"]) for r in found] == [
        (ACME, "meeting", True, True, None),
        (UMBRELLA, "call", True, True, None),
        (ACME, "meeting", True, False, None),
        (STARK, "call", True, False, None),        # AccountId empty: the Account in WhatId
        (UMBRELLA, "meeting", True, True, None),   # the cancelled one is left out
        (UMBRELLA, "note", False, False, None),   # 09:00, the call at 10:00
        (ACME, "call", True, True, None),
        (ACME, "email", True, False, date(2024, 6, 28)),
        (ACME, "task", False, False, None),
    ]
    assert {r["owner_email"] for r in found} == {"csm.alice@vendor.example", "csm.dave@vendor.example"}
    # the mart the customer page reads leaves the deleted e-mail out
    assert one(home, "select count(*) as n from marts.crm_activities")["n"] == 8


@pytest.mark.parametrize("account, day, expected", [
    (ACME, date(2024, 6, 30), (0.875, 87.5, "last CSM touch 10 days ago, 1 meetings in 90 days, an executive engaged")),
    (ACME, date(2024, 6, 9), (0.125, 12.5, "last CSM touch 60 days ago, 1 meetings in 90 days, no executive engaged")),
    (STARK, date(2024, 6, 10), (0.5 * 20 / 46, 100 * 0.5 * 20 / 46,
                                "last CSM touch 40 days ago, 0 meetings in 90 days, no executive engaged")),
    (STARK, date(2024, 6, 30), (0.0, 0.0, "last CSM touch 60 days ago, 0 meetings in 90 days, no executive engaged")),
    (UMBRELLA, date(2024, 6, 30), (0.5 * 31 / 46 + 0.125 + 0.25, 100 * (0.5 * 31 / 46 + 0.375),
                                   "last CSM touch 29 days ago, 1 meetings in 90 days, an executive engaged")),
    (UMBRELLA, date(2024, 5, 30), (0.25, 25.0, "last CSM touch 71 days ago, 0 meetings in 90 days, an executive engaged")),
    (GLOBEX, date(2024, 6, 30), (0.0, 0.0, "no CSM touch logged, 0 meetings in 90 days, no executive engaged")),
])
def test_engagement_by_hand(home, account, day, expected):
    found = engagement(home, account, day)
    assert (found["component_value"], found["score"], found["reason"]) == (
        pytest.approx(expected[0]), pytest.approx(expected[1]), expected[2])


def test_a_deleted_touch_counts_only_while_it_existed(home):
    assert engagement(home, ACME, date(2024, 6, 26))["days_since_touch"] == 1
    assert engagement(home, ACME, date(2024, 6, 27))["touches_90d"] == 3   # the e-mail, the call, the 04-10 meeting
    after = engagement(home, ACME, date(2024, 6, 28))
    assert (after["days_since_touch"], after["touches_90d"]) == (8, 2)


def test_no_data_before_the_activity_history_is_old_enough(home):
    for account in (ACME, STARK, UMBRELLA, GLOBEX):
        found = engagement(home, account, date(2024, 5, 29))
        assert (found["component_value"], found["score"], found["reason"]) == (None, None, None)


def test_health_scores_carry_the_engagement_signals(home):
    acme = one(home, """select last_csm_touch_on, days_since_csm_touch, csm_touches_90d, meetings_90d,
                               executive_engaged_90d, engagement_score, engagement_contribution
                        from marts.health_scores where account_id = ? and as_of_date = ?""",
               [ACME, date(2024, 6, 30)])
    # v2 measures engagement with weight 0: a score, no contribution
    assert acme == {"last_csm_touch_on": date(2024, 6, 20), "days_since_csm_touch": 10, "csm_touches_90d": 2,
                    "meetings_90d": 1, "executive_engaged_90d": True, "engagement_score": 87.5,
                    "engagement_contribution": 0.0}


def test_no_csm_touch_alert_once_per_silence(home):
    alerts = rows(home, "select account_id, triggered_on, details, is_open from marts.alerts "
                        "where kind = 'no_csm_touch' order by account_id, triggered_on")
    # Acme on its 60th silent day; Umbrella was already silent when the data started: no alert
    assert [(a["account_id"], a["triggered_on"], a["is_open"]) for a in alerts] == [
        (ACME, date(2024, 6, 9), False)]
    assert alerts[0]["details"].startswith("no CSM touch for 60 days (last call, meeting or e-mail on 2024-04-10)")
