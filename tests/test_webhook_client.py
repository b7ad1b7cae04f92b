"""The alert webhook client: every way a post can fail ends in a typed, redacted result, and
the secret path of ALERT_WEBHOOK_URL (a canary here) shows up nowhere: not in stdout or
stderr, log records, exceptions, sensor results or the warehouse. Also the team notices of
the sensors, which are retried until delivered."""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
import traceback

import duckdb
import pytest
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Response

from cs360_core.settings import Home
from reverse_etl.alerts import deliver_alerts
from retry_support import fast_policy
from reverse_etl.webhook import InvalidWebhookURL, WebhookClient, WebhookResult
from sandbox.doubles.faults import FaultPlan
from sandbox.doubles.webhook import BOT, TEAM, WebhookDouble
from tests.services import free_port

CANARY = "CANARYq7Zk2WebhookSecretX91"
MESSAGE = {"text": "hello", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "hello"}}]}


class _VendorSide(WSGIRequestHandler):
    """The server's own access log is the vendor's, not ours: kept out of the captured logs."""

    def log(self, type, message, *args):
        pass


def _serve(app):
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_VendorSide)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    return server


class Webhook:
    """The Slack webhook double on loopback, its secret being the canary."""

    def __init__(self):
        self.faults = FaultPlan(seed=3)
        self.double = WebhookDouble(secret=CANARY)
        self.double.faults = self.faults
        self.server = _serve(self.double)
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        self.url = self.base + self.double.path


@pytest.fixture
def webhook():
    running = Webhook()
    yield running
    running.server.shutdown()



def assert_no_canary(*texts) -> None:
    for text in texts:
        assert CANARY not in str(text)
        assert CANARY.lower() not in str(text).lower()


def exception_text(exc: BaseException) -> str:
    """Everything a traceback (and Dagster's error info) can show, chained exceptions included."""
    chain, seen = [], set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        chain.append(exc)
        exc = exc.__cause__ or exc.__context__
    return "".join("".join(traceback.format_exception(e)) + repr(e.args) for e in chain)


# --- the URL ----------------------------------------------------------------------------------

@pytest.mark.parametrize("url, reason", [
    (f"hooks.slack.com/services/T0/B0/{CANARY}", "invalid webhook URL (no scheme: it must start with https://)"),
    (f"ftp://hooks.slack.com/services/T0/B0/{CANARY}", "invalid webhook URL (scheme must be https)"),
    (f"http://hooks.slack.com/services/T0/B0/{CANARY}",
     "invalid webhook URL (scheme must be https; http is allowed only on loopback)"),
    (f"https://hooks.slack.com:99999/services/T0/B0/{CANARY}", "invalid webhook URL (it cannot be parsed)"),
    (f"https:///services/T0/B0/{CANARY}", "invalid webhook URL (no host)"),
    (f"https://hooks.slack.com/services/T0/B0/{CANARY} ", None),  # surrounding blanks are trimmed
    (f"https://hooks.slack.com/services/T0/B0/{CANARY}\n/x", "invalid webhook URL (it contains spaces or control characters)"),
])
def test_an_unusable_url_is_refused_without_repeating_it(url, reason):
    if reason is None:
        assert repr(WebhookClient(url)) == "WebhookClient(url=<redacted>)"
        return
    with pytest.raises(InvalidWebhookURL) as refused:
        WebhookClient(url)
    assert str(refused.value) == reason
    assert_no_canary(exception_text(refused.value))


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.10", "localhost", "[::1]"])
def test_plain_http_is_allowed_on_loopback_only(host):
    WebhookClient(f"http://{host}:8449/services/T/B/{CANARY}")


# --- one post, every outcome --------------------------------------------------------------------

def test_a_post_reaches_the_channel_and_the_debug_log_keeps_no_path(webhook, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="urllib3.connectionpool")  # other libraries quiet it
    result = WebhookClient(webhook.url).post(MESSAGE)
    assert result == WebhookResult(True, status=200)
    assert webhook.double.posts == [MESSAGE]
    request_lines = [r.getMessage() for r in caplog.records if r.name == "urllib3.connectionpool" and "POST" in r.getMessage()]
    assert request_lines and all('"POST *** HTTP/1.1" 200' in line for line in request_lines)
    assert_no_canary(caplog.text)


def _failure_cases(webhook: Webhook) -> dict[str, tuple[str, WebhookResult]]:
    """name -> (url, the expected result); faults are set on the double as a side effect."""
    return {
        "unresolvable host": (f"https://cs360-no-such-host.invalid/services/{TEAM}/{BOT}/{CANARY}",
                              WebhookResult(False, "host name not resolved", transient=True)),
        "refused port": (f"http://127.0.0.1:{free_port()}/services/{TEAM}/{BOT}/{CANARY}",
                         WebhookResult(False, "connection refused", transient=True)),
        "wrong secret": (webhook.url + "x", WebhookResult(False, "HTTP 403 invalid_token", status=403)),
        "unknown webhook": (f"{webhook.base}/services/T0OTHER/B0OTHER/{CANARY}",
                            WebhookResult(False, "HTTP 404 no_service", status=404)),
    }


@pytest.mark.parametrize("case", ["unresolvable host", "refused port", "wrong secret", "unknown webhook"])
def test_connection_and_client_errors_are_typed_and_redacted(webhook, case, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    url, expected = _failure_cases(webhook)[case]
    result = WebhookClient(url, timeout=5).post(MESSAGE)
    assert result == expected
    out = capsys.readouterr()
    assert_no_canary(repr(result), caplog.text, out.out, out.err)


@pytest.mark.parametrize("fault, expected", [
    (dict(kind="server_error"), WebhookResult(False, "HTTP 500 rollup_error", status=500, transient=True)),
    (dict(kind="server_error", status=503), WebhookResult(False, "HTTP 503 rollup_error", status=503, transient=True)),
    (dict(kind="rate_limit", retry_after=7), WebhookResult(False, "HTTP 429 rate_limited", status=429, transient=True,
                                                          retry_after=7.0)),
    (dict(kind="rate_limit", retry_after="in a little while"),
     WebhookResult(False, "HTTP 429 rate_limited (unreadable Retry-After ignored)", status=429, transient=True)),
    (dict(kind="timeout", seconds=1.0),
     WebhookResult(False, "no answer within 0.3 s; the message may have been delivered", transient=True,
                   maybe_delivered=True)),
])
def test_server_errors_throttling_and_timeouts_are_typed_and_redacted(webhook, fault, expected, caplog):
    caplog.set_level(logging.DEBUG)
    webhook.faults.add("webhook", r"/services/", first=1, **fault)
    result = WebhookClient(webhook.url, timeout=0.3).post(MESSAGE)
    assert result == expected
    assert_no_canary(repr(result), caplog.text)


def test_an_error_page_that_echoes_the_url_is_not_repeated():
    def proxy(environ, start_response):  # e.g. a corporate proxy's HTML error page
        body = f"<html>Cannot POST {environ['PATH_INFO']}</html>"
        return Response(body, status=502, content_type="text/html")(environ, start_response)

    server = _serve(proxy)
    try:
        result = WebhookClient(f"http://127.0.0.1:{server.server_port}/services/T/B/{CANARY}").post(MESSAGE)
    finally:
        server.shutdown()
    assert result == WebhookResult(False, "HTTP 502", status=502, transient=True)


# --- alert delivery, every failure mode, nothing leaks --------------------------------------------

def write_alerts(home: Home, n: int) -> None:
    with duckdb.connect(str(home.warehouse)) as con:
        con.execute("create schema if not exists marts")
        con.execute("create table marts.alerts (alert_id varchar, account_id varchar, kind varchar, "
                    "created_at timestamp, details varchar)")
        con.executemany("insert into marts.alerts values (?, ?, 'score_drop', ?, '{\"score\": 31}')", [
            [f"A-{i}", f"C-{i}", dt.datetime(2025, 6, 1) + dt.timedelta(hours=i)] for i in range(n)])


def warehouse_strings(home: Home) -> list[str]:
    """Every value of every text column of the warehouse."""
    values = []
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        columns = con.execute("select table_schema, table_name, column_name from information_schema.columns "
                              "where data_type = 'VARCHAR'").fetchall()
        for schema, table, column in columns:
            values += [r[0] for r in con.execute(f'select "{column}" from "{schema}"."{table}"').fetchall()]
    return [v for v in values if v is not None]


MODES = {
    "no colon": (lambda w: f"hooks.slack.com/services/{TEAM}/{BOT}/{CANARY}", None,
                 "ALERT_WEBHOOK_URL: invalid webhook URL (no scheme: it must start with https://)"),
    "ftp": (lambda w: f"ftp://hooks.slack.com/services/{TEAM}/{BOT}/{CANARY}", None,
            "ALERT_WEBHOOK_URL: invalid webhook URL (scheme must be https)"),
    "unresolvable host": (lambda w: f"https://cs360-no-such-host.invalid/services/{TEAM}/{BOT}/{CANARY}", None,
                          "alert webhook: gave up after 2 tries: host name not resolved"),
    "refused port": (lambda w: f"http://127.0.0.1:{free_port()}/services/{TEAM}/{BOT}/{CANARY}", None,
                     "alert webhook: gave up after 2 tries: connection refused"),
    "timeout": (lambda w: w.url, dict(kind="timeout", seconds=1.0),
                "alert webhook: no answer within 0.3 s; the message may have been delivered"),
    "HTTP 403": (lambda w: w.url + "x", None, None),
    "HTTP 404": (lambda w: f"{w.base}/services/T0OTHER/B0OTHER/{CANARY}", None, None),
    "HTTP 500": (lambda w: w.url, dict(kind="server_error"),
                 "alert webhook: gave up after 2 tries: HTTP 500 rollup_error"),
    "429 Retry-After": (lambda w: w.url, dict(kind="rate_limit", retry_after=120),
                        "alert webhook: the vendor asked to wait 120 s, more than the 60 s this run waits: "
                        "HTTP 429 rate_limited"),
    "429 malformed Retry-After": (lambda w: w.url, dict(kind="rate_limit", retry_after="soon"),
                                  "alert webhook: gave up after 2 tries: HTTP 429 rate_limited "
                                  "(unreadable Retry-After ignored)"),
}


@pytest.mark.parametrize("mode", list(MODES))
def test_alert_delivery_fails_cleanly_and_the_secret_leaks_nowhere(mode, webhook, tmp_path, monkeypatch, caplog,
                                                                      capsys):
    caplog.set_level(logging.DEBUG)
    make_url, fault, error = MODES[mode]
    if fault:
        webhook.faults.add("webhook", r"/services/", **fault)
    monkeypatch.setenv("ALERT_WEBHOOK_URL", make_url(webhook))
    home = Home(tmp_path)
    write_alerts(home, 2)

    run = deliver_alerts(home, policy=fast_policy(max_attempts=2), timeout=0.3)

    assert run.delivered == 0
    if error is None:  # a refusal is recorded per alert and the run goes on
        assert run.status == "partial" and run.failed == 2
    else:
        assert run.status == "failed" and run.error == error
    out = capsys.readouterr()
    assert_no_canary(out.out, out.err, caplog.text, repr(run), *warehouse_strings(home))


def test_the_last_errors_recorded_for_a_refusal_name_the_status(webhook, tmp_path, monkeypatch):
    monkeypatch.setenv("ALERT_WEBHOOK_URL", f"{webhook.base}/services/T0OTHER/B0OTHER/{CANARY}")
    home = Home(tmp_path)
    write_alerts(home, 1)
    deliver_alerts(home, policy=fast_policy(), log=lambda line: None)
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        assert con.execute("select status, last_status_code, last_error from reverse_etl.alert_deliveries"
                           ).fetchall() == [("retrying", 404, "HTTP 404 no_service")]


@pytest.mark.parametrize("url, line", [
    (f"hooks.slack.com/services/{TEAM}/{BOT}/{CANARY}",
     "alerts: ALERT_WEBHOOK_URL: invalid webhook URL (no scheme: it must start with https://); nothing posted"),
    (f"ftp://hooks.slack.com/services/{TEAM}/{BOT}/{CANARY}",
     "alerts: ALERT_WEBHOOK_URL: invalid webhook URL (scheme must be https); nothing posted"),
])
def test_cs360_sync_says_why_the_webhook_url_is_unusable_and_exits_non_zero(url, line, tmp_path, monkeypatch, capsys):
    from cs360.cli import main

    for variable in ("SALESFORCE_INSTANCE_URL", "SALESFORCE_ACCESS_TOKEN", "SALESFORCE_USERNAME",
                     "HUBSPOT_ACCESS_TOKEN", "HUBSPOT_BASE_URL"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("ALERT_WEBHOOK_URL", url)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))  # the sync job's run is recorded there
    write_alerts(Home(tmp_path), 1)
    assert main(["sync", "--home", str(tmp_path)]) == 1
    out = capsys.readouterr()
    assert line in out.out.splitlines()
    assert_no_canary(out.out, out.err)


# --- team notices from the Dagster sensors ------------------------------------------------------

RAW_TICKETS = ["raw_zendesk", "tickets"]


def _evaluate(sensor_def, instance, cursor):
    from dagster import build_sensor_context

    return sensor_def.evaluate_tick(build_sensor_context(instance=instance, cursor=cursor))


def test_a_stale_source_notice_the_webhook_refused_is_posted_on_the_next_tick(webhook, monkeypatch, caplog):
    from dagster import AssetKey, AssetMaterialization, DagsterInstance

    from orchestration.sensors import stale_source_sensor

    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("ALERT_WEBHOOK_URL", webhook.url)
    webhook.faults.add("webhook", r"/services/", "server_error", first=1)
    webhook.faults.add("webhook", r"/services/", "rate_limit", calls=(2,), retry_after="soon")
    three_days_on = lambda: time.time() + 3 * 86400  # noqa: E731 - the sensor's clock
    stale = stale_source_sensor({"zendesk": [AssetKey(RAW_TICKETS)]}, clock=three_days_on)
    with DagsterInstance.ephemeral() as instance:
        instance.report_runless_asset_event(AssetMaterialization(AssetKey(RAW_TICKETS)))
        ticks, cursor = [], None
        for _ in range(4):
            data = _evaluate(stale, instance, cursor)
            ticks.append((data.skip_message, json.loads(data.cursor)))
            cursor = data.cursor
    messages = [tick[0] for tick in ticks]
    assert messages == ["not delivered, retried next tick: zendesk (HTTP 500 rollup_error)",
                        "not delivered, retried next tick: zendesk (HTTP 429 rate_limited (unreadable Retry-After ignored))",
                        "posted: zendesk", "no source newly stale"]
    assert [list(tick[1]) for tick in ticks] == [[], [], ["zendesk"], ["zendesk"]]  # advanced once delivered
    [posted] = webhook.double.posts
    assert posted["text"].startswith(":warning: cs360 source `zendesk` is stale: last load 72.0 h ago (expected within 2 h)")
    assert_no_canary(caplog.text, *messages, *(json.dumps(tick[1]) for tick in ticks))


def test_a_stale_source_notice_with_an_unusable_url_says_why(monkeypatch):
    from dagster import AssetKey, AssetMaterialization, DagsterInstance

    from orchestration.sensors import stale_source_sensor

    monkeypatch.setenv("ALERT_WEBHOOK_URL", f"ftp://hooks.slack.com/services/{TEAM}/{BOT}/{CANARY}")
    stale = stale_source_sensor({"zendesk": [AssetKey(RAW_TICKETS)]}, clock=lambda: time.time() + 86400)
    with DagsterInstance.ephemeral() as instance:
        instance.report_runless_asset_event(AssetMaterialization(AssetKey(RAW_TICKETS)))
        data = _evaluate(stale, instance, None)
    assert data.skip_message == ("not delivered, retried next tick: zendesk "
                                 "(ALERT_WEBHOOK_URL: invalid webhook URL (scheme must be https))")
    assert json.loads(data.cursor) == {}


def test_a_failed_run_notice_the_webhook_refused_is_queued_and_posted_later(webhook, monkeypatch, caplog):
    from dagster import DagsterInstance, Definitions, asset, define_asset_job

    from orchestration.sensors import run_failure_to_webhook, stale_source_sensor

    @asset
    def broken_load() -> None:
        raise RuntimeError("upstream API answered 500")

    job = Definitions(assets=[broken_load], jobs=[define_asset_job("cs360_ingest")]).resolve_job_def("cs360_ingest")
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("ALERT_WEBHOOK_URL", webhook.url)
    webhook.faults.add("webhook", r"/services/", "server_error", first=2)  # the notice and its first retry
    stale = stale_source_sensor({})
    with DagsterInstance.ephemeral() as instance:
        cursor = _evaluate(run_failure_to_webhook, instance, None).cursor  # the first tick sets the cursor
        run = job.execute_in_process(instance=instance, raise_on_error=False)
        assert not run.success
        [reaction] = _evaluate(run_failure_to_webhook, instance, cursor).dagster_run_reactions
        error = reaction.error.to_string()
        assert (f"notice of failed run {run.run_id[:8]} not delivered: HTTP 500 rollup_error; it is posted again "
                "on the next tick of cs360_stale_sources_to_webhook") in error
        assert webhook.double.posts == []

        retries = [_evaluate(stale, instance, None).skip_message for _ in range(3)]
    assert retries == ["not delivered, retried next tick: queued notices (HTTP 500 rollup_error)", "posted: queued notice",
                       "no source newly stale"]
    [posted] = webhook.double.posts
    assert posted["text"].startswith(f":red_circle: cs360 run `cs360_ingest` ({run.run_id[:8]}) failed in step(s) "
                                     "broken_load")
    assert_no_canary(error, caplog.text, *retries)


@pytest.mark.parametrize("url, reason", [
    (f"ftp://hooks.slack.com/services/{TEAM}/{BOT}/{CANARY}",
     "alert delivery stopped: ALERT_WEBHOOK_URL: invalid webhook URL (scheme must be https)"),
])
def test_the_alert_asset_fails_with_a_redacted_reason_and_the_event_log_holds_no_secret(url, reason, tmp_path,
                                                                                        monkeypatch, caplog):
    from dagster import AssetKey, DagsterInstance, materialize

    from orchestration.defs.alerts import alert_assets

    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("ALERT_WEBHOOK_URL", url)
    home = Home(tmp_path)
    write_alerts(home, 1)
    [asset] = alert_assets(home, [AssetKey(["marts", "alerts"])])
    with DagsterInstance.ephemeral() as instance:
        result = materialize([asset], instance=instance, raise_on_error=False)
        events = [repr(entry) for entry in instance.all_logs(result.run_id)]
    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert failure.step_failure_data.user_failure_data.description == reason
    assert_no_canary(caplog.text, *events, *warehouse_strings(home))
