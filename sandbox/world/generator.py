"""Deterministic generator of a synthetic B2B SaaS customer world (contract section 4).

The causal model is deliberately simple so a score built from the served data can be
checked against the truth:

* every account has a hidden health ``h`` (logit scale): a mean-reverting random walk
  around the account's own level, with an occasional lasting shock (a champion leaves,
  a rollout fails). ``p = sigmoid(h)`` is the health as a probability;
* ``p`` drives how many of the tenant's users are active each day, how many events they
  make and how many features they touch, ticket volume and bad CSAT, whether invitees
  answer surveys and the score they give, training attendance;
* decisively, whether a contract renews: the churn probability at a contract's end is a
  steep function of the mean health over its last 30 days. Health moves slowly, so
  accounts that churn use the product less for months before.

Everything comes from one ``numpy.random.default_rng(seed)`` drawn in a fixed order and
works on day indices and epoch seconds (no wall clock, no sets, no ``hash()``), so the
same seed and size give byte-identical files. Per-event work is vectorised per month.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from importlib import metadata
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from sandbox.world.format import EVENT_COLUMNS, EVENTS_DIR, WORLD_TABLES


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

# --- vocabulary -------------------------------------------------------------------------

_NAME_A = ["Aoba", "Hikari", "Sakura", "Nova", "Blue", "North", "Apex", "Cedar", "Delta", "Ember",
           "Falcon", "Granite", "Harbor", "Iris", "Juniper", "Kite", "Lumen", "Maple", "Nimbus",
           "Orbit", "Pioneer", "Quartz", "River", "Summit", "Tidal", "Vertex", "Willow", "Zephyr",
           "Kaze", "Midori", "Yama", "Sora", "Polar", "Crimson", "Silver", "Golden", "Atlas",
           "Beacon", "Coral", "Echo", "Fuji", "Haru", "Indigo", "Jade", "Keystone", "Lotus",
           "Meridian", "Oak", "Pine", "Redwood", "Sage", "Terra", "Umi", "Vista", "Wren", "Aster",
           "Bright", "Clear", "Swift", "True"]
_NAME_B = ["", "", "", "", "", "bay", "peak", "line", "point", "gate", "field", "stone", "wave",
           "light", "bridge", "crest", "view", "side", "wood", "works"]
_NAME_C = ["Systems", "Logistics", "Foods", "Health", "Analytics", "Labs", "Robotics", "Energy",
           "Finance", "Media", "Retail", "Motors", "Pharma", "Software", "Networks", "Studio",
           "Capital", "Textiles", "Construction", "Travel", "Education", "Security", "Cloud",
           "Partners", "Manufacturing", "Insurance", "Consulting", "Dynamics", "Materials", "Group"]
_INDUSTRIES = ["Software", "Manufacturing", "Retail", "Healthcare", "Financial Services",
               "Logistics", "Education", "Media", "Construction", "Professional Services"]
# country, share, TLD, UTC offset (hours) of its business day
_COUNTRIES = [("US", 0.34, ".com", -6), ("JP", 0.22, ".co.jp", 9), ("GB", 0.10, ".co.uk", 0),
              ("DE", 0.09, ".de", 1), ("FR", 0.06, ".fr", 1), ("CA", 0.06, ".com", -5),
              ("AU", 0.05, ".com.au", 10), ("SG", 0.04, ".com.sg", 8), ("NL", 0.04, ".nl", 1)]
_FIRST_W = ["james", "mary", "john", "linda", "michael", "sarah", "david", "emma", "daniel",
            "olivia", "thomas", "sophie", "lucas", "chloe", "peter", "anna", "mark", "laura",
            "paul", "julia", "kevin", "nina", "oliver", "grace", "leon", "mia", "adam", "ella"]
_LAST_W = ["smith", "johnson", "brown", "miller", "davis", "wilson", "taylor", "clark", "lewis",
           "walker", "young", "king", "wright", "green", "baker", "hill", "moore", "martin",
           "schmidt", "muller", "dubois", "moreau", "jansen", "devries", "tan", "lim", "nguyen"]
_FIRST_J = ["aiko", "haruto", "yui", "sota", "hina", "ren", "mei", "yuto", "sakura", "kaito",
            "rin", "takumi", "yuna", "riku", "mio", "daiki", "saki", "kenta", "nana", "shota"]
_LAST_J = ["tanaka", "suzuki", "takahashi", "watanabe", "ito", "yamamoto", "nakamura", "kobayashi",
           "kato", "yoshida", "yamada", "sasaki", "matsumoto", "inoue", "kimura", "hayashi"]
_TITLES = ["CEO", "CTO", "COO", "VP Operations", "Head of IT", "Operations Manager",
           "Project Manager", "IT Administrator", "Finance Manager", "Team Lead",
           "Customer Success Lead", "Product Owner"]
# plan: share for small / mid / large companies, seat band, list price per seat and month
_PLANS = ["starter", "growth", "enterprise"]
_PLAN_SEATS = np.array([[5, 25], [20, 120], [100, 500]])
_PLAN_PRICE = np.array([25.0, 40.0, 55.0])

_EVENT_TYPES = np.array(["login", "view", "create", "update", "comment", "share", "export", "invite"])
_EVENT_P = np.array([0.50, 0.18, 0.12, 0.10, 0.05, 0.04, 0.01])  # after the day's login
# ordered from the feature everyone uses to the ones only engaged tenants reach
_FEATURES = np.array(["dashboard", "projects", "tasks", "reports", "comments", "files",
                      "integrations", "automations", "api", "admin"])

_SUBJECTS = ["Cannot log in", "Export is slow", "Question about billing", "Report shows wrong totals",
             "How do I add users?", "Integration stopped syncing", "Feature request: custom fields",
             "Error when uploading a file", "Password reset does not arrive", "API rate limit",
             "Dashboard does not load", "SSO configuration"]
_PRIORITIES = np.array(["low", "normal", "high", "urgent"])
_COMMENTS = {
    "detractor": ["Too slow and buggy.", "Support takes too long.", "Hard to get my team to use it.",
                  "Missing the features we need.", "Considering alternatives."],
    "passive": ["Does the job.", "Good, but reporting could be better.", "Fine overall.",
                "Onboarding was a bit long."],
    "promoter": ["Great product!", "Our team uses it every day.", "Support is excellent.",
                 "Saves us hours every week.", "Love the automations."],
}
_COURSES = [("CRS-01", "Getting started", "onboarding"), ("CRS-02", "Admin essentials", "onboarding"),
            ("CRS-03", "Webinar: Reporting deep dive", "webinar"),
            ("CRS-04", "Webinar: Automations that save hours", "webinar"),
            ("CRS-05", "Webinar: Integrations roundup", "webinar"),
            ("CRS-06", "Webinar: What's new this quarter", "webinar"),
            ("CRS-07", "Certified Admin", "certification"),
            ("CRS-08", "Certified Power User", "certification")]


def generate_world(out: Path, size: str = "S", seed: int = 42, as_of: date | None = None,
                   progress: Callable[[str], None] | None = None) -> dict:
    """Write a world of `size` into `out` and return its meta dict."""
    if size not in SIZES:
        raise ValueError(f"unknown size {size!r}; choose one of {', '.join(SIZES)}")
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
    _World(SIZES[size], int(seed), as_of, out, say).build()
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


class _World:
    def __init__(self, size: Size, seed: int, as_of: date, out: Path, say: Callable[[str], None]):
        self.size, self.out, self.say = size, out, say
        self.rng = np.random.default_rng(seed)
        self.last_day = _epoch_day(as_of)  # as_of includes its whole day
        self.first_day = self.last_day - size.days + 1
        self.horizon = (self.last_day + 1) * DAY  # every timestamp is before this second
        self.days = np.arange(self.first_day, self.last_day + 1)
        # Monday=0 … Sunday=6 (1970-01-01 was a Thursday); weekends are quiet
        self.weekday = (self.days + 3) % 7
        self.week_factor = np.where(self.weekday >= 5, 0.12, 1.0).astype(np.float32)

    def build(self) -> None:
        self._accounts()
        self._health()
        self._contracts()
        self._contacts()
        self._tenants_and_users()
        self._events()
        self._tickets()
        self._surveys()
        self._training()

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

    def _business_second(self, acc: np.ndarray, spread_hours: float = 2.5) -> np.ndarray:
        """A second of the UTC day during the account's local working hours."""
        local = self.rng.normal(13.0, spread_hours, len(acc)) - self.tz[acc]
        return np.mod((local * 3600).astype(np.int64), DAY)  # wrap: stays inside the UTC day

    def _pick_person(self, acc: np.ndarray, at: np.ndarray, p_user: float = 0.5) -> np.ndarray:
        """A contact of the account, or one of its product users that existed at `at`."""
        rng = self.rng
        j = self.c_start[acc] + (rng.random(len(acc)) * self.c_count[acc]).astype(np.int64)
        email = self.c_email[j].copy()
        k = self.u_start[acc] + (rng.random(len(acc)) * self.u_count[acc]).astype(np.int64)
        use_user = (rng.random(len(acc)) < p_user) & (self.u_created[k] <= at)
        email[use_user] = self.u_email[k[use_user]]
        return email

    # --- the world ----------------------------------------------------------------------

    def _accounts(self) -> None:
        rng, n = self.rng, self.size.accounts
        # First contract start: about two thirds before the history window (their earliest
        # rows start before it), the rest inside it; uniform days spread renewals over the year.
        before = rng.random(n) < 0.65
        start = np.where(before, rng.integers(self.first_day - 730, self.first_day, n),
                         rng.integers(self.first_day, self.last_day - 13, n))
        start = np.minimum(start, _month_start(start) + 27)  # day of month ≤ 28: anniversaries exist
        created = start * DAY - rng.integers(7 * DAY, 120 * DAY, n)
        order = np.argsort(created, kind="stable")  # customer numbers are issued in order
        self.start, self.acc_created = start[order], created[order]
        self.account_id = np.array([f"C-{i:06d}" for i in range(1001, 1001 + n)], dtype=object)

        combos = rng.choice(len(_NAME_A) * len(_NAME_B) * len(_NAME_C), n, replace=False)
        a, rest = np.divmod(combos, len(_NAME_B) * len(_NAME_C))
        b, c = np.divmod(rest, len(_NAME_C))
        self.name = np.array([f"{_NAME_A[i]}{_NAME_B[j]} {_NAME_C[k]}" for i, j, k in zip(a, b, c)],
                             dtype=object)
        shares = np.array([c[1] for c in _COUNTRIES])
        country_ix = rng.choice(len(_COUNTRIES), n, p=shares / shares.sum())
        self.country = np.array([_COUNTRIES[i][0] for i in country_ix], dtype=object)
        self.japanese = self.country == "JP"
        self.tz = np.array([_COUNTRIES[i][3] for i in country_ix], dtype=np.float64)
        stem = pd.Series([nm.lower().replace(" ", "") for nm in self.name])
        tld = pd.Series([_COUNTRIES[i][2] for i in country_ix])
        # Two companies may share a name, never a domain: later ones get a number.
        repeat = (stem + tld).groupby(stem + tld).cumcount()
        self.domain = (stem + np.where(repeat > 0, (repeat + 1).astype(str), "") + tld).to_numpy(dtype=object)
        self.employees = np.clip(np.round(rng.lognormal(np.log(250), 1.3, n)), 10, 80_000).astype(np.int64)
        industry = rng.choice(_INDUSTRIES, n).astype(object)
        crm = np.where(rng.random(n) < 0.6, "salesforce", "hubspot").astype(object)

        # about one CSM per 25 accounts, each a unique vendor address
        n_csm = max(1, round(n / 25))
        pool = [(f, l) for l in _LAST_J + _LAST_W for f in _FIRST_J + _FIRST_W]
        picks = rng.choice(len(pool), n_csm, replace=False)
        csms = np.array([f"{pool[i][0]}.{pool[i][1]}@vendor-cs.example" for i in picks], dtype=object)
        csm_email = csms[rng.integers(0, n_csm, n)]

        # plan follows company size; seats within the plan's band and the head count
        size_class = np.digitize(self.employees, [100, 1000])
        plan_p = np.array([[0.75, 0.22, 0.03], [0.25, 0.6, 0.15], [0.05, 0.4, 0.55]])
        u = rng.random(n)
        self.plan = (u[:, None] > np.cumsum(plan_p[size_class], axis=1)).sum(axis=1)
        lo, hi = _PLAN_SEATS[self.plan, 0], _PLAN_SEATS[self.plan, 1]
        self.seats0 = np.clip(rng.integers(lo, hi + 1), 5, np.maximum(5, self.employees))
        self.price = _PLAN_PRICE[self.plan] * (1 - rng.uniform(0, 0.2, n))  # negotiated per seat

        self._write("accounts", pd.DataFrame({
            "account_id": self.account_id, "name": self.name, "domain": self.domain,
            "industry": industry, "employees": self.employees, "country": self.country, "crm": crm,
            "csm_email": csm_email, "created_at": _iso_ts(self.acc_created)}))

    def _health(self) -> None:
        rng, n, n_days = self.rng, self.size.accounts, self.size.days
        level = rng.normal(1.6, 1.0, n)  # the account's own long-run health
        # a third of the accounts get one lasting shock (mostly bad) at a random day
        shocked = rng.random(n) < 0.33
        shock_day = np.where(shocked, rng.integers(0, n_days, n), n_days)
        shock = rng.normal(-1.3, 0.9, n)
        theta, sigma = 0.015, 0.08  # daily mean reversion and step: health moves over months
        x = level + rng.normal(0, sigma / np.sqrt(2 * theta), n)
        h = np.empty((n, n_days), np.float32)
        for i in range(n_days):
            h[:, i] = x
            target = level + np.where(i >= shock_day, shock, 0.0)
            x = x + theta * (target - x) + sigma * rng.standard_normal(n)
        self.h = h
        self.p = _sigmoid(h).astype(np.float32)
        self.usage = (self.p ** 2).astype(np.float32)  # steeper: unhealthy tenants go quiet

    def _contracts(self) -> None:
        rng, n = self.rng, self.size.accounts
        rows = []
        cur, seats = self.start.copy(), self.seats0.copy()
        open_ = np.ones(n, bool)
        self.end = np.full(n, self.last_day + 1)  # first day not covered (churn) or past as_of
        self.contract_starts: list[tuple[np.ndarray, np.ndarray]] = []
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
            p_churn = _sigmoid(1.0 - 4.0 * hbar)
            churn = decided & (e > self.first_day) & (rng.random(len(acc)) < p_churn)
            renewed = np.where(decided, np.where(churn, "false", "true"), "").astype(object)
            mrr = np.round(seats[acc] * self.price[acc], 2)
            rows.append(pd.DataFrame({
                "contract_id": [f"{a}-{k + 1:02d}" for a in self.account_id[acc]],
                "account_id": self.account_id[acc], "start_date": _iso_day(s), "end_date": _iso_day(e),
                "mrr": [f"{m:.2f}" for m in mrr], "seats": seats[acc],
                "plan": np.array(_PLANS, dtype=object)[self.plan[acc]], "renewed": renewed,
                "_acc": acc, "_start": s}))
            self.contract_starts.append((acc, s))
            self.end[acc[churn]] = e[churn]
            open_[acc[~decided | churn]] = False
            # healthy customers add seats at renewal, struggling ones cut back
            grow = np.exp(rng.normal(0.12 * (hbar - 1.0), 0.08))
            lo, hi = _PLAN_SEATS[self.plan[acc], 0], _PLAN_SEATS[self.plan[acc], 1]
            seats[acc] = np.clip(np.round(seats[acc] * grow), lo, hi).astype(np.int64)
            cur[acc] = e
            k += 1
        contracts = pd.concat(rows, ignore_index=True).sort_values(["_acc", "_start"], kind="stable")
        self._write("contracts", contracts)

    def _contacts(self) -> None:
        rng, n = self.rng, self.size.accounts
        count = rng.integers(2, 7, n)
        acc = np.repeat(np.arange(n), count)
        first, last = self._names(acc)
        email = _dedupe(first + "." + last + "@" + self.domain[acc])
        self.c_email, self.c_count = email, count
        self.c_start = np.cumsum(count) - count
        self._write("contacts", pd.DataFrame({
            "contact_id": [f"P-{i:06d}" for i in range(1, len(acc) + 1)],
            "account_id": self.account_id[acc], "email": email,
            "first_name": pd.Series(first).str.capitalize(), "last_name": pd.Series(last).str.capitalize(),
            "title": rng.choice(_TITLES, len(acc)).astype(object)}))

    def _names(self, acc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        rng, m = self.rng, len(acc)
        jp = self.japanese[acc]
        first = np.where(jp, np.array(_FIRST_J, dtype=object)[rng.integers(0, len(_FIRST_J), m)],
                         np.array(_FIRST_W, dtype=object)[rng.integers(0, len(_FIRST_W), m)])
        last = np.where(jp, np.array(_LAST_J, dtype=object)[rng.integers(0, len(_LAST_J), m)],
                        np.array(_LAST_W, dtype=object)[rng.integers(0, len(_LAST_W), m)])
        return first.astype(object), last.astype(object)

    def _tenants_and_users(self) -> None:
        rng, n = self.rng, self.size.accounts
        # one tenant per account, signed up by the account's first contact shortly before go-live
        t_created = self.start * DAY - rng.integers(0, 7 * DAY, n)
        raw = rng.integers(16 ** 7, 16 ** 8, 4 * n)
        _, first_ix = np.unique(raw, return_index=True)
        tenant_id = np.array([f"t_{v:08x}" for v in raw[np.sort(first_ix)][:n]], dtype=object)
        style = rng.integers(0, 3, n)
        t_name = np.where(style == 0, self.name, np.where(
            style == 1, pd.Series(self.name).str.lower().str.replace(" ", "-").to_numpy(),
            pd.Series(self.name).str.split(" ").str[0].to_numpy() + " Team")).astype(object)
        signup = self.c_email[self.c_start]
        self.tenant_id = tenant_id
        self._write("tenants", pd.DataFrame({
            "tenant_id": tenant_id, "account_id": self.account_id, "name": t_name,
            "signup_email": signup, "created_at": _iso_ts(t_created)}))

        # users: 40–90 % of the first contract's seats; most join in the first weeks, some later
        count = np.round(self.seats0 * rng.uniform(0.4, 0.9, n))
        count = np.clip(count, 2, self.size.user_cap).astype(np.int64)
        acc = np.repeat(np.arange(n), count)
        pos = np.arange(len(acc)) - np.repeat(np.cumsum(count) - count, count)
        t0 = t_created[acc]
        late = rng.random(len(acc)) < 0.25
        onboard = t0 + (rng.exponential(21 * DAY, len(acc))).astype(np.int64)
        later = t0 + (rng.random(len(acc)) * (self.horizon - t0)).astype(np.int64)
        created = np.where(pos == 0, t0, np.where(late, later, onboard))
        keep = (pos == 0) | (created < self.end[acc] * DAY)  # nobody joins after as_of or after churn
        acc, pos, created = acc[keep], pos[keep], created[keep]
        first, last = self._names(acc)
        own = first + "." + last + "@" + self.domain[acc]
        email = _dedupe(np.where(pos == 0, self.c_email[self.c_start[acc]], own).astype(object))
        role = np.where((pos == 0) | (rng.random(len(acc)) < 0.08), "admin", "member").astype(object)
        # ids are issued in signup order, like an auto-increment key
        rank = np.empty(len(acc), np.int64)
        rank[np.argsort(created, kind="stable")] = np.arange(1, len(acc) + 1)
        self.u_id = np.array([f"u_{r:07d}" for r in rank], dtype=object)
        self.u_acc, self.u_email, self.u_created = acc, email, created
        self.u_count = np.bincount(acc, minlength=n)
        self.u_start = np.cumsum(self.u_count) - self.u_count
        # each user's own appetite: a few power users, many occasional ones
        self.u_prop = rng.beta(1.0, 4.0, len(acc)).astype(np.float32)
        users = pd.DataFrame({"user_id": self.u_id, "tenant_id": tenant_id[acc], "email": email,
                              "role": role, "created_at": _iso_ts(created), "_c": created})
        self._write("product_users", users.sort_values("_c", kind="stable"))

    def _events(self) -> None:
        rng = self.rng
        month = self.days.astype("datetime64[D]").astype("datetime64[M]")
        bounds = np.flatnonzero(np.r_[True, month[1:] != month[:-1], True])
        u_day = self.u_created // DAY  # a user acts from the day after signing up
        u_end = self.end[self.u_acc]
        user_ids = pa.array(self.u_id, pa.string())
        tenant_ids = pa.array(self.tenant_id[self.u_acc], pa.string())
        types, features = pa.array(_EVENT_TYPES), pa.array(_FEATURES)
        next_id = 1
        for m0, m1 in zip(bounds[:-1], bounds[1:]):
            days = self.days[m0:m1]
            q = self.usage[:, m0:m1][self.u_acc] * self.u_prop[:, None] * self.week_factor[None, m0:m1]
            q[(days[None, :] <= u_day[:, None]) | (days[None, :] >= u_end[:, None])] = 0
            user, d = np.nonzero(rng.random(q.shape, dtype=np.float32) < q)
            acc, p = self.u_acc[user], self.p[self.u_acc[user], m0 + d]
            # one login, then a health-driven number of actions in a burst
            count = 1 + rng.poisson(0.3 + 1.7 * p)
            ev_user, ev_day, ev_p = np.repeat(user, count), np.repeat(days[d], count), np.repeat(p, count)
            pos = np.arange(len(ev_user)) - np.repeat(np.cumsum(count) - count, count)
            begin = np.minimum(self._business_second(acc), DAY - 240 * count)  # burst ends that day
            occurred = ev_day * DAY + np.repeat(begin, count) + pos * 240 + rng.integers(0, 240, len(pos))
            action = 1 + rng.choice(len(_EVENT_P), len(pos), p=_EVENT_P / _EVENT_P.sum())
            etype = np.where(pos == 0, 0, action)
            # breadth: healthy tenants spread over many features, unhealthy ones stay on the first few
            gamma = 1.0 + 4.0 * (1.0 - ev_p)
            feat = (len(_FEATURES) * rng.random(len(pos)) ** gamma).astype(np.int64)
            # logins land on the dashboard, exports come from reports, invites from admin
            feat = np.where(etype == 0, 0, np.where(etype == 6, 3, np.where(etype == 7, 9, feat)))
            order = np.argsort(occurred, kind="stable")
            ids = pc.cast(pa.array(np.arange(next_id, next_id + len(order))), pa.string())
            next_id += len(order)
            table = pa.table({
                "event_id": pc.binary_join_element_wise("ev_", ids, ""),
                "tenant_id": tenant_ids.take(ev_user[order]), "user_id": user_ids.take(ev_user[order]),
                "event_type": types.take(etype[order]), "feature": features.take(feat[order]),
                "occurred_at": pa.array(occurred[order] * 1_000_000, pa.timestamp("us", tz="UTC")),
            }).select(EVENT_COLUMNS)
            label = str(month[m0])
            pq.write_table(table, self.out / EVENTS_DIR / f"{label}.parquet")
            self.say(f"events {label}: {len(order):,} rows")

    def _tickets(self) -> None:
        rng, n = self.rng, self.size.accounts
        system = np.where(rng.random(n) < 0.5, "zendesk", "freshdesk")
        # volume grows with the user base and, steeply, with bad health
        rate = 0.006 * np.sqrt(self.u_count)[:, None] * (0.3 + 2.5 * (1 - self.p) ** 2) * self.week_factor
        rate = rate * self._alive(np.arange(n)[:, None], self.days[None, :])
        acc, d = np.nonzero(rng.poisson(rate) > 0)  # at most one per account and day: enough
        day, p = self.days[d], self.p[acc, d]
        created = day * DAY + self._business_second(acc, 3.0)
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
        order = np.argsort(created, kind="stable")
        sys_ = system[acc][order]
        # ticket numbers per help desk in creation order, in distinct ranges so ids never clash
        seq = pd.Series(sys_).groupby(sys_).cumcount().to_numpy() + 1
        ticket_id = np.where(sys_ == "zendesk", 100_000 + seq, 5_000_000 + seq)
        subject = rng.choice(_SUBJECTS, len(acc)).astype(object)
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
        for acc, s in self.contract_starts:
            for lag, survey in ((30, "nps_30d"), (90, "nps_90d")):
                day = s + lag
                ok = (day >= self.first_day) & (day <= self.last_day) & self._alive(acc, day)
                j = self.c_start[acc[ok]] + rng.integers(0, self.c_count[acc[ok]])
                parts.append((acc[ok], day[ok], self.c_email[j], survey))
        # relationship survey twice a year (mid-March and mid-September) to every contact
        c_acc = np.repeat(np.arange(self.size.accounts), self.c_count)
        y0, y1 = (self.days[[0, -1]].astype("datetime64[D]").astype("datetime64[Y]").astype(int) + 1970)
        for year in range(int(y0), int(y1) + 1):
            for md in ("03-15", "09-15"):
                day = _epoch_day(date.fromisoformat(f"{year}-{md}"))
                if self.first_day <= day <= self.last_day:
                    ok = self._alive(c_acc, np.full(len(c_acc), day))
                    parts.append((c_acc[ok], np.full(ok.sum(), day), self.c_email[ok], "relationship"))
        acc = np.concatenate([p[0] for p in parts])
        day = np.concatenate([p[1] for p in parts])
        email = np.concatenate([p[2] for p in parts]).astype(object)
        survey = np.concatenate([np.full(len(p[0]), p[3], dtype=object) for p in parts])
        sent = day * DAY + 9 * 3600 + rng.integers(0, 3 * 3600, len(acc))
        order = np.argsort(sent, kind="stable")
        acc, day, email, survey, sent = acc[order], day[order], email[order], survey[order], sent[order]
        inv_id = np.array([f"INV-{i:06d}" for i in range(1, len(acc) + 1)], dtype=object)
        self._write("survey_invitations", pd.DataFrame({
            "invitation_id": inv_id, "email": email, "survey": survey, "sent_at": _iso_ts(sent)}))

        # healthy customers answer more often and score higher
        p = self._p_at(acc, day)
        responded = sent + rng.exponential(1.5 * DAY, len(acc)).astype(np.int64)
        answers = ((rng.random(len(acc)) < 0.15 + 0.55 * p) & (responded < self.horizon)
                   & (responded < self.end[acc] * DAY))
        score = np.clip(np.round(rng.normal(0.5 + 10 * p, 1.5)), 0, 10).astype(np.int64)
        kind = np.where(score <= 6, "detractor", np.where(score <= 8, "passive", "promoter"))
        pick = rng.random(len(acc))  # half leave a comment that fits their score
        comment = np.array([_COMMENTS[k][int(u * 2 * len(_COMMENTS[k]))] if u < 0.5 else ""
                            for k, u in zip(kind, pick)], dtype=object)
        r = np.flatnonzero(answers)
        r = r[np.argsort(responded[r], kind="stable")]
        self._write("survey_responses", pd.DataFrame({
            "response_id": [f"RSP-{i:06d}" for i in range(1, len(r) + 1)], "invitation_id": inv_id[r],
            "email": email[r], "score": score[r], "comment": comment[r],
            "responded_at": _iso_ts(responded[r])}))

    def _training(self) -> None:
        rng, n = self.rng, self.size.accounts
        self._write("courses", pd.DataFrame(_COURSES, columns=WORLD_TABLES["courses"]))
        # onboarding: 1–3 people of each new account in its first two weeks
        new = np.flatnonzero(self.start >= self.first_day)
        k = rng.integers(1, 4, len(new))
        o_acc = np.repeat(new, k)
        o_reg = self.start[o_acc] * DAY + rng.integers(0, 14 * DAY, len(o_acc))
        o_course = np.where(rng.random(len(o_acc)) < 0.3, 1, 0)
        # webinars and certifications while a contract runs, more for healthy accounts
        alive = self._alive(np.arange(n)[:, None], self.days[None, :])
        rate = alive * (0.002 + 0.012 * self.p) * self.week_factor
        w_acc, w_d = np.nonzero(rng.random((n, len(self.days))) < rate)
        webinar, certification = rng.integers(2, 6, len(w_acc)), rng.integers(6, 8, len(w_acc))
        w_course = np.where(rng.random(len(w_acc)) < 0.8, webinar, certification)
        w_reg = self.days[w_d] * DAY + self._business_second(w_acc)
        acc = np.concatenate([o_acc, w_acc])
        reg = np.concatenate([o_reg, w_reg])
        course = np.concatenate([o_course, w_course])
        keep = (reg < self.horizon) & (reg < self.end[acc] * DAY)
        acc, reg, course = acc[keep], reg[keep], course[keep]
        kind = np.array([c[2] for c in _COURSES])[course]
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
        order = np.argsort(reg, kind="stable")
        self._write("enrollments", pd.DataFrame({
            "enrollment_id": [f"ENR-{i:06d}" for i in range(1, len(acc) + 1)],
            "course_id": np.array([c[0] for c in _COURSES], dtype=object)[course][order],
            "email": email[order], "registered_at": _iso_ts(reg[order]),
            "attended_at": _iso_ts(attended[order]), "completed_at": _iso_ts(completed[order])}))
