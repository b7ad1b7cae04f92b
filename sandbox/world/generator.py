"""Deterministic generator of a synthetic B2B SaaS customer world (contract section 4).

The causal model is deliberately simple so a score built from the served data can be
checked against the truth:

* every account has a hidden health ``h`` (logit scale): a mean-reverting random walk
  around the account's own level, with an occasional lasting shock (a champion leaves,
  a rollout fails). ``p = sigmoid(h)`` is the health as a probability;
* ``p`` drives how many of the tenant's users are active each day, how many events they
  make and how many features they touch, ticket volume, priority and bad CSAT, whether
  invitees answer surveys and the score they give, training attendance;
* decisively, whether a contract renews: the churn probability at a contract's end is a
  steep function of the mean health over its last 30 days. Health moves slowly, so
  accounts that churn use the product less for months before. Healthy accounts expand at
  renewal (more seats, sometimes the next plan, a 3 % price uplift), and new seats bring
  new product users;
* lifecycle: in its first 90 days an account is onboarding (few features, more "how do
  I" tickets, onboarding courses); in the last 20–75 days of a contract the renewal
  window brings a quote request, or from unhealthy accounts a downgrade / cancel ticket;
* seasonality: weekends are quiet (12 % of a weekday), the year-end holidays (24 Dec – 3
  Jan) run at 35 % and August at 85 %.

Real-world mess, each at a fixed rate (``MESS``), so that nothing downstream can rely on
clean keys:

* tenant names differ from CRM names (legal forms, slugs, abbreviations, initials,
  katakana / kanji spellings, 株式会社 prefixes; shares in ``vocab.STYLES_*``); 10 % of
  accounts have 2–3 tenants (departments named "<name> - Sales", sandboxes
  "<slug>-sandbox" whose users are copies of the account's admins); 8 % of main tenants
  were signed up from a free-mail address (gmail.com, yahoo.co.jp, …); trial tenants of
  prospects (6 % as many as accounts) belong to no account: their ``account_id`` is empty;
* product users with a free-mail address (5 %); contacts entered twice with the e-mail in
  another case (4 %), contacts recorded with a personal free-mail address (3 %), contacts
  without a title (5 %); accounts without industry (6 %), employees (8 %) or country (4 %);
* help-desk requesters nobody knows (6 % of tickets come from a personal free-mail
  address); answered tickets whose ``first_response_at`` is missing (4 %); webinar
  registrations with a personal address (5 %);
* late-arriving events: 2 % of events arrive 1 h + Exp(3 d) after they occurred and sit in
  the file of the month they arrived in (so some ``occurred_at`` precede their file's
  month); events that had not arrived by ``as_of`` are not in the world;
* survey invitations mostly go unanswered (answer chance 15 % + 55 % × health).

Everything comes from one ``numpy.random.default_rng(seed)`` drawn in a fixed order and
works on day indices and epoch seconds (no wall clock, no sets, no ``hash()``), so the
same seed and size give byte-identical files. Per-event work is vectorised per month and
the events are written month by month.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from importlib import metadata
from pathlib import Path
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from sandbox.world import vocab as V
from sandbox.world.activities import activities_frame, is_executive
from sandbox.world.mechanisms import DEFAULT_MECHANISM, mechanism as churn_mechanism
from sandbox.world.format import (
    DEFAULT_LMS_VENDOR, DEFAULT_SURVEY_VENDOR, EVENTS_DIR, LMS_VENDORS, SURVEY_VENDORS, WORLD_TABLES,
)


@dataclass(frozen=True)
class Size:
    accounts: int
    days: int  # days of history ending at as_of (activity is only simulated inside them)
    user_cap: int  # product users per tenant, so small worlds stay small


SIZES: dict[str, Size] = {
    "XS": Size(accounts=24, days=400, user_cap=12),
    "S": Size(accounts=200, days=400, user_cap=30),
    "M": Size(accounts=2_000, days=400, user_cap=40),
    "L": Size(accounts=20_000, days=730, user_cap=40),
}
DEFAULT_AS_OF = date(2026, 10, 31)
DAY = 86_400
NULL = np.iinfo(np.int64).min  # "no timestamp" in the int64 second arrays

# The rates of the mess (module docstring): shares of the rows each applies to.
MESS = {
    "account_missing_industry": 0.06,
    "account_missing_employees": 0.08,
    "account_missing_country": 0.04,
    "contact_duplicate": 0.04,  # the same person entered again, e-mail in another case
    "contact_free_mail": 0.03,  # never the account's first contact
    "contact_missing_title": 0.05,
    "account_multi_tenant": 0.10,  # 1–2 more tenants (60 % departments, 40 % sandboxes)
    "tenant_free_mail_signup": 0.08,  # of the accounts' main tenants
    "trial_tenants": 0.06,  # trial tenants of no account, per account
    "user_free_mail": 0.05,  # of the users who are not a tenant's first user
    "ticket_unknown_requester": 0.06,
    "ticket_missing_first_response": 0.04,  # of the tickets that got one
    "enrollment_free_mail": 0.05,
    "event_late": 0.02,
}
ONBOARDING_DAYS = 90
LATE_MEAN_SECONDS = 3 * DAY

_PLANS = ["starter", "growth", "enterprise"]
_PLAN_SEATS = np.array([[5, 25], [20, 120], [100, 500]])
_PLAN_PRICE = np.array([25.0, 40.0, 55.0])

_EVENT_TYPES = np.array(["login", "view", "create", "update", "comment", "share", "export", "invite"])
_EVENT_P = np.array([0.50, 0.18, 0.12, 0.10, 0.05, 0.04, 0.01])  # after the day's login
# ordered from the feature everyone uses to the ones only engaged tenants reach
_FEATURES = np.array(["dashboard", "projects", "tasks", "reports", "comments", "files",
                      "integrations", "automations", "api", "admin"])
_PRIORITIES = np.array(["low", "normal", "high", "urgent"])
_EVENT_TYPES_PA, _FEATURES_PA = pa.array(_EVENT_TYPES), pa.array(_FEATURES)
_DICTIONARY_COLUMNS = ["tenant_id", "user_id", "event_type", "feature"]  # event ids are all distinct


def generate_world(out: Path, size: str = "S", seed: int = 42, as_of: date | None = None,
                   progress: Callable[[str], None] | None = None, mechanism: str = DEFAULT_MECHANISM,
                   lms_vendor: str = DEFAULT_LMS_VENDOR, survey_vendor: str = DEFAULT_SURVEY_VENDOR) -> dict:
    """Write a world of `size` into `out` and return its meta dict.

    `mechanism` names why customers leave (sandbox/world/mechanisms.py); a non-default
    one is recorded in meta.json under the extra key ``mechanism``; so is an LMS vendor
    other than the generic API (``lms_vendor``: which double serves the training data),
    and a survey vendor other than the generic API (``survey_vendor``: delighted or
    typeform, the survey tool the sandbox serves the answers from).
    """
    if lms_vendor not in LMS_VENDORS:
        raise ValueError(f"unknown LMS vendor {lms_vendor!r}; choose one of {', '.join(LMS_VENDORS)}")
    if size not in SIZES:
        raise ValueError(f"unknown size {size!r}; choose one of {', '.join(SIZES)}")
    why = churn_mechanism(mechanism, int(seed))  # an unknown name fails before anything is written
    if survey_vendor not in SURVEY_VENDORS:
        raise ValueError(f"unknown survey vendor {survey_vendor!r}; choose one of {', '.join(SURVEY_VENDORS)}")
    as_of = as_of or DEFAULT_AS_OF
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    events_dir = out / EVENTS_DIR
    events_dir.mkdir(exist_ok=True)
    for stale in events_dir.glob("*.parquet"):  # months of an earlier world would stay behind
        stale.unlink()
    say = progress or (lambda line: None)
    meta = {"as_of": as_of.isoformat(), "seed": int(seed), "size": size,
            "generator": f"cs360 {_version()} sandbox.world"}
    if why.name != DEFAULT_MECHANISM:
        meta["mechanism"] = why.name
    if lms_vendor != DEFAULT_LMS_VENDOR:
        meta["lms_vendor"] = lms_vendor
    if survey_vendor != DEFAULT_SURVEY_VENDOR:
        meta["survey_vendor"] = survey_vendor
    _World(SIZES[size], int(seed), as_of, out, say, why).build()
    (out / "meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return meta


def _version() -> str:
    try:
        return metadata.version("cs360")
    except metadata.PackageNotFoundError:
        return "0.0.0"


# --- date helpers (epoch days, epoch seconds) --------------------------------------------

def _epoch_day(d: date) -> int:
    return int(np.datetime64(d.isoformat(), "D").astype(np.int64))


def _month_start(days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[D]").astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)


def _add_months(days: np.ndarray, months: np.ndarray) -> np.ndarray:
    """Same day of month, `months` later (days are kept at ≤ 28 so it always exists)."""
    month = days.astype("datetime64[D]").astype("datetime64[M]")
    shifted = (month + months.astype("timedelta64[M]")).astype("datetime64[D]").astype(np.int64)
    return shifted + (days - _month_start(days))


def _iso_ts(sec: np.ndarray) -> np.ndarray:
    sec = np.asarray(sec, np.int64)
    text = np.char.add(np.datetime_as_string(sec.astype("datetime64[s]"), unit="s"), "Z").astype(object)
    text[sec == NULL] = ""
    return text


def _iso_day(days: np.ndarray) -> np.ndarray:
    return np.datetime_as_string(np.asarray(days, np.int64).astype("datetime64[D]"), unit="D").astype(object)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _dedupe(emails: np.ndarray) -> np.ndarray:
    """Make emails unique by numbering repeats (john.smith@, john.smith2@, …)."""
    s = pd.Series(emails, dtype=object)
    n = s.groupby(s, sort=False).cumcount().to_numpy()
    local, _, domain = s.str.partition("@").T.to_numpy()
    suffix = np.where(n > 0, (n + 1).astype(str), "")
    return (local + suffix + "@" + domain).astype(object)


def _within(group: np.ndarray) -> np.ndarray:
    """Position of each row inside its run of equal, consecutive `group` values."""
    if len(group) == 0:
        return np.zeros(0, np.int64)
    first = np.r_[True, group[1:] != group[:-1]]
    start = np.flatnonzero(first)
    return np.arange(len(group)) - np.repeat(start, np.diff(np.r_[start, len(group)]))


def _case_variant(emails: np.ndarray, u: np.ndarray) -> np.ndarray:
    """The same address typed differently: ``Aiko.Tanaka@…`` or all in capitals."""
    if len(emails) == 0:  # pandas cannot split an empty column into three
        return np.zeros(0, dtype=object)
    s = pd.Series(emails, dtype=object)
    local, _, domain = s.str.partition("@").T.to_numpy()
    titled = pd.Series(local, dtype=object).str.title().to_numpy() + "@" + domain
    return np.where(u < 0.7, titled, s.str.upper().to_numpy()).astype(object)


def _sort_order(keys: np.ndarray, base: int) -> np.ndarray:
    """Indices that sort the int64 `keys` (all ≥ base), ties in index order.

    Packs key and index into one unique int64, so a plain (fast, unstable) sort gives the
    same order on every machine.
    """
    bits = max(1, int(len(keys)).bit_length())
    packed = (keys - base) << bits
    if len(keys) and (packed.min() < 0 or int(keys.max() - base) >= 1 << (62 - bits)):
        raise ValueError("keys out of range for packing")
    packed |= np.arange(len(keys))
    packed.sort()
    return packed & ((1 << bits) - 1)


def _objects(values) -> np.ndarray:
    return np.array(values, dtype=object)


class _World:
    def __init__(self, size: Size, seed: int, as_of: date, out: Path, say: Callable[[str], None],
                 mechanism=None):
        self.size, self.out, self.say = size, out, say
        self.mechanism = mechanism or churn_mechanism(DEFAULT_MECHANISM, seed)
        self.rng = np.random.default_rng(seed)
        self.seed = seed
        self.n = size.accounts
        self.n_trial = int(round(MESS["trial_tenants"] * size.accounts))
        self.last_day = _epoch_day(as_of)  # as_of includes its whole day
        self.first_day = self.last_day - size.days + 1
        self.horizon = (self.last_day + 1) * DAY  # every timestamp is before this second
        self.days = np.arange(self.first_day, self.last_day + 1)
        self.season = self._season()
        self._free_issued = np.zeros(0, dtype=object)

    def _season(self) -> np.ndarray:
        dates = self.days.astype("datetime64[D]")
        month = dates.astype("datetime64[M]").astype(np.int64) % 12 + 1
        mday = (dates - dates.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1
        weekday = (self.days + 3) % 7  # Monday=0 … Sunday=6 (1970-01-01 was a Thursday)
        factor = np.where(weekday >= 5, 0.12, 1.0)
        holidays = ((month == 12) & (mday >= 24)) | ((month == 1) & (mday <= 3))
        factor = factor * np.where(holidays, 0.35, np.where(month == 8, 0.85, 1.0))
        return factor.astype(np.float32)

    def build(self) -> None:
        self._accounts()
        self._health()
        self.mechanism.prepare(self)
        self._contracts()
        self._contacts()
        self._tenants()
        self._users()
        self._events()
        self._tickets()
        self._surveys()
        self._training()
        self._write("activities", activities_frame(self, self.seed))

    # --- helpers ------------------------------------------------------------------------

    def _write(self, name: str, frame: pd.DataFrame) -> None:
        frame = frame[WORLD_TABLES[name]]
        frame.to_csv(self.out / f"{name}.csv", index=False, lineterminator="\n", encoding="utf-8")
        self.say(f"{name}: {len(frame):,} rows")

    def _alive(self, acc: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Whether account `acc` has a contract covering `day` (contracts are gapless)."""
        return (self.start[acc] <= day) & (day < self.end[acc])

    def _p_at(self, acc: np.ndarray, day: np.ndarray) -> np.ndarray:
        return self.p[acc, np.clip(day - self.first_day, 0, self.size.days - 1)]

    def _business_second(self, tz: np.ndarray, spread_hours: float = 2.5) -> np.ndarray:
        """A second of the UTC day during local working hours at UTC offset `tz`."""
        local = self.rng.normal(13.0, spread_hours, len(tz)) - tz
        return np.mod((local * 3600).astype(np.int64), DAY)  # wrap: stays inside the UTC day

    def _people(self, japanese: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        rng, m = self.rng, len(japanese)
        first = np.where(japanese, _objects(V.FIRST_J)[rng.integers(0, len(V.FIRST_J), m)],
                         _objects(V.FIRST_W)[rng.integers(0, len(V.FIRST_W), m)])
        last = np.where(japanese, _objects(V.LAST_J)[rng.integers(0, len(V.LAST_J), m)],
                        _objects(V.LAST_W)[rng.integers(0, len(V.LAST_W), m)])
        return first.astype(object), last.astype(object)

    def _free_mail(self, first: np.ndarray, last: np.ndarray, japanese: np.ndarray) -> np.ndarray:
        """Personal addresses (aiko.tanaka87@yahoo.co.jp), unique across the whole world."""
        rng, m = self.rng, len(first)
        if m == 0:
            return np.zeros(0, dtype=object)
        num = rng.integers(1, 100, m).astype(str).astype(object)
        year = rng.integers(1965, 2004, m).astype(str).astype(object)
        style = rng.integers(0, 3, m)
        initial = pd.Series(first, dtype=object).str[0].to_numpy()
        local = np.where(style == 0, first + "." + last + num,
                         np.where(style == 1, initial + last + year, last + "_" + first))
        west = np.array([0.45, 0.12, 0.13, 0.08, 0.07, 0, 0, 0.05, 0.03, 0.03, 0.02, 0.02])
        domain = np.where(japanese,
                          _objects(V.FREE_MAIL_JP)[rng.choice(len(V.FREE_MAIL_JP), m, p=[0.4, 0.35, 0.1, 0.1, 0.05])],
                          _objects(V.FREE_MAIL)[rng.choice(len(V.FREE_MAIL), m, p=west / west.sum())])
        both = _dedupe(np.concatenate([self._free_issued, (local + "@" + domain).astype(object)]))
        self._free_issued = both
        return both[-m:]

    def _pick_person(self, acc: np.ndarray, at: np.ndarray, p_user: float = 0.5) -> np.ndarray:
        """A contact of the account, or one of its product users that existed at `at`."""
        rng = self.rng
        j = self.c_start[acc] + (rng.random(len(acc)) * self.c_count[acc]).astype(np.int64)
        email = self.c_email[j].copy()
        k = self.ua_order[self.ua_start[acc] + (rng.random(len(acc)) * self.ua_count[acc]).astype(np.int64)]
        use_user = (rng.random(len(acc)) < p_user) & (self.u_created[k] <= at)
        email[use_user] = self.u_email[k[use_user]]
        return email

    # --- the world ----------------------------------------------------------------------

    def _accounts(self) -> None:
        rng, n = self.rng, self.n
        # First contract start: about two thirds before the history window (their earliest
        # rows start before it), the rest inside it; uniform days spread renewals over the year.
        before = rng.random(n) < 0.65
        start = np.where(before, rng.integers(self.first_day - 730, self.first_day, n),
                         rng.integers(self.first_day, self.last_day - 13, n))
        start = np.minimum(start, _month_start(start) + 27)  # day of month ≤ 28: anniversaries exist
        created = start * DAY - rng.integers(7 * DAY, 120 * DAY, n)
        order = np.argsort(created, kind="stable")  # customer numbers are issued in order
        self.start, self.acc_created = start[order], created[order]
        self.account_id = _objects([f"C-{i:06d}" for i in range(1001, 1001 + n)])

        n_combos = len(V.NAME_A) * len(V.NAME_B) * len(V.NAME_C)
        combos = rng.choice(n_combos, n, replace=False)
        self.combos = combos
        self.parts = self._split(combos)
        self.name = self._join(*self.parts)
        shares = np.array([c[1] for c in V.COUNTRIES])
        country_ix = rng.choice(len(V.COUNTRIES), n, p=shares / shares.sum())
        self.country = _objects([V.COUNTRIES[i][0] for i in country_ix])
        self.japanese = self.country == "JP"
        self.tz = np.array([V.COUNTRIES[i][3] for i in country_ix], dtype=np.float64)
        self.tld = _objects([V.COUNTRIES[i][2] for i in country_ix])
        stem = pd.Series([nm.lower().replace(" ", "") for nm in self.name])
        tld = pd.Series(self.tld)
        # Two companies may share a name, never a domain: later ones get a number.
        repeat = (stem + tld).groupby(stem + tld).cumcount()
        self.domain = (stem + np.where(repeat > 0, (repeat + 1).astype(str), "") + tld).to_numpy(dtype=object)
        self.employees = np.clip(np.round(rng.lognormal(np.log(250), 1.3, n)), 10, 80_000).astype(np.int64)
        industry = rng.choice(V.INDUSTRIES, n).astype(object)
        crm = np.where(rng.random(n) < 0.6, "salesforce", "hubspot").astype(object)

        # about one CSM per 25 accounts, each a unique vendor address
        n_csm = max(1, round(n / 25))
        pool = [(first, last) for last in V.LAST_J + V.LAST_W for first in V.FIRST_J + V.FIRST_W]
        picks = rng.choice(len(pool), n_csm, replace=False)
        csms = _objects([f"{pool[i][0]}.{pool[i][1]}@vendor-cs.example" for i in picks])
        csm_email = csms[rng.integers(0, n_csm, n)]
        self.crm, self.csm_email = crm, csm_email

        # plan follows company size; seats within the plan's band and the head count
        size_class = np.digitize(self.employees, [100, 1000])
        plan_p = np.array([[0.75, 0.22, 0.03], [0.25, 0.6, 0.15], [0.05, 0.4, 0.55]])
        u = rng.random(n)
        self.plan = (u[:, None] > np.cumsum(plan_p[size_class], axis=1)).sum(axis=1)
        lo, hi = _PLAN_SEATS[self.plan, 0], _PLAN_SEATS[self.plan, 1]
        self.seats0 = np.clip(rng.integers(lo, hi + 1), 5, np.maximum(5, self.employees))
        self.discount = rng.uniform(0, 0.2, n)  # negotiated per seat
        self.price = _PLAN_PRICE[self.plan] * (1 - self.discount)

        # the CRM is not complete: some fields were never filled in
        gaps = rng.random((3, n))
        industry[gaps[0] < MESS["account_missing_industry"]] = ""
        employees = self.employees.astype(str).astype(object)
        employees[gaps[1] < MESS["account_missing_employees"]] = ""
        country = self.country.copy()
        country[gaps[2] < MESS["account_missing_country"]] = ""
        self._write("accounts", pd.DataFrame({
            "account_id": self.account_id, "name": self.name, "domain": self.domain,
            "industry": industry, "employees": employees, "country": country, "crm": crm,
            "csm_email": csm_email, "created_at": _iso_ts(self.acc_created)}))

    @staticmethod
    def _split(combos: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        a, rest = np.divmod(combos, len(V.NAME_B) * len(V.NAME_C))
        b, c = np.divmod(rest, len(V.NAME_C))
        return a, b, c

    @staticmethod
    def _join(a, b, c) -> np.ndarray:
        return _objects([f"{V.NAME_A[i]}{V.NAME_B[j]} {V.NAME_C[k]}" for i, j, k in zip(a, b, c, strict=True)])

    def _health(self) -> None:
        """Rows 0…n-1: the accounts; rows n…: trial tenants (prospects, mostly lukewarm)."""
        rng, n_days = self.rng, self.size.days
        rows = self.n + self.n_trial
        level = np.r_[rng.normal(1.6, 1.0, self.n), rng.normal(0.0, 1.0, self.n_trial)]
        # a third of the accounts get one lasting shock (mostly bad) at a random day
        shocked = rng.random(rows) < 0.33
        shock_day = np.where(shocked, rng.integers(0, n_days, rows), n_days)
        shock = rng.normal(-1.3, 0.9, rows)
        theta, sigma = 0.015, 0.08  # daily mean reversion and step: health moves over months
        x = level + rng.normal(0, sigma / np.sqrt(2 * theta), rows)
        h = np.empty((rows, n_days), np.float32)
        for i in range(n_days):  # one step per day for all accounts at once
            h[:, i] = x
            target = level + np.where(i >= shock_day, shock, 0.0)
            x = x + theta * (target - x) + sigma * rng.standard_normal(rows)
        self.h_rows = h
        self.p_rows = _sigmoid(h).astype(np.float32)
        self.h, self.p = h[: self.n], self.p_rows[: self.n]

    def _contracts(self) -> None:
        rng, n = self.rng, self.n
        rows, parts = [], []
        cur, seats = self.start.copy(), self.seats0.copy()
        plan, price = self.plan.copy(), self.price.copy()
        open_ = np.ones(n, bool)
        self.end = np.full(n, self.last_day + 1)  # first day not covered (churn) or past as_of
        k = 0
        while open_.any():
            acc = np.flatnonzero(open_)
            term = np.where(rng.random(len(acc)) < 0.15, 24, 12)
            s = cur[acc]
            e = _add_months(s, term)
            decided = e <= self.last_day
            # health over the contract's last 30 days decides the renewal; contracts that
            # ended before the window renewed (the account is still here at its start)
            last30 = (e - self.first_day)[:, None] + np.arange(-30, 0)[None, :]
            cols = np.clip(last30, 0, self.size.days - 1)
            hbar = self.h[acc[:, None], cols].mean(axis=1)
            p_churn = self.mechanism.churn_probability(self, acc, s, e, hbar)
            churn = decided & (e > self.first_day) & (rng.random(len(acc)) < p_churn)
            renewed = np.where(decided, np.where(churn, "false", "true"), "").astype(object)
            mrr = np.round(seats[acc] * price[acc], 2)
            rows.append(pd.DataFrame({
                "contract_id": [f"{a}-{k + 1:02d}" for a in self.account_id[acc]],
                "account_id": self.account_id[acc], "start_date": _iso_day(s), "end_date": _iso_day(e),
                "mrr": [f"{m:.2f}" for m in mrr], "seats": seats[acc],
                "plan": _objects(_PLANS)[plan[acc]], "renewed": renewed,
                "_acc": acc, "_start": s}))
            parts.append((acc, s, e, seats[acc].copy()))
            self.end[acc[churn]] = e[churn]
            open_[acc[~decided | churn]] = False
            # healthy customers add seats at renewal (outgrowing their plan: the next plan),
            # struggling ones cut back; the price per seat goes up 3 % a term
            want = np.round(seats[acc] * np.exp(rng.normal(0.12 * (hbar - 1.0), 0.08)))
            upgrade = (want > _PLAN_SEATS[plan[acc], 1]) & (plan[acc] < 2) & (hbar > 1.0)
            new_plan = plan[acc] + upgrade
            price[acc] = np.where(upgrade, _PLAN_PRICE[new_plan] * (1 - self.discount[acc]), price[acc] * 1.03)
            price[acc] = self.mechanism.renewal_price(self, acc, price[acc])
            plan[acc] = new_plan
            lo, hi = _PLAN_SEATS[new_plan, 0], _PLAN_SEATS[new_plan, 1]
            seats[acc] = np.clip(want, lo, hi).astype(np.int64)
            cur[acc] = e
            k += 1
        contracts = pd.concat(rows, ignore_index=True).sort_values(["_acc", "_start"], kind="stable")
        self._write("contracts", contracts)
        k_acc, k_start, k_end, k_seats = (np.concatenate(x) for x in zip(*parts, strict=True))
        order = np.lexsort((k_start, k_acc))
        self.k_acc, self.k_start, self.k_end, self.k_seats = (
            k_acc[order], k_start[order], k_end[order], k_seats[order])

    def _contacts(self) -> None:
        rng, n = self.rng, self.n
        count = rng.integers(2, 7, n)
        acc = np.repeat(np.arange(n), count)
        pos = _within(acc)
        first, last = self._people(self.japanese[acc])
        email = _dedupe(first + "." + last + "@" + self.domain[acc])
        title = rng.choice(V.TITLES, len(acc)).astype(object)
        title[rng.random(len(acc)) < MESS["contact_missing_title"]] = ""
        personal = (pos > 0) & (rng.random(len(acc)) < MESS["contact_free_mail"])
        email[personal] = self._free_mail(first[personal], last[personal], self.japanese[acc[personal]])
        # some people were entered twice: same name, the address typed in another case
        twice = rng.random(len(acc)) < MESS["contact_duplicate"]
        ix = np.repeat(np.arange(len(acc)), 1 + twice)
        again = np.r_[False, ix[1:] == ix[:-1]]
        email, title, first, last, acc = email[ix], title[ix], first[ix], last[ix], acc[ix]
        email[again] = _case_variant(email[again], rng.random(again.sum()))
        title[again & (rng.random(len(ix)) < 0.5)] = ""
        self.c_email, self.c_first, self.c_last = email, first, last
        self.c_id = _objects([f"P-{i:06d}" for i in range(1, len(acc) + 1)])
        self.c_executive = is_executive(title)
        self.c_count = np.bincount(acc, minlength=n)
        self.c_start = np.cumsum(self.c_count) - self.c_count
        self._write("contacts", pd.DataFrame({
            "contact_id": self.c_id,
            "account_id": self.account_id[acc], "email": email,
            "first_name": pd.Series(first).str.capitalize(), "last_name": pd.Series(last).str.capitalize(),
            "title": title}))

    def _tenants(self) -> None:
        """Main tenants (one per account), extra ones (departments, sandboxes), trials."""
        rng, n = self.rng, self.n
        a, b, c = self.parts
        # the main tenant: signed up by the account's first contact shortly before go-live
        main_created = self.start * DAY - rng.integers(0, 7 * DAY, n)
        styles = [np.array([s for s, _ in st]) for st in (V.STYLES_WEST, V.STYLES_JP)]
        shares = [np.array([p for _, p in st]) for st in (V.STYLES_WEST, V.STYLES_JP)]
        style = np.where(self.japanese, styles[1][rng.choice(len(styles[1]), n, p=shares[1])],
                         styles[0][rng.choice(len(styles[0]), n, p=shares[0])])
        pick = rng.random(n)
        main_name = _objects([V.tenant_name(st, V.NAME_A[i], V.NAME_B[j], V.NAME_C[k], co, u)
                              for st, i, j, k, co, u in zip(style, a, b, c, self.country, pick, strict=True)])
        signer = self.c_start
        free = rng.random(n) < MESS["tenant_free_mail_signup"]
        main_signup = self.c_email[signer].copy()
        main_signup[free] = self._free_mail(self.c_first[signer[free]], self.c_last[signer[free]],
                                            self.japanese[free])

        # extra tenants: a department's own workspace or an admin's sandbox
        more = np.where(rng.random(n) < MESS["account_multi_tenant"], rng.integers(1, 3, n), 0)
        x_acc = np.repeat(np.arange(n), more)
        until = np.minimum(self.end[x_acc] * DAY, self.horizon)
        x_created = main_created[x_acc] + (rng.uniform(0.05, 0.8, len(x_acc))
                                           * (until - main_created[x_acc])).astype(np.int64)
        x_sandbox = rng.random(len(x_acc)) < 0.4
        dept = _objects(V.DEPARTMENTS)[rng.integers(0, len(V.DEPARTMENTS), len(x_acc))]
        suffix = _objects(V.SANDBOX_SUFFIX)[rng.integers(0, len(V.SANDBOX_SUFFIX), len(x_acc))]
        slug = pd.Series(main_name[x_acc], dtype=object).str.lower().str.replace(" ", "-").to_numpy()
        x_name = np.where(x_sandbox, slug + suffix, main_name[x_acc] + " - " + dept).astype(object)
        # a department is signed up by one of its own people; a sandbox by the main admin
        x_first, x_last = self._people(self.japanese[x_acc])
        x_signup = np.where(x_sandbox, main_signup[x_acc], x_first + "." + x_last + "@" + self.domain[x_acc])

        # trials: prospects (names no customer has) who never bought
        nt = self.n_trial
        shares_c = np.array([co[1] for co in V.COUNTRIES])
        pool = np.setdiff1d(np.arange(len(V.NAME_A) * len(V.NAME_B) * len(V.NAME_C)), self.combos)
        tr_parts = self._split(rng.choice(pool, nt, replace=False))
        tr_country = rng.choice(len(V.COUNTRIES), nt, p=shares_c / shares_c.sum())
        tr_jp = np.array([V.COUNTRIES[i][0] == "JP" for i in tr_country], dtype=bool)
        tr_plain = self._join(*tr_parts)
        tr_name = np.where(rng.random(nt) < 0.5, tr_plain,
                           pd.Series(tr_plain, dtype=object).str.lower().str.replace(" ", "-").to_numpy())
        tr_domain = _objects([nm.lower().replace(" ", "") + V.COUNTRIES[i][2]
                              for nm, i in zip(tr_plain, tr_country, strict=True)])
        tr_domain = np.where(np.isin(tr_domain, self.domain), "get" + tr_domain, tr_domain).astype(object)
        tr_day = rng.integers(self.first_day, self.last_day - 1, nt)
        tr_created = tr_day * DAY + rng.integers(8 * 3600, 18 * 3600, nt)
        tr_end = np.minimum(tr_day + rng.integers(14, 31, nt), self.last_day + 1)
        tr_first, tr_last = self._people(tr_jp)
        tr_free = rng.random(nt) < 0.5
        tr_signup = np.where(tr_free, "", tr_first + "." + tr_last + "@" + tr_domain).astype(object)
        tr_signup[tr_free] = self._free_mail(tr_first[tr_free], tr_last[tr_free], tr_jp[tr_free])

        # all tenants, in the order the product created them
        kind = np.r_[np.zeros(n, np.int8), np.where(x_sandbox, 2, 1).astype(np.int8), np.full(nt, 3, np.int8)]
        t_acc = np.r_[np.arange(n), x_acc, np.full(nt, -1)]
        created = np.r_[main_created, x_created, tr_created]
        order = np.argsort(created, kind="stable")
        raw = rng.integers(16 ** 7, 16 ** 8, 4 * len(order))
        _, first_ix = np.unique(raw, return_index=True)
        ids = _objects([f"t_{v:08x}" for v in raw[np.sort(first_ix)][: len(order)]])
        acc_ok = t_acc >= 0
        self.t_kind, self.t_acc, self.t_created = kind[order], t_acc[order], created[order]
        self.t_id = ids
        self.t_name = np.r_[main_name, x_name, tr_name].astype(object)[order]
        self.t_signup = np.r_[main_signup, x_signup, tr_signup].astype(object)[order]
        self.t_signup_first = np.r_[self.c_first[signer], x_first, tr_first].astype(object)[order]
        self.t_signup_last = np.r_[self.c_last[signer], x_last, tr_last].astype(object)[order]
        self.t_row = np.where(acc_ok, t_acc, n + np.r_[np.zeros(n + len(x_acc), np.int64), np.arange(nt)])[order]
        self.t_until = np.where(acc_ok, self.end[np.maximum(t_acc, 0)],
                                np.r_[np.zeros(n + len(x_acc), np.int64), tr_end])[order]
        # onboarding starts with the account's first contract, or when the tenant was created
        self.t_origin = np.r_[self.start, x_created // DAY, tr_day][order]
        self.t_domain = np.r_[self.domain, self.domain[x_acc], tr_domain].astype(object)[order]
        self.t_japanese = np.r_[self.japanese, self.japanese[x_acc], tr_jp][order]
        self.t_tz = np.r_[self.tz, self.tz[x_acc], np.array([V.COUNTRIES[i][3] for i in tr_country], float)][order]
        self.main_tenant = np.empty(n, np.int64)
        self.main_tenant[self.t_acc[self.t_kind == 0]] = np.flatnonzero(self.t_kind == 0)
        account_id = np.where(self.t_acc >= 0, self.account_id[np.maximum(self.t_acc, 0)], "").astype(object)
        self._write("tenants", pd.DataFrame({
            "tenant_id": self.t_id, "account_id": account_id, "name": self.t_name,
            "signup_email": self.t_signup, "created_at": _iso_ts(self.t_created)}))

    def _users(self) -> None:
        rng, n, cap = self.rng, self.n, self.size.user_cap
        # main tenants: users for 40–90 % of the seats; a renewal that adds seats adds users
        frac = rng.uniform(0.4, 0.9, n)
        target = np.clip(np.round(self.k_seats * frac[self.k_acc]), 2, cap).astype(np.int64)
        peak = pd.Series(target).groupby(self.k_acc).cummax().to_numpy()
        before = np.where(_within(self.k_acc) == 0, 0, np.r_[0, peak[:-1]])
        k = np.repeat(np.arange(len(target)), peak - before)
        acc = self.k_acc[k]
        pos = _within(acc)
        tenant = self.main_tenant[acc]
        t0 = self.t_created[tenant]
        first_term = _within(self.k_acc)[k] == 0
        # most join in the first weeks, a quarter at any later time, expansions after renewal
        late = rng.random(len(acc)) < 0.25
        onboard = t0 + rng.exponential(21 * DAY, len(acc)).astype(np.int64)
        later = t0 + (rng.random(len(acc)) * (self.horizon - t0)).astype(np.int64)
        grow = self.k_start[k] * DAY + rng.exponential(30 * DAY, len(acc)).astype(np.int64)
        m_created = np.where(pos == 0, t0, np.where(first_term, np.where(late, later, onboard), grow))

        # department tenants: their signer and 2–8 colleagues; sandboxes: 1–2 admins' copies
        x = np.flatnonzero(self.t_kind == 1)
        x_count = rng.integers(3, 10, len(x))
        s = np.flatnonzero(self.t_kind == 2)
        s_count = rng.integers(1, 3, len(s))
        tr = np.flatnonzero(self.t_kind == 3)
        tr_count = rng.integers(1, 5, len(tr))
        other = np.repeat(np.r_[x, s, tr], np.r_[x_count, s_count, tr_count])
        o_pos = _within(other)
        o_kind = self.t_kind[other]
        gap = np.where(o_kind == 1, 14 * DAY, np.where(o_kind == 2, 2 * DAY, 3 * DAY))
        o_created = self.t_created[other] + (o_pos > 0) * rng.exponential(gap).astype(np.int64)

        tenant = np.r_[tenant, other]
        pos = np.r_[pos, o_pos]
        created = np.r_[m_created, o_created]
        until = np.minimum(self.t_until[tenant] * DAY, self.horizon)
        keep = (pos == 0) | (created < until)  # nobody joins after as_of, churn or a trial's end
        tenant, pos, created = tenant[keep], pos[keep], created[keep]
        kind = self.t_kind[tenant]
        jp = self.t_japanese[tenant]

        first, last = self._people(jp)
        first = np.where(pos == 0, self.t_signup_first[tenant], first)
        last = np.where(pos == 0, self.t_signup_last[tenant], last)
        own = _dedupe(np.where(pos == 0, self.t_signup[tenant],
                               first + "." + last + "@" + self.t_domain[tenant]).astype(object))
        email = np.where(pos == 0, self.t_signup[tenant], own).astype(object)
        personal = (pos > 0) & (kind != 2) & (rng.random(len(tenant)) < MESS["user_free_mail"])
        email[personal] = self._free_mail(first[personal], last[personal], jp[personal])
        # a sandbox's second user is a copy of a colleague (the account's second contact)
        copy = (kind == 2) & (pos > 0)
        t_acc = self.t_acc[tenant]
        email[copy] = self.c_email[self.c_start[t_acc[copy]] + 1]
        role = np.where((pos == 0) | (kind == 2) | (rng.random(len(tenant)) < 0.08), "admin", "member")
        # ids are issued in signup order, like an auto-increment key
        rank = np.empty(len(tenant), np.int64)
        rank[np.argsort(created, kind="stable")] = np.arange(1, len(tenant) + 1)
        self.u_id = _objects([f"u_{r:07d}" for r in rank])
        self.u_tenant, self.u_email, self.u_created = tenant, email, created
        # each user's own appetite: a few power users, many occasional ones; sandboxes idle
        self.u_prop = (rng.beta(1.0, 4.0, len(tenant)) * np.where(kind == 2, 0.15, 1.0)).astype(np.float32)
        # the users of each account (all its tenants), for picking requesters and attendees
        mine = np.flatnonzero(t_acc >= 0)
        self.ua_order = mine[np.argsort(t_acc[mine], kind="stable")]
        self.ua_count = np.bincount(t_acc[mine], minlength=n)
        self.ua_start = np.cumsum(self.ua_count) - self.ua_count
        users = pd.DataFrame({"user_id": self.u_id, "tenant_id": self.t_id[tenant], "email": email,
                              "role": role.astype(object), "created_at": _iso_ts(created), "_c": created})
        self._write("product_users", users.sort_values("_c", kind="stable"))

    def _events(self) -> None:
        """Month by month: simulate, then write while the next month is simulated."""
        month = self.days.astype("datetime64[D]").astype("datetime64[M]")
        bounds = np.flatnonzero(np.r_[True, month[1:] != month[:-1], True])
        self.ev_user_ids = pa.array(self.u_id, pa.string())
        self.ev_tenant_ids = pa.array(self.t_id[self.u_tenant], pa.string())
        next_id, carry, pending = 1, None, None  # carry: late events that arrive in a later month
        with ThreadPoolExecutor(max_workers=1) as writer:
            for m0, m1 in zip(bounds[:-1], bounds[1:], strict=True):
                table, carry, next_id = self._event_month(m0, m1, next_id, carry)
                if pending is not None:
                    pending.result()  # one month in flight at most: memory stays flat
                label = str(month[m0])
                pending = writer.submit(pq.write_table, table, self.out / EVENTS_DIR / f"{label}.parquet",
                                        compression="zstd", use_dictionary=_DICTIONARY_COLUMNS)
                self.say(f"events {label}: {table.num_rows:,} rows")
                del table
            if pending is not None:
                pending.result()
        # what had not arrived by as_of is not in the world

    def _event_month(self, m0: int, m1: int, next_id: int, carry: dict | None):
        rng = self.rng
        days = self.days[m0:m1]
        u_row = self.t_row[self.u_tenant]
        q = self.p_rows[u_row, m0:m1]
        np.square(q, out=q)  # steeper than health: unhealthy tenants go quiet
        q *= self.u_prop[:, None]
        q *= self.season[None, m0:m1]
        self.mechanism.scale_usage(self, q, u_row, days)
        u_day = self.u_created // DAY  # a user acts from the day after signing up
        u_until = self.t_until[self.u_tenant]
        q[(days[None, :] <= u_day[:, None]) | (days[None, :] >= u_until[:, None])] = 0
        user, d = np.nonzero(rng.random(q.shape, dtype=np.float32) < q)
        del q
        p = self.p_rows[u_row[user], m0 + d]
        # one login, then a health-driven number of actions in a burst
        count = 1 + rng.poisson(0.3 + 1.7 * p)
        tz = self.t_tz[self.u_tenant[user]]
        begin = np.minimum(self._business_second(tz), DAY - 240 * count)  # the burst ends that day
        # breadth: healthy tenants spread over many features, unhealthy ones stay on the
        # first few, and so does everyone while onboarding
        age = days[d] - self.t_origin[self.u_tenant[user]]
        gamma = 1.0 + 4.0 * (1.0 - p) + 3.0 * np.clip(1.0 - age / ONBOARDING_DAYS, 0.0, 1.0)
        first = np.cumsum(count) - count
        ev_user = np.repeat(user.astype(np.int32), count)
        pos = np.arange(len(ev_user)) - np.repeat(first, count)
        occurred = (np.repeat(days[d] * DAY + begin, count) + pos * 240
                    + rng.integers(0, 240, len(pos)))
        del begin, user, d, p, age, first
        action = 1 + rng.choice(len(_EVENT_P), len(pos), p=_EVENT_P / _EVENT_P.sum())
        etype = np.where(pos == 0, 0, action).astype(np.int8)
        del action
        feat = (len(_FEATURES) * rng.random(len(pos)) ** np.repeat(gamma, count)).astype(np.int8)
        del gamma, pos, count
        # logins land on the dashboard, exports come from reports, invites from admin
        feat = np.where(etype == 0, 0, np.where(etype == 6, 3, np.where(etype == 7, 9, feat))).astype(np.int8)
        etype, feat = self.mechanism.event_actions(self, ev_user, occurred, etype, feat)
        month_start = int(days[0]) * DAY
        order = _sort_order(occurred, month_start)  # ids follow the time of the event
        ev = {"user": ev_user[order], "type": etype[order], "feature": feat[order],
              "occurred": occurred[order], "id": np.arange(next_id, next_id + len(order))}
        next_id += len(order)
        del ev_user, etype, feat, occurred
        # a few events reach the product late (offline clients, retried uploads) and are
        # written with the month they arrive in, after what arrived on time
        ev["arrival"] = ev["occurred"].copy()
        late = np.zeros(len(order), bool)
        late[rng.random(len(order)) < MESS["event_late"]] = True
        ev["arrival"][late] += 3600 + rng.exponential(LATE_MEAN_SECONDS, late.sum()).astype(np.int64)
        del order
        if carry is not None:
            ev = {k: np.concatenate([carry[k], v]) for k, v in ev.items()}
            late = np.r_[np.ones(len(carry["id"]), bool), late]
        due = ev["arrival"] < min(int(days[-1] + 1) * DAY, self.horizon)
        carry = {k: v[~due] for k, v in ev.items()}
        on_time = np.flatnonzero(~late)  # sorted by arrival already
        arrived = np.flatnonzero(late & due)
        arrived = arrived[_sort_order(ev["arrival"][arrived], month_start)]
        idx = np.insert(on_time, np.searchsorted(ev["arrival"][on_time], ev["arrival"][arrived], side="right"),
                        arrived)
        ids = pc.cast(pa.array(ev["id"][idx]), pa.string())
        table = pa.table({
            "event_id": pc.binary_join_element_wise("ev_", ids, ""),
            "tenant_id": self.ev_tenant_ids.take(ev["user"][idx]),
            "user_id": self.ev_user_ids.take(ev["user"][idx]),
            "event_type": _EVENT_TYPES_PA.take(ev["type"][idx]),
            "feature": _FEATURES_PA.take(ev["feature"][idx]),
            "occurred_at": pa.array(ev["occurred"][idx] * 1_000_000, pa.timestamp("us", tz="UTC")),
        })
        return table, carry, next_id

    def _tickets(self) -> None:
        rng, n = self.rng, self.n
        system = np.where(rng.random(n) < 0.5, "zendesk", "freshdesk")
        # volume grows with the user base, steeply with bad health, and during onboarding
        alive = self._alive(np.arange(n)[:, None], self.days[None, :])
        onboarding = (self.days[None, :] - self.start[:, None]) < ONBOARDING_DAYS
        rate = 0.006 * np.sqrt(self.ua_count)[:, None] * (0.3 + 2.5 * (1 - self.p) ** 2) * self.season
        rate = rate * alive * np.where(onboarding, 1.8, 1.0)
        acc, d = np.nonzero(rng.poisson(rate) > 0)  # at most one per account and day: enough
        day = self.days[d]
        created = day * DAY + self._business_second(self.tz[acc], 3.0)
        how_to = onboarding[acc, d] & (rng.random(len(acc)) < 0.6)
        subject = np.where(how_to, _objects(V.SUBJECTS_ONBOARDING)[rng.integers(0, len(V.SUBJECTS_ONBOARDING), len(acc))],
                           _objects(V.SUBJECTS)[rng.integers(0, len(V.SUBJECTS), len(acc))])
        # renewal window: a quote request, or from unhealthy accounts a downgrade / cancel
        r_day = self.k_end - rng.integers(20, 76, len(self.k_end))
        r_p = self._p_at(self.k_acc, r_day)
        asks = ((rng.random(len(r_day)) < 0.25 + 0.5 * (1 - r_p)) & (r_day >= self.first_day)
                & (r_day <= self.last_day) & self._alive(self.k_acc, r_day))
        r_acc, r_day, r_p = self.k_acc[asks], r_day[asks], r_p[asks]
        unhappy = rng.random(len(r_acc)) < (1 - r_p)
        r_subject = np.where(unhappy, _objects(V.SUBJECTS_RENEWAL_BAD)[rng.integers(0, len(V.SUBJECTS_RENEWAL_BAD), len(r_acc))],
                             _objects(V.SUBJECTS_RENEWAL_GOOD)[rng.integers(0, len(V.SUBJECTS_RENEWAL_GOOD), len(r_acc))])
        acc, day = np.r_[acc, r_acc], np.r_[day, r_day]
        created = np.r_[created, r_day * DAY + self._business_second(self.tz[r_acc], 3.0)]
        subject = np.r_[subject, r_subject].astype(object)
        p = self._p_at(acc, day)

        first = created + rng.lognormal(np.log(3 * 3600), 1.0, len(acc)).astype(np.int64)
        solved = first + rng.lognormal(np.log(30 * 3600), 1.0, len(acc)).astype(np.int64)
        first = np.where(first < self.horizon, first, NULL)
        solved = np.where(solved < self.horizon, solved, NULL)
        status = np.where(solved != NULL, "solved", np.where(first != NULL, "pending", "open")).astype(object)
        bad = rng.random(len(acc)) < 0.05 + 0.6 * (1 - p) ** 2
        csat = np.where((solved != NULL) & (rng.random(len(acc)) < 0.5), np.where(bad, "bad", "good"), "")
        escalated = rng.random(len(acc)) < 0.3 * (1 - p)
        prio = np.minimum(rng.choice(4, len(acc), p=[0.3, 0.45, 0.2, 0.05]) + escalated, 3)
        requester = self._pick_person(acc, created)
        # people writing from a personal mailbox nobody has on file
        stranger = rng.random(len(acc)) < MESS["ticket_unknown_requester"]
        s_first, s_last = self._people(self.japanese[acc[stranger]])
        requester[stranger] = self._free_mail(s_first, s_last, self.japanese[acc[stranger]])
        # the help desk lost some first-response times (the ticket itself went on)
        first[(first != NULL) & (rng.random(len(acc)) < MESS["ticket_missing_first_response"])] = NULL
        order = np.argsort(created, kind="stable")
        sys_ = system[acc][order]
        # ticket numbers per help desk in creation order, in distinct ranges so ids never clash
        seq = pd.Series(sys_).groupby(sys_).cumcount().to_numpy() + 1
        ticket_id = np.where(sys_ == "zendesk", 100_000 + seq, 5_000_000 + seq)
        self._write("tickets", pd.DataFrame({
            "ticket_id": ticket_id.astype(str), "system": sys_.astype(object),
            "requester_email": requester[order], "subject": subject[order],
            "priority": _PRIORITIES[prio][order], "status": status[order], "created_at": _iso_ts(created[order]),
            "first_response_at": _iso_ts(first[order]), "solved_at": _iso_ts(solved[order]),
            "csat": csat[order].astype(object)}))

    def _surveys(self) -> None:
        rng = self.rng
        parts = []
        # NPS 30 and 90 days after every contract start, to one contact of the account
        for lag, survey in ((30, "nps_30d"), (90, "nps_90d")):
            acc, day = self.k_acc, self.k_start + lag
            ok = (day >= self.first_day) & (day <= self.last_day) & self._alive(acc, day)
            j = self.c_start[acc[ok]] + rng.integers(0, self.c_count[acc[ok]])
            parts.append((acc[ok], day[ok], self.c_email[j], survey))
        # relationship survey twice a year (mid-March and mid-September) to every contact
        c_acc = np.repeat(np.arange(self.n), self.c_count)
        y0, y1 = (self.days[[0, -1]].astype("datetime64[D]").astype("datetime64[Y]").astype(int) + 1970)
        for year in range(int(y0), int(y1) + 1):
            for md in ("03-15", "09-15"):
                day = _epoch_day(date.fromisoformat(f"{year}-{md}"))
                if self.first_day <= day <= self.last_day:
                    ok = self._alive(c_acc, np.full(len(c_acc), day))
                    parts.append((c_acc[ok], np.full(ok.sum(), day), self.c_email[ok], "relationship"))
        parts += self.mechanism.extra_invitations(self)
        acc = np.concatenate([p[0] for p in parts])
        day = np.concatenate([p[1] for p in parts])
        email = np.concatenate([p[2] for p in parts]).astype(object)
        survey = np.concatenate([np.full(len(p[0]), p[3], dtype=object) for p in parts])
        sent = day * DAY + 9 * 3600 + rng.integers(0, 3 * 3600, len(acc))
        order = np.argsort(sent, kind="stable")
        acc, day, email, survey, sent = acc[order], day[order], email[order], survey[order], sent[order]
        inv_id = _objects([f"INV-{i:06d}" for i in range(1, len(acc) + 1)])
        self._write("survey_invitations", pd.DataFrame({
            "invitation_id": inv_id, "email": email, "survey": survey, "sent_at": _iso_ts(sent)}))

        # healthy customers answer more often and score higher; most invitations go unanswered
        p = self._p_at(acc, day)
        responded = sent + rng.exponential(1.5 * DAY, len(acc)).astype(np.int64)
        answers = ((rng.random(len(acc)) < 0.15 + 0.55 * p) & (responded < self.horizon)
                   & (responded < self.end[acc] * DAY))
        answers = self.mechanism.survey_answers(self, acc, day, email, responded, answers)
        score = np.clip(np.round(rng.normal(0.5 + 10 * p, 1.5)), 0, 10).astype(np.int64)
        kind = np.where(score <= 6, 0, np.where(score <= 8, 1, 2))
        pick = rng.random(len(acc))  # half leave a comment that fits their score
        comment = np.full(len(acc), "", dtype=object)
        for k, name in enumerate(("detractor", "passive", "promoter")):
            texts = _objects(V.COMMENTS[name])
            mask = (kind == k) & (pick < 0.5)
            comment[mask] = texts[(pick[mask] * 2 * len(texts)).astype(np.int64)]
        r = np.flatnonzero(answers)
        r = r[np.argsort(responded[r], kind="stable")]
        self._write("survey_responses", pd.DataFrame({
            "response_id": [f"RSP-{i:06d}" for i in range(1, len(r) + 1)], "invitation_id": inv_id[r],
            "email": email[r], "score": score[r], "comment": comment[r],
            "responded_at": _iso_ts(responded[r])}))

    def _training(self) -> None:
        rng, n = self.rng, self.n
        self._write("courses", pd.DataFrame(V.COURSES, columns=WORLD_TABLES["courses"]))
        # onboarding: 1–3 people of each new account in its first two weeks
        new = np.flatnonzero(self.start >= self.first_day)
        k = rng.integers(1, 4, len(new))
        o_acc = np.repeat(new, k)
        o_reg = self.start[o_acc] * DAY + rng.integers(0, 14 * DAY, len(o_acc))
        o_course = np.where(rng.random(len(o_acc)) < 0.3, 1, 0)
        # webinars and certifications while a contract runs, more for healthy accounts
        alive = self._alive(np.arange(n)[:, None], self.days[None, :])
        rate = alive * (0.002 + 0.012 * self.p) * self.season
        w_acc, w_d = np.nonzero(rng.random((n, len(self.days))) < rate)
        webinar, certification = rng.integers(2, 6, len(w_acc)), rng.integers(6, 8, len(w_acc))
        w_course = np.where(rng.random(len(w_acc)) < 0.8, webinar, certification)
        w_reg = self.days[w_d] * DAY + self._business_second(self.tz[w_acc])
        acc = np.concatenate([o_acc, w_acc])
        reg = np.concatenate([o_reg, w_reg])
        course = np.concatenate([o_course, w_course])
        keep = (reg < self.horizon) & (reg < self.end[acc] * DAY)
        acc, reg, course = acc[keep], reg[keep], course[keep]
        kind = np.array([c[2] for c in V.COURSES])[course]
        p = self._p_at(acc, reg // DAY)
        attended = reg + rng.integers(1 * DAY, 10 * DAY, len(acc))
        attends = rng.random(len(acc)) < np.where(kind == "webinar", 0.25 + 0.5 * p, 0.45 + 0.5 * p)
        # a certification takes weeks of study; a session completes when watched to the end
        took = np.where(kind == "certification", rng.integers(7 * DAY, 40 * DAY, len(acc)),
                        rng.integers(1800, 5400, len(acc)))
        completes = attends & (rng.random(len(acc)) < np.where(kind == "certification", 0.3 + 0.5 * p, 0.85))
        completed = attended + took
        until = np.minimum(self.horizon, self.end[acc] * DAY)  # nobody attends after churn
        attended = np.where(attends & (attended < until), attended, NULL)
        completed = np.where(completes & (attended != NULL) & (completed < until), completed, NULL)
        email = self._pick_person(acc, reg, p_user=0.7)
        # webinar sign-ups with a personal address
        personal = (kind == "webinar") & (rng.random(len(acc)) < MESS["enrollment_free_mail"])
        f_first, f_last = self._people(self.japanese[acc[personal]])
        email[personal] = self._free_mail(f_first, f_last, self.japanese[acc[personal]])
        order = np.argsort(reg, kind="stable")
        self._write("enrollments", pd.DataFrame({
            "enrollment_id": [f"ENR-{i:06d}" for i in range(1, len(acc) + 1)],
            "course_id": _objects([c[0] for c in V.COURSES])[course][order],
            "email": email[order], "registered_at": _iso_ts(reg[order]),
            "attended_at": _iso_ts(attended[order]), "completed_at": _iso_ts(completed[order])}))
