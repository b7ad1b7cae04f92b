"""Alerts out: `marts.alerts` rows posted to the Slack-compatible webhook double, each once."""

from __future__ import annotations

import datetime as dt
import json
import time

import duckdb
import pytest

from cs360_core.settings import Home
from reverse_etl.alerts import deliver_alerts
from retry_support import fast_policy
from sandbox.doubles.faults import FaultPlan
from sandbox.doubles.server import Sandbox

KINDS = ("nps_detractor", "score_drop", "usage_drop", "renewal_at_risk")


@pytest.fixture
def sandbox(tiny_world, tmp_path, monkeypatch):
    with Sandbox(tiny_world, tmp_path / "sandbox", faults=FaultPlan(seed=7)) as running:
        for key, value in running.env.items():
            monkeypatch.setenv(key, value)
        yield running


@pytest.fixture
def home(tmp_path) -> Home:
    (tmp_path / "home").mkdir()
    return Home(tmp_path / "home")


def write_alerts(home: Home, n: int, start: int = 0) -> list[str]:
    """`n` alerts (ids A-<start>..) in marts.alerts, plus a customer_360 to name accounts."""
    ids = [f"A-{i:04d}" for i in range(start, start + n)]
    with duckdb.connect(str(home.warehouse)) as con:
        con.execute("create schema if not exists marts")
        con.execute("create table if not exists marts.alerts (alert_id varchar, account_id varchar, kind varchar, "
                    "created_at timestamp, details varchar)")
        con.execute("create or replace table marts.customer_360 as select 'C-1' as account_id, "
                    "'Acme <Corp>' as name, 'jane@cs.example' as owner_csm")
        con.executemany("insert into marts.alerts values (?, ?, ?, ?, ?)", [
            [alert_id, "C-1" if i % 2 == 0 else f"C-{i}", KINDS[i % 4], dt.datetime(2025, 6, 1) + dt.timedelta(hours=i),
             json.dumps({"score": 40 - i, "change_30d": -12}) if i % 2 else "NPS 3: \"too slow\""]
            for i, alert_id in enumerate(ids, start=start)])
    return ids


def posted_ids(sandbox) -> list[str]:
    ids = []
    for post in sandbox.webhook.posts:
        context = post["blocks"][-1]["elements"][0]["text"]
        ids.append(context.split("`")[1])
    return ids


def test_every_alert_is_posted_once_as_a_slack_message(sandbox, home):
    ids = write_alerts(home, 6)
    run = deliver_alerts(home, policy=fast_policy(), log=lambda line: None)
    assert run.delivered == 6 and run.failed == 0
    assert posted_ids(sandbox) == ids
    first = sandbox.webhook.posts[0]
    assert set(first) == {"text", "blocks"} and first["text"].startswith("cs360 alert: NPS detractor for Acme <Corp>")
    assert "Acme &lt;Corp&gt;" in first["blocks"][1]["text"]["text"]  # mrkdwn is escaped
    assert "jane@cs.example" in first["blocks"][1]["text"]["text"]

    run = deliver_alerts(home, policy=fast_policy(), log=lambda line: None)
    assert run.pending == 0 and len(sandbox.webhook.posts) == 6  # nothing posted twice

    new = write_alerts(home, 2, start=6)
    deliver_alerts(home, policy=fast_policy(), log=lambda line: None)
    assert posted_ids(sandbox) == ids + new


def test_failed_posts_are_retried_next_run_and_nothing_is_posted_twice(sandbox, home):
    ids = write_alerts(home, 5)
    # call 1 is throttled (alert 1 goes out on call 2, alert 2 on call 3); calls 4..8 answer 500:
    # alert 3 exhausts its 5 tries and the run stops
    sandbox.faults.add("webhook", r"/services/", "rate_limit", calls=(1,), retry_after=2)
    sandbox.faults.add("webhook", r"/services/", "server_error", calls=(4, 5, 6, 7, 8))
    policy = fast_policy(jitter=0)
    run = deliver_alerts(home, policy=policy, log=lambda line: None)
    assert run.status == "failed" and run.delivered == 2
    assert policy.waits[0] == 2.0  # Retry-After of the 429
    assert posted_ids(sandbox) == ids[:2]

    run = deliver_alerts(home, policy=fast_policy(), log=lambda line: None)
    assert run.delivered == 3
    assert posted_ids(sandbox) == ids  # each exactly once, in order
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        statuses = con.execute("select status, count(*) from reverse_etl.alert_deliveries group by 1").fetchall()
    assert statuses == [("delivered", 5)]


def test_a_refused_alert_is_parked_after_the_bound(sandbox, home, monkeypatch):
    write_alerts(home, 1)
    monkeypatch.setenv("ALERT_WEBHOOK_URL", sandbox.env["ALERT_WEBHOOK_URL"] + "x")  # a wrong secret: 403
    for attempt in range(1, 4):
        run = deliver_alerts(home, policy=fast_policy(), max_attempts=2, log=lambda line: None)
        assert run.pending == (1 if attempt <= 2 else 0)
    from reverse_etl.alerts import alert_summary

    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        summary = alert_summary(con)
    assert summary["parked"] == 1 and "invalid_token" in summary["last_errors"][0]
    assert sandbox.webhook.posts == []


def test_dry_run_posts_nothing(sandbox, home):
    write_alerts(home, 3)
    lines = []
    run = deliver_alerts(home, dry_run=True, log=lines.append)
    assert run.pending == 3 and sandbox.webhook.posts == []
    assert lines[0] == "alerts: would post 3 of 3 alerts (0 older than 7 days kept as backlog, 0 already delivered or parked)"
    assert sandbox.request_log.entries("webhook") == []


def test_the_dagster_asset_posts_and_is_skipped_without_a_webhook(sandbox, home, monkeypatch):
    from dagster import AssetKey, DagsterInstance, materialize

    from orchestration.defs.alerts import ALERTS_INPUT, ALERT_WEBHOOK_KEY, alert_assets

    assert alert_assets(home, [AssetKey(["marts", "customer_360"])]) == []  # no marts.alerts model yet
    [asset] = alert_assets(home, [ALERTS_INPUT])
    write_alerts(home, 2)
    with DagsterInstance.ephemeral() as instance:
        result = materialize([asset], instance=instance)
        assert result.success
        [event] = result.get_asset_materialization_events()
        assert event.materialization.metadata["alerts_delivered"].value == 2
        assert len(sandbox.webhook.posts) == 2

        monkeypatch.delenv("ALERT_WEBHOOK_URL")
        result = materialize([asset], instance=instance)
        assert result.success and result.get_asset_materialization_events() == []
    assert ALERT_WEBHOOK_KEY == AssetKey(["reverse_etl", "alert_webhook"])


def test_first_delivery_keeps_old_history_as_backlog():
    import pandas as pd

    from reverse_etl.alerts import split_backlog

    pending = pd.DataFrame({
        "alert_id": ["old", "retrying-old", "recent", "newest"],
        "created_at": pd.to_datetime(["2026-10-01", "2026-10-02", "2026-10-25", "2026-10-31"]),
        "tried": [False, True, False, False],
    })
    post, backlog = split_backlog(pending)
    assert list(post["alert_id"]) == ["retrying-old", "recent", "newest"]
    assert list(backlog["alert_id"]) == ["old"]
    post, backlog = split_backlog(pending, first_run_at=dt.datetime(2026, 10, 1, tzinfo=dt.timezone.utc))
    assert list(post["alert_id"]) == ["old", "retrying-old", "recent", "newest"] and backlog.empty


def add_alert(home: Home, alert_id: str, created_at: dt.datetime) -> None:
    with duckdb.connect(str(home.warehouse)) as con:
        con.execute("create schema if not exists marts")
        con.execute("create table if not exists marts.alerts (alert_id varchar, account_id varchar, kind varchar, "
                    "created_at timestamp, details varchar)")
        con.execute("insert into marts.alerts values (?, 'C-1', 'usage_drop', ?, 'logins -60%')", [alert_id, created_at])


def delivery_statuses(home: Home) -> dict[str, str]:
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        return dict(con.execute("select alert_id, status from reverse_etl.alert_deliveries order by 1").fetchall())


def test_only_history_before_the_first_delivery_is_backlog(sandbox, home):
    add_alert(home, "history", dt.datetime(2025, 5, 1))
    add_alert(home, "recent", dt.datetime(2025, 6, 1))
    first = deliver_alerts(home, policy=fast_policy(), log=lambda line: None)
    assert (first.delivered, posted_ids(sandbox)) == (1, ["recent"])
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        [(first_run_at,)] = con.execute("select first_delivery_run_at from reverse_etl.alert_webhook_state").fetchall()
    assert first_run_at == first.started_at

    # after the first delivery: an alert that arrives late with an old date, and alerts that
    # waited through a two-week outage, are news all the same
    add_alert(home, "late-but-old", dt.datetime(2025, 5, 15))
    add_alert(home, "during-outage", dt.datetime(2025, 6, 3))
    add_alert(home, "newest", dt.datetime(2025, 6, 20))
    second = deliver_alerts(home, policy=fast_policy(), log=lambda line: None)
    assert second.delivered == 3
    assert posted_ids(sandbox) == ["recent", "late-but-old", "during-outage", "newest"]
    assert delivery_statuses(home) == {"during-outage": "delivered", "history": "backlog",
                                       "late-but-old": "delivered", "newest": "delivered", "recent": "delivered"}


def test_deliveries_from_before_the_marker_count_as_the_first_run(sandbox, home):
    add_alert(home, "delivered-earlier", dt.datetime(2025, 6, 1))
    deliver_alerts(home, policy=fast_policy(), log=lambda line: None)
    with duckdb.connect(str(home.warehouse)) as con:  # a warehouse from before the marker existed
        con.execute("drop table reverse_etl.alert_webhook_state")
    add_alert(home, "old-and-new", dt.datetime(2025, 5, 1))
    add_alert(home, "newest", dt.datetime(2025, 6, 20))
    assert deliver_alerts(home, policy=fast_policy(), log=lambda line: None).delivered == 2
    assert set(delivery_statuses(home).values()) == {"delivered"}


def test_a_post_without_an_answer_is_retried_next_run_only_at_most_one_duplicate(sandbox, home):
    ids = write_alerts(home, 3)
    # the first post gets no answer within the client's timeout, yet the webhook takes it
    sandbox.faults.add("webhook", r"/services/", "timeout", calls=(1,), seconds=1.0)
    lines = []
    run = deliver_alerts(home, policy=fast_policy(), timeout=0.3, log=lines.append)
    assert (run.status, run.delivered, run.api_calls) == ("failed", 0, 1)  # not retried within the run
    assert run.error == "alert webhook: no answer within 0.3 s; the message may have been delivered"
    assert delivery_statuses(home) == {ids[0]: "retrying"}
    deadline = time.monotonic() + 5
    while not sandbox.webhook.posts and time.monotonic() < deadline:
        time.sleep(0.05)
    assert posted_ids(sandbox) == ids[:1]  # it did reach the channel

    run = deliver_alerts(home, policy=fast_policy(), timeout=0.3, log=lines.append)
    assert (run.status, run.delivered) == ("succeeded", 3)
    assert posted_ids(sandbox) == [ids[0], *ids]  # one duplicate, nothing lost
    assert set(delivery_statuses(home).values()) == {"delivered"}


def write_history(home: Home, n: int) -> None:
    """`n` alerts an hour apart from 2025-01-01, in one statement."""
    with duckdb.connect(str(home.warehouse)) as con:
        con.execute("create schema if not exists marts")
        con.execute(f"""create or replace table marts.alerts as
            select 'H-' || lpad(i::varchar, 5, '0') as alert_id, 'C-' || (i % 7) as account_id,
                   'usage_drop' as kind, timestamp '2025-01-01' + to_hours(i) as created_at, 'logins -60%' as details
            from range({n}) t(i)""")


def test_a_long_history_is_recorded_as_one_set_and_each_alert_once(sandbox, home):
    write_history(home, 5000)  # newest at hour 4999: hours < 4999 - 168 are backlog
    lines = []
    run = deliver_alerts(home, policy=fast_policy(), log=lines.append)
    assert (run.pending, run.delivered, run.api_calls) == (169, 169, 169)
    assert lines[0] == "alerts: 4831 alerts older than 7 days recorded as backlog, not posted"
    assert posted_ids(sandbox) == [f"H-{i:05d}" for i in range(4831, 5000)]
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        assert con.execute("select status, count(*), count(distinct alert_id), min(alert_id), max(alert_id), "
                           "sum(attempts) from reverse_etl.alert_deliveries group by 1 order by 1").fetchall() == [
            ("backlog", 4831, 4831, "H-00000", "H-04830", 0), ("delivered", 169, 169, "H-04831", "H-04999", 169)]
        assert con.execute("select created_at from reverse_etl.alert_deliveries where alert_id = 'H-04999'"
                           ).fetchone()[0] == dt.datetime(2025, 7, 28, 7, tzinfo=dt.timezone.utc)
    assert deliver_alerts(home, policy=fast_policy(), log=lambda line: None).pending == 0


def test_a_retried_alert_keeps_one_row_with_its_first_attempt(sandbox, home, monkeypatch):
    ids = write_alerts(home, 2)
    good_url = sandbox.env["ALERT_WEBHOOK_URL"]
    monkeypatch.setenv("ALERT_WEBHOOK_URL", good_url + "x")  # refused: 403
    deliver_alerts(home, policy=fast_policy(), log=lambda line: None)
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        first = dict(con.execute("select alert_id, first_attempt_at from reverse_etl.alert_deliveries").fetchall())
    monkeypatch.setenv("ALERT_WEBHOOK_URL", good_url)
    assert deliver_alerts(home, policy=fast_policy(), log=lambda line: None).delivered == 2
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        rows = con.execute("select alert_id, status, attempts, first_attempt_at, last_status_code "
                           "from reverse_etl.alert_deliveries order by 1").fetchall()
    assert rows == [(ids[0], "delivered", 2, first[ids[0]], 200), (ids[1], "delivered", 2, first[ids[1]], 200)]


def test_a_run_before_the_alerts_model_exists_is_not_the_first_delivery(sandbox, home):
    with duckdb.connect(str(home.warehouse)) as con:
        con.execute("create schema marts")  # a warehouse whose dbt build has not made marts.alerts yet
    run = deliver_alerts(home, policy=fast_policy(), log=lambda line: None)
    assert (run.status, run.pending) == ("succeeded", 0)
    add_alert(home, "history", dt.datetime(2025, 5, 1))
    add_alert(home, "recent", dt.datetime(2025, 6, 1))
    assert deliver_alerts(home, policy=fast_policy(), log=lambda line: None).delivered == 1
    assert delivery_statuses(home) == {"history": "backlog", "recent": "delivered"}
