"""The synthetic world generator: contract section 4 files, determinism, integrity, causality, mess."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sandbox.world import vocab
from sandbox.world.cut import cut_world, day_later
from sandbox.world.format import EVENT_COLUMNS, EVENTS_DIR, META_KEYS, WORLD_TABLES, event_files, read_meta, read_table
from sandbox.world.generator import DEFAULT_AS_OF, MESS, SIZES, generate_world

TS_COLUMNS = {
    "accounts": ["created_at"], "tenants": ["created_at"], "product_users": ["created_at"],
    "tickets": ["created_at", "first_response_at", "solved_at"], "survey_invitations": ["sent_at"],
    "survey_responses": ["responded_at"], "enrollments": ["registered_at", "attended_at", "completed_at"],
    "activities": ["occurred_at", "deleted_at"],
}
FREE_MAIL = sorted(set(vocab.FREE_MAIL) | set(vocab.FREE_MAIL_JP))


def _end_of(day: date) -> pd.Timestamp:
    return pd.Timestamp(day + timedelta(days=1), tz="UTC")  # as_of includes its whole day


def _files(world) -> dict[str, bytes]:
    return {p.relative_to(world).as_posix(): p.read_bytes() for p in sorted(world.rglob("*")) if p.is_file()}


def _load(world) -> dict[str, pd.DataFrame]:
    tables = {name: read_table(world, name) for name in WORLD_TABLES}
    for name, cols in TS_COLUMNS.items():
        for col in cols:
            tables[name][col] = pd.to_datetime(tables[name][col], utc=True, format="ISO8601")
    for col in ("start_date", "end_date"):
        tables["contracts"][col] = pd.to_datetime(tables["contracts"][col]).dt.date
    files = sorted((world / EVENTS_DIR).glob("*.parquet"))
    events = pa.concat_tables(pq.read_table(f) for f in files).to_pandas()
    events["file"] = pd.Series([f.stem for f in files]).repeat(
        [pq.ParquetFile(f).metadata.num_rows for f in files]).to_numpy()
    tables["events"] = events
    return tables


def _domain(emails: pd.Series) -> pd.Series:
    return emails.str.split("@").str[1].str.lower()


def _free(emails: pd.Series) -> pd.Series:
    return _domain(emails).isin(FREE_MAIL)


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


# --- the checks every valid world passes (a full one and one cut at any day) ---------------

def _check_references(t) -> None:
    accounts = set(t["accounts"]["account_id"])
    assert set(t["contracts"]["account_id"]) <= accounts
    assert set(t["contacts"]["account_id"]) <= accounts
    owned = set(t["tenants"]["account_id"].dropna())  # trials belong to no account
    assert set(t["contracts"]["account_id"]) <= owned <= accounts  # a customer has gone live
    assert t["tenants"]["tenant_id"].is_unique and t["product_users"]["user_id"].is_unique
    assert set(t["product_users"]["tenant_id"]) <= set(t["tenants"]["tenant_id"])
    assert set(t["tenants"]["tenant_id"]) <= set(t["product_users"]["tenant_id"])  # signer is a user
    ev = t["events"].merge(t["product_users"][["user_id", "tenant_id"]], on="user_id", how="left",
                           suffixes=("", "_of_user"))
    assert (ev["tenant_id"] == ev["tenant_id_of_user"]).all()  # a known user of that very tenant
    assert t["events"]["event_id"].is_unique
    assert set(t["survey_responses"]["invitation_id"]) <= set(t["survey_invitations"]["invitation_id"])
    resp = t["survey_responses"].merge(t["survey_invitations"], on="invitation_id", suffixes=("", "_inv"))
    assert (resp["email"] == resp["email_inv"]).all()
    assert set(t["enrollments"]["course_id"]) <= set(t["courses"]["course_id"])
    people = set(t["contacts"]["email"]) | set(t["product_users"]["email"])
    strangers = ~t["tickets"]["requester_email"].isin(people)
    assert _free(t["tickets"].loc[strangers, "requester_email"]).all()  # unknown: personal mailboxes
    assert set(t["survey_invitations"]["email"]) <= set(t["contacts"]["email"])
    outside = ~t["enrollments"]["email"].isin(people)
    assert _free(t["enrollments"].loc[outside, "email"]).all()
    # company addresses sit on the account's domain; the rest are personal mailboxes
    domains = t["accounts"].set_index("account_id")["domain"]
    contacts = t["contacts"][~_free(t["contacts"]["email"])]
    assert (_domain(contacts["email"]) == contacts["account_id"].map(domains)).all()
    tenant_account = t["tenants"].set_index("tenant_id")["account_id"]
    users = t["product_users"][~_free(t["product_users"]["email"])]
    users = users.assign(account_id=users["tenant_id"].map(tenant_account)).dropna(subset=["account_id"])
    assert (_domain(users["email"]) == users["account_id"].map(domains)).all()
    # activities: in the account's own CRM, with one of its contacts, deleted after they happened
    acts = t["activities"]
    assert acts["activity_id"].is_unique and set(acts["account_id"]) <= accounts
    assert (acts["crm"] == acts["account_id"].map(t["accounts"].set_index("account_id")["crm"])).all()
    with_contact = acts.dropna(subset=["contact_id"])
    assert (with_contact["account_id"] == with_contact["contact_id"].map(
        t["contacts"].set_index("contact_id")["account_id"])).all()
    assert (acts["deleted_at"].dropna() > acts.loc[acts["deleted_at"].notna(), "occurred_at"]).all()


def _check_time(t, as_of: date) -> None:
    end = _end_of(as_of)
    for name, cols in TS_COLUMNS.items():
        for col in cols:
            assert (t[name][col].dropna() < end).all(), (name, col)
    assert (t["events"]["occurred_at"] < end).all()
    assert (t["contracts"]["start_date"] <= as_of).all()
    open_ = t["contracts"]["renewed"].isna()
    assert (open_ == (t["contracts"]["end_date"] > as_of)).all()
    assert set(t["contracts"]["renewed"].dropna()) <= {"true", "false"}
    for _, chain in t["contracts"].sort_values("start_date").groupby("account_id"):
        assert (chain["start_date"].iloc[1:].to_numpy() == chain["end_date"].iloc[:-1].to_numpy()).all()
        assert (chain["renewed"].iloc[:-1] == "true").all()  # only the last one may be lost or open
    # every row comes after what it references
    first_start = t["contracts"].groupby("account_id")["start_date"].min()
    tenants = t["tenants"].set_index("tenant_id")
    acc_created = t["accounts"].set_index("account_id")["created_at"]
    customers = t["accounts"][t["accounts"]["account_id"].isin(first_start.index)]
    assert (customers["created_at"].dt.date.to_numpy()
            <= customers["account_id"].map(first_start).to_numpy()).all()
    owned = tenants[tenants["account_id"].notna()]
    assert (owned["created_at"] >= owned["account_id"].map(acc_created)).all()
    users = t["product_users"]
    assert (users["created_at"] >= users["tenant_id"].map(tenants["created_at"])).all()
    ev = t["events"].merge(users[["user_id", "created_at"]], on="user_id")
    assert (ev["occurred_at"] > ev["created_at"]).all()
    resp = t["survey_responses"].merge(t["survey_invitations"], on="invitation_id")
    assert (resp["responded_at"] > resp["sent_at"]).all()
    tk = t["tickets"]
    answered = tk["first_response_at"].notna()
    assert (tk.loc[answered, "first_response_at"] >= tk.loc[answered, "created_at"]).all()
    solved = tk["solved_at"].notna()
    assert (tk.loc[solved, "solved_at"] >= tk.loc[solved, "created_at"]).all()
    both = answered & solved
    assert (tk.loc[both, "solved_at"] >= tk.loc[both, "first_response_at"]).all()
    assert (tk["status"] == "solved").eq(solved).all() and tk.loc[~solved, "csat"].isna().all()
    en = t["enrollments"]
    att = en["attended_at"].notna()
    assert (en.loc[att, "attended_at"] > en.loc[att, "registered_at"]).all()
    assert en.loc[en["completed_at"].notna(), "attended_at"].notna().all()


# --- XS ----------------------------------------------------------------------------------

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
        month = pq.read_table(f, columns=["occurred_at"]).column(0).to_pandas().dt.strftime("%Y-%m")
        assert (month <= f.stem).all() and (month == f.stem).mean() > 0.9  # one file per month, some late
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
    assert set(t["contracts"]["plan"]) <= {"starter", "growth", "enterprise"}
    counts = t["contacts"].groupby("account_id").size()
    assert counts.between(2, 12).all() and len(counts) == len(t["accounts"])
    assert len(t["tenants"]) > len(t["accounts"]) and t["tenants"]["tenant_id"].str.fullmatch(r"t_[0-9a-f]{8}").all()
    assert 0 < len(t["events"]) < 50_000 and t["events"]["event_id"].is_unique
    assert set(t["tickets"]["system"]) <= {"zendesk", "freshdesk"}
    assert set(t["tickets"]["priority"]) <= {"low", "normal", "high", "urgent"}
    assert set(t["tickets"]["csat"].dropna()) <= {"good", "bad"}
    assert set(t["survey_invitations"]["survey"]) == {"nps_30d", "nps_90d", "relationship"}
    assert t["survey_responses"]["score"].astype(int).between(0, 10).all()
    assert set(t["courses"]["kind"]) == {"onboarding", "webinar", "certification"}
    assert set(t["product_users"]["role"]) == {"admin", "member"}
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
    _check_references(xs[-1])


def test_nothing_after_as_of_and_nothing_before_its_cause(xs):
    _check_time(xs[-1], DEFAULT_AS_OF)


def test_a_world_cut_at_any_day_is_a_valid_world(xs, tmp_path):
    world, *_ = xs
    for back in (45, 200):
        day = DEFAULT_AS_OF - timedelta(days=back)
        meta = cut_world(world, tmp_path / str(back), day)
        assert meta["as_of"] == day.isoformat()
        t = _load(tmp_path / str(back))
        _check_references(t)
        _check_time(t, day)
        assert 0 < len(t["events"]) < len(xs[-1]["events"])


def test_a_cut_copies_the_event_files_it_leaves_whole_and_a_day_later_only_adds_one(xs, tmp_path):
    world, *_ = xs
    cut_world(world, tmp_path / "cut", DEFAULT_AS_OF - timedelta(days=1))
    originals = {path.name: path for path in event_files(world)}
    cut_files = event_files(tmp_path / "cut")
    whole = [p for p in cut_files if p.read_bytes() == originals[p.name].read_bytes()]
    assert len(whole) == len(cut_files) - 1  # the last month lost its last day
    assert all(p.stat().st_mtime_ns == originals[p.name].stat().st_mtime_ns for p in whole)

    meta = day_later(tmp_path / "cut", world, tmp_path / "later")
    later_files = event_files(tmp_path / "later")
    assert meta == read_meta(world) == read_meta(tmp_path / "later")
    assert [p.name for p in later_files] == sorted([p.name for p in cut_files] + [f"{DEFAULT_AS_OF}.parquet"])
    assert all(p.read_bytes() == (tmp_path / "cut" / "events" / p.name).read_bytes()
               for p in later_files if p.name in {c.name for c in cut_files})
    events = lambda folder: pd.concat([pq.read_table(p).to_pandas() for p in event_files(folder)])  # noqa: E731
    later, full = events(tmp_path / "later"), events(world)
    assert sorted(later["event_id"]) == sorted(full["event_id"]) and len(later) == len(full)
    assert (pq.read_table(tmp_path / "later" / "events" / f"{DEFAULT_AS_OF}.parquet").column("occurred_at")
            .to_pandas().dt.date == DEFAULT_AS_OF).all()


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


# --- S, seed 42 ---------------------------------------------------------------------------

def _mess(t) -> dict[str, int]:
    """What a consumer of the world sees of each kind of mess, counted."""
    accounts, tenants, users, contacts, tickets = (
        t[k] for k in ("accounts", "tenants", "product_users", "contacts", "tickets"))
    owned = tenants[tenants["account_id"].notna()]
    per_account = owned.groupby("account_id").size()
    main = owned.sort_values("created_at", kind="stable").groupby("account_id").head(1)
    names = accounts.set_index("account_id")["name"]
    exact = (owned["name"] == owned["account_id"].map(names)).groupby(owned["account_id"]).any()
    lower = contacts.assign(key=contacts["email"].str.lower())
    people = set(contacts["email"].str.lower()) | set(users["email"].str.lower())
    events = t["events"]
    answered = set(t["survey_responses"]["invitation_id"])
    return {
        "accounts_missing_industry": int(accounts["industry"].isna().sum()),
        "accounts_missing_employees": int(accounts["employees"].isna().sum()),
        "accounts_missing_country": int(accounts["country"].isna().sum()),
        "contacts": len(contacts),
        "contacts_entered_twice": int(lower.duplicated(["account_id", "key"]).sum()),
        "contacts_free_mail": int(_free(contacts["email"]).sum()),
        "tenants": len(tenants),
        "trial_tenants": int(tenants["account_id"].isna().sum()),
        "accounts_with_several_tenants": int((per_account >= 2).sum()),
        "most_tenants_of_an_account": int(per_account.max()),
        "main_tenants_free_mail_signup": int(_free(main["signup_email"]).sum()),
        "accounts_without_exact_name_tenant": int((~exact).sum()),
        "users": len(users),
        "users_free_mail": int(_free(users["email"]).sum()),
        "tickets": len(tickets),
        "tickets_unknown_requester": int((~tickets["requester_email"].str.lower().isin(people)).sum()),
        "tickets_solved_without_first_response": int(
            (tickets["solved_at"].notna() & tickets["first_response_at"].isna()).sum()),
        "events": len(events),
        "events_in_a_later_month_file": int((events["occurred_at"].dt.strftime("%Y-%m") < events["file"]).sum()),
        "invitations": len(t["survey_invitations"]),
        "invitations_unanswered": int((~t["survey_invitations"]["invitation_id"].isin(answered)).sum()),
    }


def test_the_mess_is_there_at_its_rate(s_world):
    m = _mess(s_world)
    # exact for S, seed 42: any change to the generator's random draws changes these numbers
    assert m == {
        "accounts_missing_industry": 16, "accounts_missing_employees": 22, "accounts_missing_country": 9,
        "contacts": 835, "contacts_entered_twice": 36, "contacts_free_mail": 16,
        "tenants": 242, "trial_tenants": 12, "accounts_with_several_tenants": 19, "most_tenants_of_an_account": 3,
        "main_tenants_free_mail_signup": 15, "accounts_without_exact_name_tenant": 126,
        "users": 4605, "users_free_mail": 263,
        "tickets": 733, "tickets_unknown_requester": 57, "tickets_solved_without_first_response": 24,
        "events": 319233, "events_in_a_later_month_file": 568,
        "invitations": 1686, "invitations_unanswered": 756,
    }
    n = SIZES["S"].accounts

    def near(count: int, rate: float, of: int) -> bool:  # within 4 binomial standard deviations
        return abs(count - rate * of) <= 4 * (rate * (1 - rate) * of) ** 0.5 + 1

    assert near(m["accounts_missing_industry"], MESS["account_missing_industry"], n)
    assert near(m["accounts_missing_employees"], MESS["account_missing_employees"], n)
    assert near(m["accounts_missing_country"], MESS["account_missing_country"], n)
    assert m["trial_tenants"] == round(MESS["trial_tenants"] * n)
    assert near(m["accounts_with_several_tenants"], MESS["account_multi_tenant"], n)
    assert m["most_tenants_of_an_account"] == 3
    assert near(m["main_tenants_free_mail_signup"], MESS["tenant_free_mail_signup"], n)
    assert near(m["contacts_entered_twice"], MESS["contact_duplicate"], m["contacts"])
    assert near(m["tickets_unknown_requester"], MESS["ticket_unknown_requester"], m["tickets"])
    assert m["users_free_mail"] > 0.02 * m["users"] and m["contacts_free_mail"] > 0
    assert m["tickets_solved_without_first_response"] > 0
    # late arrivals: 2 % of events, the ones crossing a month boundary end in the next file
    assert 0.0005 * m["events"] < m["events_in_a_later_month_file"] < 0.01 * m["events"]
    assert m["invitations_unanswered"] > 0.3 * m["invitations"]
    # well above zero: matching tenants to accounts by exact name fails for many accounts
    assert 0.3 < m["accounts_without_exact_name_tenant"] / n < 0.8


def test_tenant_names_and_signups_are_realistically_messy(s_world):
    t = s_world
    names = t["tenants"]["name"]
    assert names.str.contains("株式会社").any() and names.str.contains(r"[\u30a0-\u30ff]").any()
    assert names.str.fullmatch(r"[a-z0-9_-]+").any()  # slugs
    assert names.str.contains(" - ").any() and names.str.contains("sandbox|test|staging|dev").any()
    # free-mail signups come from several accounts: a domain match on them would be wrong
    owned = t["tenants"].dropna(subset=["account_id"])
    free = owned[_free(owned["signup_email"])]
    assert free["account_id"].nunique() >= 5
    assert _domain(free["signup_email"]).value_counts().iloc[0] >= 2
    # a sandbox's users are copies of people who already have a user elsewhere
    assert t["product_users"]["email"].duplicated().any()
    # duplicates differ only by case
    contacts = t["contacts"]
    twice = contacts[contacts.assign(k=contacts["email"].str.lower()).duplicated(["account_id", "k"], keep=False)]
    assert len(twice) > 0 and twice["email"].nunique() == len(twice)


def test_lifecycle_expansion_and_renewal_window(s_world):
    t = s_world
    c = t["contracts"].sort_values(["account_id", "start_date"]).copy()
    c["seats"] = c["seats"].astype(int)
    c["prev_seats"] = c.groupby("account_id")["seats"].shift()
    c["prev_plan"] = c.groupby("account_id")["plan"].shift()
    renewals = c.dropna(subset=["prev_seats"])
    assert (renewals["seats"] > renewals["prev_seats"]).mean() > 0.4  # healthy accounts expand
    assert (renewals["seats"] < renewals["prev_seats"]).any()  # struggling ones cut back
    assert (renewals["plan"] != renewals["prev_plan"]).any()  # and some move up a plan
    subjects = set(t["tickets"]["subject"])
    assert set(vocab.SUBJECTS_RENEWAL_GOOD) & subjects and set(vocab.SUBJECTS_RENEWAL_BAD) & subjects
    assert set(vocab.SUBJECTS_ONBOARDING) & subjects
    # onboarding: accounts that started inside the history use fewer features at first
    first_day = t["events"]["occurred_at"].min().normalize()
    start = c.groupby("account_id")["start_date"].min()
    start = pd.to_datetime(start.astype(str)).dt.tz_localize("UTC")
    start = start[start > first_day]
    tenant_acc = t["tenants"].set_index("tenant_id")["account_id"]
    ev = t["events"].assign(account_id=t["events"]["tenant_id"].map(tenant_acc))
    ev = ev[ev["account_id"].isin(start.index)]
    age = (ev["occurred_at"] - ev["account_id"].map(start)).dt.days
    daily = ev.assign(day=ev["occurred_at"].dt.date).groupby(["account_id", "day"])["feature"].nunique()
    early = ev[age < 30].assign(day=lambda e: e["occurred_at"].dt.date).groupby(["account_id", "day"]).size().index
    late = ev[(age >= 120) & (age < 240)].assign(day=lambda e: e["occurred_at"].dt.date).groupby(
        ["account_id", "day"]).size().index
    assert daily.loc[early].mean() < daily.loc[late].mean()
    # onboarding courses go to new accounts
    assert t["enrollments"]["course_id"].isin(["CRS-01", "CRS-02"]).any()


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
    tenant_acc = t["tenants"].set_index("tenant_id")["account_id"]
    users = t["product_users"]["tenant_id"].map(tenant_acc).value_counts()
    events = t["events"][["tenant_id", "user_id", "occurred_at"]]
    by_account = dict(tuple(events.assign(account_id=events["tenant_id"].map(tenant_acc)).groupby("account_id")))
    share = []
    for row in decided.itertuples():
        ev = by_account.get(row.account_id)
        lo, hi = row.end - pd.Timedelta(days=60), row.end - pd.Timedelta(days=30)
        if ev is not None:
            ev = ev[ev["occurred_at"].between(lo, hi, inclusive="left")]
        active = 0 if ev is None else ev["user_id"].nunique()
        share.append(active / users[row.account_id])
    decided["share"] = share
    churned = decided["renewed"] == "false"
    assert churned.sum() >= 5
    rank = decided["share"].rank()
    n1, n0 = churned.sum(), (~churned).sum()
    auc = (rank[~churned].sum() - n0 * (n0 + 1) / 2) / (n0 * n1)
    assert auc > 0.65, auc
    # churn near 5–15 % of the customers a year
    years = len(pd.date_range(first_day, _end_of(DEFAULT_AS_OF), freq="D")) / 365.25
    rate = churned.sum() / len(t["accounts"]) / years
    assert 0.05 < rate < 0.15, rate
    # unhealthy accounts also complain more and answer worse
    assert len(t["tickets"]) > 100 and (t["tickets"]["csat"] == "bad").any()
    scores = t["survey_responses"]["score"].astype(int)
    assert scores.min() <= 6 and scores.max() >= 9
    assert len(t["events"]) < 600_000


def test_activities_follow_health_without_giving_it_away(s_world):
    """Touches (calls, meetings, e-mails) in the 120 to 30 days before a decided contract end
    rank churners lower, but far from perfectly (busy CSMs, firefighting, renewal reviews)."""
    t = s_world
    acts = t["activities"]
    assert set(acts.loc[acts["crm"] == "salesforce", "kind"]) == {"call", "meeting", "email", "task"}
    assert set(acts.loc[acts["crm"] == "hubspot", "kind"]) == {"call", "meeting", "email", "note"}
    assert 0.01 < acts["deleted_at"].notna().mean() < 0.05
    touches = acts[acts["kind"].isin(["call", "meeting", "email"]) & acts["deleted_at"].isna()]
    first_day = acts["occurred_at"].min().normalize()
    decided = t["contracts"][t["contracts"]["renewed"].notna()].copy()
    decided["end"] = pd.to_datetime(decided["end_date"].astype(str)).dt.tz_localize("UTC")
    decided = decided[decided["end"] - pd.Timedelta(days=120) >= first_day]
    by_account = dict(tuple(touches.groupby("account_id")))
    counts = []
    for row in decided.itertuples():
        found = by_account.get(row.account_id)
        window = (row.end - pd.Timedelta(days=120), row.end - pd.Timedelta(days=30))
        counts.append(0 if found is None else found["occurred_at"].between(*window, inclusive="left").sum())
    decided["touches"] = counts
    churned = decided["renewed"] == "false"
    rank = decided["touches"].rank()
    n1, n0 = churned.sum(), (~churned).sum()
    auc = (rank[~churned].sum() - n0 * (n0 + 1) / 2) / (n0 * n1)
    assert n1 >= 10 and 0.55 < auc < 0.85, auc


def test_account_keys_and_domains_are_unique_even_when_names_repeat(s_world):
    accounts = s_world["accounts"]
    assert accounts["account_id"].is_unique
    assert accounts["domain"].is_unique
    assert accounts["name"].duplicated().sum() == 1  # seed 42 draws one repeated company name


def test_s_world_is_valid(s_world):
    _check_references(s_world)
    _check_time(s_world, DEFAULT_AS_OF)


@pytest.mark.slow
def test_m_world_is_valid_and_deterministic(tmp_path):
    generate_world(tmp_path / "a", size="M", seed=3)
    generate_world(tmp_path / "b", size="M", seed=3)
    assert _files(tmp_path / "a") == _files(tmp_path / "b")
    t = _load(tmp_path / "a")
    _check_references(t)
    _check_time(t, DEFAULT_AS_OF)
