"""Alerts out: every row of `marts.alerts` posted once to a Slack-compatible incoming
webhook (`ALERT_WEBHOOK_URL`), as `{text, blocks}`.

`reverse_etl.alert_deliveries` holds one row per alert that was tried: `delivered` ones
are never posted again; a failed post is tried again on the next run (`retrying`) — a
permanent refusal (a 4xx other than 429) at most `max_attempts` times, then the alert is
`parked` and shown in `cs360 status`. Each delivery is committed right after its post, so
a run killed mid-way reposts at most the one alert whose post it did not get to record.
Rate limits (429 with `Retry-After`) and 5xx are retried within the run; when the
webhook stays unreachable the run stops and the rest waits for the next one. A post that
got no answer (read timeout, dropped connection) may have reached the channel: it is not
retried within the run but on the next one, so it is posted at most twice.

Backlog: the first delivery run records the history older than `BACKLOG_DAYS` as
`backlog` without posting it, and records when it ran (`alert_webhook_state`). From then
on every alert not yet tried is posted, however old its `created_at`.

All webhook traffic goes through `reverse_etl.webhook`, whose errors never contain the URL.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb
import pandas as pd
import requests

from cs360_core import warehouse
from cs360_core.configuration import SourceNotConfigured
from cs360_core.http import RateLimitExhausted, RetriesExhausted, RetryPolicy, TransientError
from cs360_core.introspection import column_names, table_exists
from cs360_core.killpoints import kill_point
from cs360_core.settings import Home
from reverse_etl.audit import ensure_schema, insert_frame, now_utc
from reverse_etl.webhook import InvalidWebhookURL, WebhookClient, WebhookResult

ALERTS_MODEL = "marts.alerts"
WEBHOOK_ENV = "ALERT_WEBHOOK_URL"
MAX_ATTEMPTS = 5
POST_TIMEOUT_SECONDS = 30.0
# marts.alerts keeps the whole scored history; a CSM channel wants news, not a year of
# backlog on the first sync. On the first delivery run only, alerts older than this
# (before the newest alert) are recorded as `backlog` without a post.
BACKLOG_DAYS = 7
STATE_TABLE = "reverse_etl.alert_webhook_state"
DELIVERY_COLUMNS = ["alert_id", "account_id", "kind", "created_at", "status", "attempts", "first_attempt_at",
                    "delivered_at", "last_status_code", "last_error"]
KIND_TITLES = {
    "nps_detractor": "NPS detractor",
    "score_drop": "Health score drop",
    "usage_drop": "Usage drop",
    "renewal_at_risk": "Renewal at risk",
    "no_csm_touch": "No CSM touch",
}


def webhook_url() -> str:
    url = os.environ.get(WEBHOOK_ENV, "").strip()
    if not url:
        raise SourceNotConfigured(f"alerts: {WEBHOOK_ENV} is not set, skipping alert delivery")
    return url


@dataclass
class AlertRun:
    run_id: str
    started_at: dt.datetime
    pending: int = 0
    delivered: int = 0
    failed: int = 0
    parked: int = 0
    api_calls: int = 0
    status: str = "running"
    error: str | None = None
    sample: list[str] = field(default_factory=list)


# --- the message ----------------------------------------------------------------------------

def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _details_text(details) -> str:
    if details is None:
        return ""
    if isinstance(details, str):
        try:
            parsed = json.loads(details)
        except ValueError:
            return details
        details = parsed
    if isinstance(details, dict):
        return "; ".join(f"{k}: {v}" for k, v in details.items())
    return str(details)


def slack_message(alert: dict) -> dict:
    """A Slack-compatible message: `text` (the notification line and fallback) and
    `blocks` (header, the alert, its id and time)."""
    kind = str(alert.get("kind") or "alert")
    title = KIND_TITLES.get(kind, kind.replace("_", " ").capitalize())
    account = str(alert.get("account_id") or "")
    name = alert.get("account_name")
    who = f"{name} ({account})" if name else account
    details = _details_text(alert.get("details"))
    created = alert.get("created_at")
    created_text = created.isoformat() if hasattr(created, "isoformat") else str(created or "")
    lines = [f"*Account:* {_escape(who)}"]
    if alert.get("owner_csm"):
        lines.append(f"*CSM:* {_escape(str(alert['owner_csm']))}")
    if details:
        lines.append(f"*Details:* {_escape(details)}")
    return {
        "text": _clip(f"cs360 alert: {title} for {who}" + (f": {details}" if details else ""), 3000),
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": _clip(f"{title}: {name or account}", 150)}},
            {"type": "section", "text": {"type": "mrkdwn", "text": _clip("\n".join(lines), 3000)}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": _clip(
                f"alert `{_escape(str(alert['alert_id']))}` · {kind} · created {_escape(created_text)}", 300)}]},
        ],
    }


# --- reading ----------------------------------------------------------------------------------

DONE_STATUSES = ("delivered", "parked", "backlog")


def _account_join(con: duckdb.DuckDBPyConnection) -> tuple[str, str]:
    """The account's name and CSM from `marts.customer_360`, when it has them."""
    if not table_exists(con, "marts", "customer_360"):
        return "", ""
    known = set(column_names(con, "marts", "customer_360"))
    wanted = [f"c.{c}" + (" as account_name" if c == "name" else "") for c in ("name", "owner_csm") if c in known]
    if "account_id" not in known or not wanted:
        return "", ""
    return ", " + ", ".join(wanted), "left join marts.customer_360 c on c.account_id = a.account_id"


def read_pending(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The alerts not yet delivered, parked or kept as backlog, oldest first, one row per
    alert, with what earlier tries recorded (`tried`, `attempts`, `first_attempt_at`).
    The anti-join runs in DuckDB, so a run reads what is pending, not the whole history."""
    account_columns, join = _account_join(con)
    deliveries = table_exists(con, "reverse_etl", "alert_deliveries")
    tried = "d.alert_id is not null" if deliveries else "false"
    previous = "d.attempts, d.first_attempt_at" if deliveries else \
        "null::integer as attempts, null::timestamptz as first_attempt_at"
    done = ", ".join(f"'{s}'" for s in DONE_STATUSES)
    delivery_join = (f"left join (select * from reverse_etl.alert_deliveries "
                     f"qualify row_number() over (partition by alert_id order by status in ({done}) desc) = 1) d "
                     f"on d.alert_id = a.alert_id::varchar") if deliveries else ""
    not_done = f"and (d.status is null or d.status not in ({done}))" if deliveries else ""
    return con.execute(f"""
        select a.alert_id::varchar as alert_id, a.account_id, a.kind, a.created_at, a.details{account_columns},
               {tried} as tried, {previous}
        from {ALERTS_MODEL} a {join} {delivery_join}
        where a.alert_id is not null {not_done}
        qualify row_number() over (partition by a.alert_id::varchar order by a.created_at nulls last) = 1
        order by a.created_at nulls last, a.alert_id
    """).df()


def count_alerts(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute(f"select count(distinct alert_id) from {ALERTS_MODEL}").fetchone()[0]


def records(frame: pd.DataFrame) -> list[dict]:
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def first_delivery_run_at(con: duckdb.DuckDBPyConnection) -> dt.datetime | None:
    """When the first delivery run took place (and settled the backlog), or None before it.
    Deliveries made before this marker existed count as that first run."""
    if table_exists(con, "reverse_etl", "alert_webhook_state"):
        row = con.execute(f"select min(first_delivery_run_at) from {STATE_TABLE}").fetchone()
        if row and row[0] is not None:
            return row[0]
    if table_exists(con, "reverse_etl", "alert_deliveries"):
        row = con.execute("select min(coalesce(first_attempt_at, delivered_at)) from reverse_etl.alert_deliveries "
                          "where status <> 'backlog'").fetchone()
        if row and row[0] is not None:
            return row[0]
    return None


def split_backlog(
    pending: pd.DataFrame, backlog_days: int = BACKLOG_DAYS, first_run_at: dt.datetime | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(to post, backlog) of the pending alerts. Only the first delivery run (`first_run_at`
    None) has a backlog: alerts never tried and created more than `backlog_days` before the
    newest pending alert. After it, everything not yet delivered is posted, whatever its age."""
    created = pd.to_datetime(pending["created_at"], utc=True)
    if first_run_at is not None or created.isna().all():
        return pending, pending.iloc[0:0]
    cutoff = created.max() - pd.Timedelta(days=backlog_days)
    backlog = ~pending["tried"].astype(bool) & (created < cutoff)
    return pending[~backlog], pending[backlog]


# --- posting -----------------------------------------------------------------------------------

def _post(client: WebhookClient, policy: RetryPolicy, message: dict) -> WebhookResult:
    """One alert, retried within the run on 429/5xx/no connection; raises RetriesExhausted
    (with the client's redacted reason) when the webhook stays down. A post that may have
    been delivered is returned, not retried: retrying it here could post it many times."""

    def attempt() -> WebhookResult:
        result = client.post(message)
        if result.transient and not result.maybe_delivered:
            raise TransientError(result.reason or "webhook failed", result.retry_after, result.status)
        return result

    return policy.run(attempt, "alert webhook")


def _utc(value):
    """A stamp as an aware UTC datetime (the mart's stamps are naive UTC), or None."""
    if value is None or value is pd.NaT:
        return None
    stamp = pd.Timestamp(value)
    return (stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")).to_pydatetime()


_TYPES = {"alert_id": "varchar", "account_id": "varchar", "kind": "varchar", "created_at": "timestamptz",
          "status": "varchar", "attempts": "integer", "first_attempt_at": "timestamptz",
          "delivered_at": "timestamptz", "last_status_code": "integer", "last_error": "varchar"}
SAVE_SQL = f"""
    merge into reverse_etl.alert_deliveries t
    using (select {', '.join(f'?::{_TYPES[c]} as {c}' for c in DELIVERY_COLUMNS)}) s on (t.alert_id = s.alert_id)
    when matched then update set {', '.join(f'{c} = s.{c}' for c in DELIVERY_COLUMNS[1:])}
    when not matched then insert ({', '.join(DELIVERY_COLUMNS)}) values ({', '.join(f's.{c}' for c in DELIVERY_COLUMNS)})
"""


def _save(con: duckdb.DuckDBPyConnection, row: dict) -> None:
    """One post's outcome, committed on its own right after the post: one statement, whose
    cost does not depend on how many alerts were recorded before."""
    stamps = ("created_at", "first_attempt_at", "delivered_at")
    con.execute(SAVE_SQL, [_utc(row.get(c)) if c in stamps else row.get(c) for c in DELIVERY_COLUMNS])


def _record_first_run(con: duckdb.DuckDBPyConnection, backlog: pd.DataFrame, started_at: dt.datetime) -> None:
    """The backlog and the first-run marker in one transaction: decided once, never again.
    The backlog goes in as one INSERT ... SELECT, however long the history."""
    frame = pd.DataFrame({
        "alert_id": backlog["alert_id"].astype(str), "account_id": backlog["account_id"], "kind": backlog["kind"],
        "created_at": pd.to_datetime(backlog["created_at"], utc=True), "status": "backlog", "attempts": 0,
    })
    con.execute("begin transaction")
    try:
        con.execute(f"create table if not exists {STATE_TABLE} (first_delivery_run_at timestamptz)")
        con.execute(f"insert into {STATE_TABLE} values (?)", [started_at])
        insert_frame(con, "reverse_etl.alert_deliveries", frame)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def deliver_alerts(
    home: Home,
    url: str | None = None,
    dry_run: bool = False,
    log: Callable[[str], None] = print,
    policy: RetryPolicy | None = None,
    max_attempts: int = MAX_ATTEMPTS,
    session: requests.Session | None = None,
    after_post: Callable[[dict], None] | None = None,
    timeout: float = POST_TIMEOUT_SECONDS,
) -> AlertRun:
    """Post every alert not delivered yet. Raises `SourceNotConfigured` without a URL; an
    unusable URL fails the run with a reason that does not repeat it."""
    run = AlertRun(uuid.uuid4().hex, now_utc())
    if not warehouse.exists(home):
        log("alerts: no warehouse yet, nothing to deliver")
        run.status = "succeeded"
        return run
    client = None
    if not dry_run:
        try:
            client = WebhookClient(url or webhook_url(), timeout=timeout, session=session)
        except InvalidWebhookURL as invalid:
            run.status, run.error = "failed", f"{WEBHOOK_ENV}: {invalid.reason}"
            log(f"alerts: {run.error}; nothing posted")
            return run
    with warehouse.working_copy(home, reads=(ALERTS_MODEL, "marts.customer_360", "reverse_etl"),
                                writes=("reverse_etl",), read_only=dry_run) as con:
        if not table_exists(con, "marts", "alerts"):
            log(f"alerts: {ALERTS_MODEL} does not exist yet, nothing to deliver")
            run.status = "dry_run" if dry_run else "succeeded"
            return run
        total = count_alerts(con)
        first_run_at = first_delivery_run_at(con)
        pending, backlog = split_backlog(read_pending(con), first_run_at=first_run_at)
        todo = records(pending)
        run.pending = len(todo)
        run.sample = [slack_message(a)["text"] for a in todo[:5]]
        if dry_run:
            log(f"alerts: would post {len(todo)} of {total} alerts "
                f"({len(backlog)} older than {BACKLOG_DAYS} days kept as backlog, "
                f"{total - len(todo) - len(backlog)} already delivered or parked)")
            for text in run.sample:
                log(f"  {text}")
            run.status = "dry_run"
            return run
        ensure_schema(con)
        if first_run_at is None:
            _record_first_run(con, backlog, run.started_at)
        if len(backlog):
            log(f"alerts: {len(backlog)} alerts older than {BACKLOG_DAYS} days recorded as backlog, not posted")
        policy = policy or RetryPolicy.from_config()
        try:
            for alert in todo:
                alert_id = str(alert["alert_id"])
                now = now_utc()
                result = _post(client, policy, slack_message(alert))
                attempts = int(alert.get("attempts") or 0) + 1
                refused = not result.delivered and not result.maybe_delivered
                row = {
                    "alert_id": alert_id, "account_id": alert.get("account_id"), "kind": alert.get("kind"),
                    "created_at": alert.get("created_at"), "attempts": attempts,
                    "first_attempt_at": alert.get("first_attempt_at") or now,
                    "delivered_at": now if result.delivered else None, "last_status_code": result.status,
                    "last_error": result.reason,
                    "status": "delivered" if result.delivered
                    else ("parked" if refused and attempts >= max_attempts else "retrying"),
                }
                kill_point("alert_posted")  # posted, not yet recorded: the one documented duplicate
                _save(con, row)
                if after_post is not None:
                    after_post(row)
                if result.delivered:
                    run.delivered += 1
                    continue
                run.failed += 1
                run.parked += row["status"] == "parked"
                if result.maybe_delivered:  # the webhook hangs: stop, and try this one once more next run
                    raise RetriesExhausted(f"alert webhook: {result.reason}")
            run.status = "succeeded" if run.failed == 0 else "partial"
        except (RetriesExhausted, RateLimitExhausted) as exc:
            run.status, run.error = "failed", str(exc)
            log(f"alerts: stopped: {exc}; the rest is posted next run")
        finally:
            run.api_calls = client.calls
    log(f"alerts: {run.delivered} of {run.pending} pending alerts posted, {run.failed} failed "
        f"({run.parked} parked) in {run.api_calls} calls")
    return run


def alert_summary(con: duckdb.DuckDBPyConnection) -> dict:
    """For `cs360 status`: alerts in the mart, delivered, waiting, parked; by kind."""
    summary = {"total": 0, "by_kind": {}, "delivered": 0, "retrying": 0, "parked": 0, "undelivered": 0,
               "last_errors": []}
    if not table_exists(con, "marts", "alerts"):
        summary["missing"] = True
        return summary
    summary["total"] = con.execute(f"select count(distinct alert_id) from {ALERTS_MODEL}").fetchone()[0]
    summary["by_kind"] = dict(con.execute(
        f"select kind, count(*) from {ALERTS_MODEL} group by 1 order by 2 desc").fetchall())
    columns = set(column_names(con, "marts", "alerts"))
    if "is_open" in columns:
        summary["open_by_kind"] = dict(con.execute(
            f"select kind, count(*) from {ALERTS_MODEL} where is_open group by 1 order by 2 desc").fetchall())
    if table_exists(con, "reverse_etl", "alert_deliveries"):
        for status, n in con.execute(f"""
                select d.status, count(*) from reverse_etl.alert_deliveries d
                where d.alert_id in (select alert_id from {ALERTS_MODEL}) group by 1""").fetchall():
            summary[status] = n
        summary["last_errors"] = [r[0] for r in con.execute(
            "select alert_id || ': ' || coalesce(last_error, '') from reverse_etl.alert_deliveries "
            "where status in ('retrying', 'parked') order by status = 'parked' desc, alert_id limit 3").fetchall()]
    summary["undelivered"] = summary["total"] - summary["delivered"] - summary["parked"] - summary.get("backlog", 0)
    return summary
