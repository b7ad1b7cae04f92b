"""The synthetic world generator: contract section 4 files, determinism, integrity, causality."""

from __future__ import annotations

import json
from datetime import timedelta

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sandbox.world.format import EVENT_COLUMNS, EVENTS_DIR, META_KEYS, WORLD_TABLES, read_meta, read_table
from sandbox.world.generator import DEFAULT_AS_OF, SIZES, generate_world

AS_OF_END = pd.Timestamp(DEFAULT_AS_OF + timedelta(days=1), tz="UTC")  # as_of includes its whole day
TS_COLUMNS = {
    "accounts": ["created_at"], "tenants": ["created_at"], "product_users": ["created_at"],
    "tickets": ["created_at", "first_response_at", "solved_at"], "survey_invitations": ["sent_at"],
    "survey_responses": ["responded_at"], "enrollments": ["registered_at", "attended_at", "completed_at"],
}


def _files(world) -> dict[str, bytes]:
    return {p.relative_to(world).as_posix(): p.read_bytes() for p in sorted(world.rglob("*")) if p.is_file()}


def _load(world) -> dict[str, pd.DataFrame]:
    tables = {name: read_table(world, name) for name in WORLD_TABLES}
    for name, cols in TS_COLUMNS.items():
        for col in cols:
            tables[name][col] = pd.to_datetime(tables[name][col], utc=True, format="ISO8601")
    for col in ("start_date", "end_date"):
        tables["contracts"][col] = pd.to_datetime(tables["contracts"][col]).dt.date
    events = pa.concat_tables(pq.read_table(f) for f in sorted((world / EVENTS_DIR).glob("*.parquet")))
    tables["events"] = events.to_pandas()
    return tables


@pytest.fixture(scope="module")
def xs(tmp_path_factory):
    world = tmp_path_factory.mktemp("xs")
    lines: list[str] = []
    meta = generate_world(world, size="XS", seed=42, progress=lines.append)
    return world, meta, lines, _load(world)


@pytest.fixture(scope="module")
def s_world(tmp_path_factory):
    world = tmp_path_factory.mktemp("s")
    generate_world(world, size="S", seed=42)
    return _load(world)


def _last_contracts(contracts: pd.DataFrame) -> pd.DataFrame:
    return contracts.sort_values(["account_id", "start_date"]).groupby("account_id").tail(1)


def test_every_file_and_column_of_the_contract(xs):
    world, meta, lines, _ = xs
    assert list(json.loads((world / "meta.json").read_text())) == META_KEYS
    assert read_meta(world) == meta
    assert meta["as_of"] == "2026-10-31" and meta["seed"] == 42 and meta["size"] == "XS"
    assert meta["generator"].startswith("cs360 ") and meta["generator"].endswith(" sandbox.world")
    for name, columns in WORLD_TABLES.items():
        header = (world / f"{name}.csv").read_text(encoding="utf-8").splitlines()[0]
        assert header.split(",") == columns, name
    files = sorted((world / EVENTS_DIR).glob("*.parquet"))
    assert files[-1].name == "2026-10.parquet"
    for f in files:
        schema = pq.read_schema(f)
        assert schema.names == EVENT_COLUMNS
        assert schema.field("occurred_at").type == pa.timestamp("us", tz="UTC")
        assert all(schema.field(c).type == pa.string() for c in EVENT_COLUMNS if c != "occurred_at")
        ts = pq.read_table(f, columns=["occurred_at"]).column(0).to_pandas()
        assert (ts.dt.strftime("%Y-%m") == f.stem).all()  # one file per month
    assert any(line.startswith("events 2026-10: ") for line in lines)


def test_formats_and_sizes(xs):
    world, _, _, t = xs
    first = (world / "tickets.csv").read_text(encoding="utf-8").splitlines()[1]
    assert pd.Series(first.split(",")).str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ").any()
    assert len(t["accounts"]) == SIZES["XS"].accounts
    assert t["accounts"]["account_id"].str.fullmatch(r"C-\d{6}").all()
    assert t["accounts"]["domain"].is_unique and t["accounts"]["account_id"].is_unique
    assert set(t["accounts"]["crm"]) <= {"salesforce", "hubspot"}
    assert t["contracts"]["mrr"].astype(float).gt(0).all()
    assert t["contracts"]["seats"].astype(int).between(5, 500).all()
    counts = t["contacts"].groupby("account_id").size()
    assert counts.between(2, 6).all() and len(counts) == len(t["accounts"])
    assert len(t["tenants"]) == len(t["accounts"]) and t["tenants"]["tenant_id"].is_unique
    assert 0 < len(t["events"]) < 50_000 and t["events"]["event_id"].is_unique
    assert set(t["tickets"]["system"]) <= {"zendesk", "freshdesk"}
    assert set(t["tickets"]["csat"].dropna()) <= {"good", "bad"}
    assert set(t["survey_invitations"]["survey"]) == {"nps_30d", "nps_90d", "relationship"}
    assert t["survey_responses"]["score"].astype(int).between(0, 10).all()
    assert set(t["courses"]["kind"]) == {"onboarding", "webinar", "certification"}
    # the events of a weekend day are far fewer than those of a weekday
    weekend = t["events"]["occurred_at"].dt.day_of_week >= 5
    assert weekend.mean() < 0.5 * 2 / 7


def test_same_seed_same_bytes_other_seed_other_world(xs, tmp_path):
    world, *_ = xs
    generate_world(tmp_path / "again", size="XS", seed=42)
    assert _files(tmp_path / "again") == _files(world)
    generate_world(tmp_path / "other", size="XS", seed=7)
    assert (tmp_path / "other" / "accounts.csv").read_bytes() != (world / "accounts.csv").read_bytes()


def test_references_resolve(xs):
    *_, t = xs
    accounts = set(t["accounts"]["account_id"])
    assert set(t["contracts"]["account_id"]) <= accounts
    assert set(t["contacts"]["account_id"]) <= accounts
    assert set(t["tenants"]["account_id"]) == accounts
    assert set(t["product_users"]["tenant_id"]) <= set(t["tenants"]["tenant_id"])
    ev = t["events"].merge(t["product_users"][["user_id", "tenant_id"]], on="user_id", how="left",
                           suffixes=("", "_of_user"))
    assert (ev["tenant_id"] == ev["tenant_id_of_user"]).all()  # a known user of that very tenant
    assert set(t["survey_responses"]["invitation_id"]) <= set(t["survey_invitations"]["invitation_id"])
    resp = t["survey_responses"].merge(t["survey_invitations"], on="invitation_id", suffixes=("", "_inv"))
    assert (resp["email"] == resp["email_inv"]).all()
    assert set(t["enrollments"]["course_id"]) <= set(t["courses"]["course_id"])
    people = set(t["contacts"]["email"]) | set(t["product_users"]["email"])
    assert set(t["tickets"]["requester_email"]) <= people
    assert set(t["survey_invitations"]["email"]) <= set(t["contacts"]["email"])
    assert set(t["enrollments"]["email"]) <= people
    domains = t["accounts"].set_index("account_id")["domain"]
    assert (t["contacts"]["email"].str.split("@").str[1] == t["contacts"]["account_id"].map(domains)).all()
    tenant_domain = t["tenants"].set_index("tenant_id")["account_id"].map(domains)
    assert (t["product_users"]["email"].str.split("@").str[1]
            == t["product_users"]["tenant_id"].map(tenant_domain)).all()


def test_contract_chains(xs):
    *_, t = xs
    for _, chain in t["contracts"].sort_values("start_date").groupby("account_id"):
        assert (chain["start_date"].iloc[1:].to_numpy() == chain["end_date"].iloc[:-1].to_numpy()).all()
        assert (chain["renewed"].iloc[:-1] == "true").all()  # only the last one may be lost or open
    open_ = t["contracts"]["renewed"].isna()
    assert (open_ == (t["contracts"]["end_date"] > DEFAULT_AS_OF)).all()
    assert set(t["contracts"]["renewed"].dropna()) <= {"true", "false"}


def test_nothing_after_as_of_and_nothing_before_its_cause(xs):
    *_, t = xs
    for name, cols in TS_COLUMNS.items():
        for col in cols:
            assert (t[name][col].dropna() < AS_OF_END).all(), (name, col)
    assert (t["events"]["occurred_at"] < AS_OF_END).all()
    assert (t["contracts"]["start_date"] <= DEFAULT_AS_OF).all()
    # a world cut at any day stays valid: every row comes after what it references
    first_start = t["contracts"].groupby("account_id")["start_date"].min()
    tenants = t["tenants"].set_index("tenant_id")
    acc_created = t["accounts"].set_index("account_id")["created_at"]
    assert (t["accounts"]["created_at"].dt.date.to_numpy()
            <= t["accounts"]["account_id"].map(first_start).to_numpy()).all()
    assert (tenants["created_at"] >= tenants["account_id"].map(acc_created)).all()
    users = t["product_users"]
    assert (users["created_at"] >= users["tenant_id"].map(tenants["created_at"])).all()
    ev = t["events"].merge(users[["user_id", "created_at"]], on="user_id")
    assert (ev["occurred_at"] > ev["created_at"]).all()
    resp = t["survey_responses"].merge(t["survey_invitations"], on="invitation_id")
    assert (resp["responded_at"] > resp["sent_at"]).all()
    tk = t["tickets"]
    assert (tk["first_response_at"].dropna() >= tk.loc[tk["first_response_at"].notna(), "created_at"]).all()
    assert (tk["solved_at"].dropna() >= tk.loc[tk["solved_at"].notna(), "first_response_at"]).all()
    en = t["enrollments"]
    att = en["attended_at"].notna()
    assert (en.loc[att, "attended_at"] > en.loc[att, "registered_at"]).all()
    assert en.loc[en["completed_at"].notna(), "attended_at"].notna().all()


def test_churned_accounts_fall_silent(xs):
    *_, t = xs
    last = _last_contracts(t["contracts"])
    churned = last[last["renewed"] == "false"].set_index("account_id")["end_date"]
    assert len(churned) >= 1
    end = pd.to_datetime(churned.astype(str)).dt.tz_localize("UTC")
    tenant_acc = t["tenants"].set_index("tenant_id")["account_id"]
    ev = t["events"].assign(account_id=t["events"]["tenant_id"].map(tenant_acc))
    ev = ev[ev["account_id"].isin(end.index)]
    assert (ev["occurred_at"] < ev["account_id"].map(end)).all()
    assert len(ev) > 0  # they were customers before


def test_health_drives_churn_in_s(s_world):
    t = s_world
    last = _last_contracts(t["contracts"])
    churned_accounts = set(last.loc[last["renewed"] == "false", "account_id"])
    renewed_accounts = set(t["contracts"].loc[t["contracts"]["renewed"] == "true", "account_id"])
    assert churned_accounts and renewed_accounts - churned_accounts
    # renewal decisions inside the history: usage share in the 60–30 days before the end
    first_day = t["events"]["occurred_at"].min().normalize()
    decided = t["contracts"][t["contracts"]["renewed"].notna()].copy()
    decided["end"] = pd.to_datetime(decided["end_date"].astype(str)).dt.tz_localize("UTC")
    decided = decided[decided["end"] - pd.Timedelta(days=60) >= first_day]
    tenant = t["tenants"].set_index("account_id")["tenant_id"]
    users = t["product_users"].groupby("tenant_id").size()
    by_tenant = dict(tuple(t["events"][["tenant_id", "user_id", "occurred_at"]].groupby("tenant_id")))
    share = []
    for row in decided.itertuples():
        ev = by_tenant.get(tenant[row.account_id])
        lo, hi = row.end - pd.Timedelta(days=60), row.end - pd.Timedelta(days=30)
        if ev is not None:
            ev = ev[ev["occurred_at"].between(lo, hi, inclusive="left")]
        active = 0 if ev is None else ev["user_id"].nunique()
        share.append(active / users[tenant[row.account_id]])
    decided["share"] = share
    churned = decided["renewed"] == "false"
    assert churned.sum() >= 5
    rank = decided["share"].rank()
    n1, n0 = churned.sum(), (~churned).sum()
    auc = (rank[~churned].sum() - n0 * (n0 + 1) / 2) / (n0 * n1)
    assert auc > 0.65, auc
    # churn near 5–15 % of the customers a year
    years = len(pd.date_range(first_day, AS_OF_END, freq="D")) / 365.25
    rate = churned.sum() / len(t["accounts"]) / years
    assert 0.03 < rate < 0.2, rate
    # unhealthy accounts also complain more and answer worse
    assert len(t["tickets"]) > 100 and (t["tickets"]["csat"] == "bad").any()
    scores = t["survey_responses"]["score"].astype(int)
    assert scores.min() <= 6 and scores.max() >= 9
    assert len(t["events"]) < 600_000


def test_account_keys_and_domains_are_unique_even_when_names_repeat(s_world):
    accounts = s_world["accounts"]
    assert accounts["account_id"].is_unique
    assert accounts["domain"].is_unique
    assert accounts["name"].duplicated().sum() == 1  # seed 42 draws one repeated company name
