"""Churn mechanisms of the synthetic world: why customers leave (`cs360 world --mechanism`).

The default, ``health``, is the generator's own causal model: a hidden health that drives
usage, tickets, surveys and training decides every renewal. A score tuned on such worlds
may only have learned that one story, so the alternatives add churn from causes the usage
curve does not show (issue 13, item 7), while the hidden health and its churn stay:

* ``price``: at a renewal the price per seat rises 15–45 % for about a third of the
  accounts; price-sensitive ones leave when that dearer contract ends. Usage is untouched.
* ``feature_fade``: for about a third of the accounts one feature area the team relies on
  (projects, tasks or reports) fades out over three months, its actions turning into
  dashboard views, while logins and event volume stay flat; faded accounts leave.
* ``seasonal``: two in five accounts use the product far less (a quarter of the usual)
  for two to three months every year, a dip that is not decline and never churns; churn
  still comes from the hidden health, seen in tickets and surveys all year.
* ``sponsor``: every account's executive sponsor (its first contact) gets a monthly
  relationship survey and answers most; for about a third of the accounts the sponsor
  stops answering on some day while the invitations keep coming and usage stays as it
  was; such an account leaves at the first renewal 45 days or more after that day.

A mechanism draws from its own random stream (seeded by the world's seed and its name),
never from the generator's, so the default world stays byte for byte what it was, and
the hooks below are no-ops for it. The world's ``meta.json`` names a non-default
mechanism under the extra key ``mechanism``; a world without that key is ``health``.
"""

from __future__ import annotations

import zlib

import numpy as np

DEFAULT_MECHANISM = "health"
DAY = 86_400
FADING_AREAS = np.array([1, 2, 3])  # projects, tasks, reports in the generator's feature list
VIEW, DASHBOARD = 1, 0  # event type and feature indices in the generator's lists


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


class Mechanism:
    """The default: the hidden health alone decides renewals; every hook changes nothing."""

    name = DEFAULT_MECHANISM

    def __init__(self, seed: int):
        self.rng = np.random.default_rng([int(seed), zlib.crc32(self.name.encode())])

    def prepare(self, world) -> None:
        """Draw the mechanism's hidden per-account state (after the health walk)."""

    def churn_probability(self, world, acc: np.ndarray, start: np.ndarray, end: np.ndarray,
                          hbar: np.ndarray) -> np.ndarray:
        """The chance that contracts of accounts `acc` covering [start, end) do not renew."""
        return _sigmoid(-4.0 * hbar)

    def renewal_price(self, world, acc: np.ndarray, price: np.ndarray) -> np.ndarray:
        """The price per seat of the contracts that follow the ones just decided."""
        return price

    def scale_usage(self, world, q: np.ndarray, row: np.ndarray, days: np.ndarray) -> None:
        """Scale in place the daily activity chance `q` of users (whose health row is `row`)."""

    def event_actions(self, world, user: np.ndarray, occurred: np.ndarray, etype: np.ndarray,
                      feature: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Event types and features of a month's events (by user index and second)."""
        return etype, feature

    def extra_invitations(self, world) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, str]]:
        """More survey invitations: (account, day, e-mail, survey) parts."""
        return []

    def survey_answers(self, world, acc: np.ndarray, day: np.ndarray, email: np.ndarray,
                       responded: np.ndarray, answers: np.ndarray) -> np.ndarray:
        """Whether each invitation gets an answer (`answers`: the health-driven decision)."""
        return answers

    @staticmethod
    def either(p: np.ndarray, q: np.ndarray) -> np.ndarray:
        """Chance that at least one of two independent causes strikes."""
        return 1.0 - (1.0 - p) * (1.0 - q)


class PriceIncrease(Mechanism):
    name = "price"
    HIKE_SHARE, HIKE_LOW, HIKE_HIGH = 0.35, 0.15, 0.45

    def prepare(self, world) -> None:
        n = world.n
        self.sensitivity = self.rng.beta(2.0, 2.0, n)  # how much a dearer renewal hurts
        self.hike = np.zeros(n)  # price rise at the start of each account's current contract

    def churn_probability(self, world, acc, start, end, hbar):
        by_price = self.sensitivity[acc] * np.clip(self.hike[acc] / 0.3, 0.0, 1.0)
        return self.either(super().churn_probability(world, acc, start, end, hbar), by_price)

    def renewal_price(self, world, acc, price):
        hike = np.where(self.rng.random(len(acc)) < self.HIKE_SHARE,
                        self.rng.uniform(self.HIKE_LOW, self.HIKE_HIGH, len(acc)), 0.0)
        self.hike[acc] = hike
        return np.round(price * (1.0 + hike), 4)


class FeatureFade(Mechanism):
    name = "feature_fade"
    SHARE, RAMP_DAYS = 0.33, 90

    def prepare(self, world) -> None:
        n = world.n
        fades = self.rng.random(n) < self.SHARE
        start = self.rng.integers(world.first_day - 180, world.last_day + 1, n)
        self.fade_start = np.where(fades, start, np.iinfo(np.int64).max // 2)
        self.area = FADING_AREAS[self.rng.integers(0, len(FADING_AREAS), n)]

    def level(self, acc: np.ndarray, day: np.ndarray) -> np.ndarray:
        """How far account `acc`'s area has faded on `day`: 0 (as ever) to 1 (gone)."""
        return np.clip((day - self.fade_start[acc]) / self.RAMP_DAYS, 0.0, 1.0)

    def churn_probability(self, world, acc, start, end, hbar):
        last30 = end[:, None] + np.arange(-30, 0)[None, :]
        faded = self.level(acc[:, None], last30).mean(axis=1)
        return self.either(super().churn_probability(world, acc, start, end, hbar), 0.85 * faded)

    def event_actions(self, world, user, occurred, etype, feature):
        row = world.t_row[world.u_tenant[user]]
        acc = np.minimum(row, world.n - 1)
        in_area = (row < world.n) & (etype != 0) & (feature == self.area[acc])
        gone = in_area & (self.rng.random(len(user)) < self.level(acc, occurred // DAY))
        return np.where(gone, VIEW, etype).astype(etype.dtype), np.where(gone, DASHBOARD, feature).astype(feature.dtype)


class SeasonalUsage(Mechanism):
    name = "seasonal"
    SHARE, DEPTH = 0.4, 0.25

    def prepare(self, world) -> None:
        n = world.n
        self.seasonal = self.rng.random(n) < self.SHARE
        self.dip_start = self.rng.integers(0, 365, n)  # day of the year the quiet season begins
        self.dip_days = self.rng.integers(60, 92, n)

    def in_dip(self, acc: np.ndarray, day: np.ndarray) -> np.ndarray:
        return self.seasonal[acc] & (np.mod(day - self.dip_start[acc], 365) < self.dip_days[acc])

    def scale_usage(self, world, q, row, days):
        acc = np.minimum(row, world.n - 1)[:, None]
        dip = (row < world.n)[:, None] & self.in_dip(acc, days[None, :])
        q[dip] *= self.DEPTH


class SilentSponsor(Mechanism):
    name = "sponsor"
    SHARE, NOTICE_DAYS, CHURN, ANSWER = 0.33, 45, 0.8, 0.8
    NEVER = np.iinfo(np.int64).max // 2

    def prepare(self, world) -> None:
        n = world.n
        silent = self.rng.random(n) < self.SHARE
        day = self.rng.integers(world.first_day - 120, world.last_day + 1, n)
        self.silent_from = np.where(silent, day, self.NEVER)

    def churn_probability(self, world, acc, start, end, hbar):
        gone = self.silent_from[acc] <= end - self.NOTICE_DAYS
        return self.either(super().churn_probability(world, acc, start, end, hbar), np.where(gone, self.CHURN, 0.0))

    def sponsor_email(self, world) -> np.ndarray:
        return world.c_email[world.c_start]

    def extra_invitations(self, world):
        # an executive check-in on the 5th of every month while the account is a customer
        months = np.unique(world.days.astype("datetime64[D]").astype("datetime64[M]"))
        day = (months.astype("datetime64[D]") + 4).astype(np.int64)
        day = day[(day >= world.first_day) & (day <= world.last_day)]
        acc = np.repeat(np.arange(world.n), len(day))
        day = np.tile(day, world.n)
        ok = world._alive(acc, day)
        return [(acc[ok], day[ok], self.sponsor_email(world)[acc[ok]], "relationship")]

    def survey_answers(self, world, acc, day, email, responded, answers):
        sponsor = email == self.sponsor_email(world)[acc]
        keen = (self.rng.random(len(acc)) < self.ANSWER) & (responded < world.horizon) & (
            responded < world.end[acc] * DAY)
        return np.where(sponsor, keen & (day < self.silent_from[acc]), answers)


MECHANISMS: dict[str, type[Mechanism]] = {
    cls.name: cls for cls in (Mechanism, PriceIncrease, FeatureFade, SeasonalUsage, SilentSponsor)}


def mechanism(name: str | None, seed: int) -> Mechanism:
    name = name or DEFAULT_MECHANISM
    if name not in MECHANISMS:
        raise ValueError(f"unknown churn mechanism {name!r}; choose one of {', '.join(MECHANISMS)}")
    return MECHANISMS[name](seed)
