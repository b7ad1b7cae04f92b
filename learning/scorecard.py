"""The transparent score's weights, learned walk-forward from the warehouse's churn history.

On each fit date D (learning.labels: the first of every month by default, CS360_REFIT_EVERY)
a new scorecard version is fit per lifecycle stage on the examples whose label was decided
on D (learning.labels.known_examples_sql), and scores the days from D until the next fit
(int_health__day_scorecards). Versions are only ever added: a run fits the dates after
the latest version already stored, so the scores of earlier days never change.

Per stage, on weekly samples of (account, day) with the stage's churn label:
  x_c  = (100 - component score) / 100, the share of the component's points lost;
         a component without data is left out and its weight goes to the evidence
         components with data, as in the score: its x is the example's weighted mean x of
         the evidence components with data (timing, renewal_exposure, keeps its own weight;
         two passes, the second with the fitted weights), which gives the score exactly;
  fit  = logistic regression of churned on x with non-negative coefficients and a free
         intercept (scipy L-BFGS-B, a small ridge penalty); a timing component keeps its
         seed weight, and the evidence components share the rest in proportion to their
         coefficients (with one seed scorecard for adoption and renewal, a learned timing
         weight would change the scale of the renewal window from version to version).
         The log-loss ranks as the AUC judges far better than least squares of the 0/1
         label, which spends its weight on fitting the many retained examples;
  n    = churned contracts among the examples; below min_churn_events the seed (expert)
         weights are kept (method 'expert', with the reason); otherwise the weights are
         shrunk towards the seed weights: n / (n + k) x fitted + k / (n + k) x expert
         (k = shrinkage_events; method 'shrunk', or 'fitted' when k = 0).
The label of the renewal stage is churn within 90 days (contract section 6). A 90-day
churner is always in the renewal stage on its day (its contract ends within the renewal
window), so the other stages learn from churn within 180 days instead. Stages whose seed
scorecards are the same are fit together (each example with its stage's label) and keep
one set of weights, so their scores stay on one scale (shared_stages).
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy.optimize import minimize

from learning import labels

TABLE = "learning.scorecard_weights"
COMPONENT_VALUES = "intermediate.int_health__component_values"
SEED_WEIGHTS = "seeds.health_score_weights"
OUTCOMES = "intermediate.int_crm__contract_outcomes"
# What a run reads and writes, for a warehouse that is not DuckDB (cs360_core.warehouse.working_copy)
READS = ("learning", COMPONENT_VALUES, OUTCOMES, SEED_WEIGHTS)
WRITES = ("learning",)
STAGE_HORIZON_DAYS = {"renewal": 90, "adoption": 180, "onboarding": 180}
WEIGHT_DECIMALS = 4  # the seed's decimal(9, 4)
PINNED_ENV = "CS360_SCORECARD"
MIN_EVENTS_ENV = "CS360_SCORECARD_MIN_EVENTS"
SHRINKAGE_ENV = "CS360_SCORECARD_SHRINKAGE"

COLUMNS = {
    "scorecard_version": pa.string(), "base_scorecard_version": pa.string(), "effective_from": pa.date32(),
    "lifecycle_stage": pa.string(), "component": pa.string(), "weight": pa.float64(),
    "expert_weight": pa.float64(), "fitted_weight": pa.float64(), "horizon_days": pa.int32(),
    "training_from": pa.date32(), "training_to": pa.date32(), "n_examples": pa.int64(),
    "n_churn_events": pa.int64(), "method": pa.string(), "reason": pa.string(),
}


@dataclass(frozen=True)
class ScorecardSettings:
    every: str | None = None          # refit cadence (learning.labels.refit_cadence)
    min_churn_events: int = 20        # fewer known churned contracts: keep the seed weights
    shrinkage_events: int = 30        # k of the shrinkage towards the seed weights
    example_every_days: int = 7       # one example day a week (Mondays): days are near-duplicates
    min_coverage: float = 0.5         # dbt var min_coverage: a day the seed scorecard would not score is no example
    ridge: float = 1e-3               # penalty on the squared slopes of the logistic fit
    grace_days: int = labels.DEFAULT_GRACE_DAYS

    @classmethod
    def from_env(cls) -> ScorecardSettings:
        """Read when a run starts: CS360_REFIT_EVERY, CS360_SCORECARD_MIN_EVENTS, CS360_SCORECARD_SHRINKAGE."""
        def number(name: str, default: int) -> int:
            value = os.environ.get(name)
            return int(value) if value else default
        return cls(every=os.environ.get(labels.REFIT_EVERY_ENV) or None,
                   min_churn_events=number(MIN_EVENTS_ENV, cls.min_churn_events),
                   shrinkage_events=number(SHRINKAGE_ENV, cls.shrinkage_events))


def is_pinned() -> bool:
    """CS360_SCORECARD=pinned: score with the seed scorecard only, fit nothing."""
    return os.environ.get(PINNED_ENV, "learned").strip().lower() == "pinned"


@dataclass
class StageFit:
    stage: str
    components: list[str]
    expert: np.ndarray
    weights: np.ndarray
    fitted: np.ndarray | None
    n_examples: int
    n_churn_events: int
    method: str
    reason: str
    horizon_days: int
    training_from: dt.date | None = None
    training_to: dt.date | None = None


@dataclass
class FitSummary:
    versions: list[str] = field(default_factory=list)


# --- the fit of one stage -------------------------------------------------------------------

def fit_stage_weights(scores: np.ndarray, churned: np.ndarray, expert: np.ndarray, n_churn_events: int,
                      settings: ScorecardSettings, timing: np.ndarray | None = None,
                      ) -> tuple[np.ndarray, np.ndarray | None, str, str]:
    """(weights, fitted weights or None, method, reason) for one stage.

    `scores` is examples x components, 0-100 with NaN for no data; `expert` the seed weights;
    `timing` marks the components that keep their weight when others have no data."""
    if n_churn_events < settings.min_churn_events:
        return expert, None, "expert", (f"{n_churn_events} churned contracts known, fewer than the "
                                        f"minimum of {settings.min_churn_events}: seed weights kept")
    if churned.all() or not churned.any():
        return expert, None, "expert", "examples of one outcome only: seed weights kept"
    timing = np.zeros(len(expert), dtype=bool) if timing is None else timing
    lost = (100.0 - scores) / 100.0
    weights = expert
    fitted = None
    for _ in range(2):
        x = _fill_missing(lost, weights, timing)
        coefficients = _logistic_coefficients(x, churned.astype(float), settings.ridge)
        evidence = np.where(timing, 0.0, coefficients)
        if evidence.sum() <= 0:
            return expert, None, "expert", "no component separates churners from the others: seed weights kept"
        # timing keeps its seed weight: it places the renewal window on the scale, the same in
        # every version; the fit shares the rest among the evidence (timing is still a
        # regressor, so the evidence is weighed net of it)
        fitted = np.where(timing, expert, evidence / evidence.sum() * (1.0 - expert[timing].sum()))
        weights = fitted
    k = settings.shrinkage_events
    share = n_churn_events / (n_churn_events + k)
    blended = share * fitted + (1 - share) * expert
    if k == 0:
        return _rounded(blended), fitted, "fitted", f"fit on {n_churn_events} churned contracts"
    return _rounded(blended), fitted, "shrunk", (
        f"fit on {n_churn_events} churned contracts, shrunk towards the seed weights "
        f"({n_churn_events}/({n_churn_events}+{k}) fitted)")


def _logistic_coefficients(x: np.ndarray, y: np.ndarray, ridge: float) -> np.ndarray:
    """Non-negative slopes of log P(churn) / P(stay) = b0 + x . b: the mean log-loss plus
    ridge x |b|^2 (which keeps the slopes finite when a component separates perfectly and
    gives a component that adds nothing zero), minimised with b >= 0 and b0 free."""
    n, m = x.shape

    def loss_and_gradient(params: np.ndarray) -> tuple[float, np.ndarray]:
        z = params[0] + x @ params[1:]
        residual = 1.0 / (1.0 + np.exp(-z)) - y
        loss = float(np.mean(np.logaddexp(0.0, z) - y * z) + ridge * params[1:] @ params[1:])
        gradient = np.concatenate([[residual.mean()], x.T @ residual / n + 2 * ridge * params[1:]])
        return loss, gradient

    start = np.zeros(m + 1)
    start[0] = np.log(y.mean() / (1 - y.mean()))
    result = minimize(loss_and_gradient, start, jac=True, method="L-BFGS-B",
                      bounds=[(None, None)] + [(0.0, None)] * m)
    return np.clip(result.x[1:], 0.0, None)


def _fill_missing(lost: np.ndarray, weights: np.ndarray, timing: np.ndarray | None = None) -> np.ndarray:
    """A missing component gets the example's weighted mean of the evidence components with
    data (of the timing ones when no evidence has data): with it, the full-weight score
    equals the score, whose missing weight goes to the evidence (int_health__scores)."""
    present = ~np.isnan(lost)
    evidence = present if timing is None else present & ~timing
    w = np.where(evidence, weights, 0.0)
    total = w.sum(axis=1, keepdims=True)
    w = np.where(total > 0, w, np.where(present, weights, 0.0))
    total = w.sum(axis=1, keepdims=True)
    mean = np.divide((np.nan_to_num(lost) * w).sum(axis=1, keepdims=True), total,
                     out=np.full_like(total, np.nan), where=total > 0)
    filled = np.where(present, lost, mean)
    # an example with no weighted data at all carries no information
    return np.nan_to_num(filled, nan=0.0)


def score_sql(weight: str = "weight", score: str = "score", role: str = "weight_role") -> str:
    """The health score of a group of component rows, as an aggregate SQL expression, the
    formula of int_health__scores: timing components keep weight / total, the evidence
    components with data share the rest (the weight of components without data included)."""
    def total(rows: str = "true") -> str:
        return f"sum({weight}) filter (where {rows})"
    present = f"{score} is not null"
    evidence, timing = f"{present} and {role} = 'evidence'", f"{present} and {role} = 'timing'"
    return f"""case
        when {total(evidence)} > 0 then (
            coalesce(sum({weight} * {score}) filter (where {timing}), 0)
            + sum({weight} * {score}) filter (where {evidence}) / {total(evidence)}
                * ({total()} - coalesce({total(timing)}, 0))
        ) / {total()}
        else sum({weight} * {score}) filter (where {present}) / nullif({total(present)}, 0)
    end"""


def _rounded(weights: np.ndarray) -> np.ndarray:
    """Weights on the seed's 4-decimal grid, adding up to exactly 1 (largest remainders)."""
    units = 10 ** WEIGHT_DECIMALS
    raw = weights / weights.sum() * units
    floor = np.floor(raw)
    missing = int(units - floor.sum())
    order = np.argsort(-(raw - floor), kind="stable")
    floor[order[:missing]] += 1
    return floor / units


# --- walk-forward over the history ------------------------------------------------------------

def version_name(base_version: str, fit_date: dt.date) -> str:
    return f"{base_version}-fit-{fit_date.isoformat()}"


def seed_scorecard(con: duckdb.DuckDBPyConnection, source: str = COMPONENT_VALUES,
                   seed: str = SEED_WEIGHTS) -> tuple[str, dict[str, dict[str, float]]]:
    """The seed scorecard the component scores were made with (dbt var scorecard_version):
    its name and weights per stage."""
    row = con.execute(f"select any_value(seed_scorecard_version) from {source}").fetchall()[0]
    if row is None or row[0] is None:
        raise RuntimeError(f"{source} is empty: run dbt first")
    rows = con.execute(f"""
        select lifecycle_stage, component, cast(weight as double) from {seed}
        where scorecard_version = ? order by lifecycle_stage, component""", [row[0]]).fetchall()
    stages: dict[str, dict[str, float]] = {}
    for stage, component, weight in rows:
        stages.setdefault(stage, {})[component] = weight
    return row[0], stages


def load_examples(con: duckdb.DuckDBPyConnection, settings: ScorecardSettings,
                  source: str = COMPONENT_VALUES, seed: str = SEED_WEIGHTS) -> None:
    """Temp table scorecard_examples: the component scores of the example days, one row per
    (account, day, component). Example days are calendar-anchored (every Monday by default),
    so the same days are examples whatever the history's first day; and only days on which
    components holding min_coverage of the seed weight had data, as the score rates them: the
    component values also cover days before a system's data begins, and how many of those a
    build holds depends on how far back its history window reaches, not on the company."""
    every = int(settings.example_every_days)
    con.execute(f"""
        create or replace temp table scorecard_examples as
        with candidates as (
            select account_id, as_of_date, contract_id, lifecycle_stage, seed_scorecard_version, component,
                weight_role, score
            from {source}
            where contract_id is not null and lifecycle_stage is not null
                and date_diff('day', date '1970-01-05', as_of_date) % {every} = 0
        ),
        stage_weights as (
            -- the seed's exact decimals, as the score adds them
            select scorecard_version, lifecycle_stage, component, weight,
                sum(weight) over (partition by scorecard_version, lifecycle_stage) as total_weight
            from {seed}
        ),
        covered as (
            select candidates.account_id, candidates.as_of_date
            from candidates
            inner join stage_weights
                on candidates.seed_scorecard_version = stage_weights.scorecard_version
                and candidates.lifecycle_stage = stage_weights.lifecycle_stage
                and candidates.component = stage_weights.component
            group by candidates.account_id, candidates.as_of_date
            having coalesce(sum(stage_weights.weight) filter (where candidates.score is not null), 0)
                >= {float(settings.min_coverage)!r} * any_value(stage_weights.total_weight)
        )
        select account_id, as_of_date, contract_id, lifecycle_stage, component, weight_role, score
        from candidates
        semi join covered using (account_id, as_of_date)""")
    con.execute("""
        create or replace temp table scorecard_example_days as
        select distinct account_id, as_of_date, contract_id, lifecycle_stage from scorecard_examples""")


def stage_examples(con: duckdb.DuckDBPyConnection, stage: str, components: list[str], fit_date: dt.date,
                   settings: ScorecardSettings, outcomes: str = OUTCOMES):
    """(scores matrix, churned, churned contract ids, first and last example day) known on fit_date."""
    horizon = STAGE_HORIZON_DAYS[stage]
    known = labels.known_examples_sql(fit_date, horizon, settings.grace_days,
                                      scores="scorecard_example_days", outcomes=outcomes)
    pivot = ", ".join(f"max(values.score) filter (where values.component = '{c}') as \"{c}\"" for c in components)
    table = con.sql(f"""
        with known as ({known})
        select known.account_id, known.as_of_date, known.contract_id, known.churned, {pivot}
        from known
        inner join scorecard_examples as values
            on known.account_id = values.account_id and known.as_of_date = values.as_of_date
        where known.lifecycle_stage = '{stage.replace("'", "''")}'
        group by all
        order by known.account_id, known.as_of_date""").to_arrow_table()
    if table.num_rows == 0:
        return np.empty((0, len(components))), np.empty(0, dtype=bool), set(), None, None
    scores = np.column_stack([table.column(c).to_numpy(zero_copy_only=False).astype(float) for c in components])
    churned = table.column("churned").to_numpy(zero_copy_only=False).astype(bool)
    churned_contracts = set(pc.filter(table.column("contract_id"), table.column("churned")).to_pylist())
    days = pc.min_max(table.column("as_of_date")).as_py()
    return scores, churned, churned_contracts, days["min"], days["max"]


def shared_stages(seed: dict[str, dict[str, float]]) -> list[list[str]]:
    """Stages whose seed scorecards are the same, in groups: such stages are fit together and
    keep one set of weights. A seed that gives two stages one scorecard says their scores are
    on one scale (e.g. adoption and renewal), and separate fits would pull the scales apart:
    the stage whose components happen to score higher would look healthier."""
    groups: dict[tuple, list[str]] = {}
    for stage in sorted(seed):
        groups.setdefault(tuple(sorted(seed[stage].items())), []).append(stage)
    return list(groups.values())


def fit_version(con: duckdb.DuckDBPyConnection, fit_date: dt.date, seed: dict[str, dict[str, float]],
                settings: ScorecardSettings, outcomes: str = OUTCOMES) -> list[StageFit]:
    """One fit per group of stages with the same seed scorecard (shared_stages); each stage
    keeps its own churn horizon for its examples."""
    fits = []
    timing_components = {row[0] for row in con.execute(
        "select distinct component from scorecard_examples where weight_role = 'timing'").fetchall()}
    for group in shared_stages(seed):
        components = sorted(seed[group[0]])
        expert = np.array([seed[group[0]][c] for c in components])
        timing = np.array([c in timing_components for c in components])
        parts = [stage_examples(con, stage, components, fit_date, settings, outcomes) for stage in group]
        scores = np.vstack([part[0] for part in parts])
        churned = np.concatenate([part[1] for part in parts])
        n_events = len(set().union(*(part[2] for part in parts)))
        firsts = [part[3] for part in parts if part[3] is not None]
        lasts = [part[4] for part in parts if part[4] is not None]
        weights, fitted, method, reason = fit_stage_weights(scores, churned, expert, n_events, settings, timing)
        if len(group) > 1:
            reason = f"{reason}; stages {', '.join(group)} fit together (one seed scorecard)"
        for stage in group:
            fits.append(StageFit(stage, components, expert, weights, fitted, len(churned), n_events, method, reason,
                                 STAGE_HORIZON_DAYS[stage], min(firsts, default=None), max(lasts, default=None)))
    return fits


def planned_fit_dates(first_day: dt.date, last_day: dt.date, every: str | None) -> list[dt.date]:
    """The cadence's dates in [first_day, last_day]: calendar-anchored (the first of each
    month by default), never the history's first day for its own sake."""
    dates = labels.fit_dates(first_day, last_day, every)
    if dates and dates[0] not in labels.fit_dates(first_day - dt.timedelta(days=1), first_day, every)[1:]:
        dates = dates[1:]
    return dates


def ensure_table(con: duckdb.DuckDBPyConnection) -> None:
    ddl = {pa.string(): "varchar", pa.date32(): "date", pa.float64(): "double", pa.int32(): "integer",
           pa.int64(): "bigint"}
    columns = ", ".join(f"{name} {ddl[kind]}" for name, kind in COLUMNS.items())
    con.execute("create schema if not exists learning")
    con.execute(f"create table if not exists {TABLE} ({columns})")


def run(con: duckdb.DuckDBPyConnection, settings: ScorecardSettings | None = None, *,
        source: str = COMPONENT_VALUES, outcomes: str = OUTCOMES, log=print) -> FitSummary:
    """Fit every planned date after the latest stored version of the seed scorecard and
    append the new versions in one transaction (a crash leaves the table as it was)."""
    settings = settings or ScorecardSettings()
    ensure_table(con)
    summary = FitSummary()
    first_day, last_day = con.execute(f"select min(as_of_date), max(as_of_date) from {source}").fetchall()[0]
    if first_day is None:
        return summary
    base_version, seed = seed_scorecard(con, source)
    latest = con.execute(f"select max(effective_from) from {TABLE} where base_scorecard_version = ?",
                         [base_version]).fetchall()[0][0]
    dates = [d for d in planned_fit_dates(first_day, last_day, settings.every) if latest is None or d > latest]
    if not dates:
        return summary
    load_examples(con, settings, source)
    rows = []
    for fit_date in dates:
        name = version_name(base_version, fit_date)
        for fit in fit_version(con, fit_date, seed, settings, outcomes):
            log(f"{name} {fit.stage}: {fit.method} ({fit.reason})")
            for i, component in enumerate(fit.components):
                rows.append({
                    "scorecard_version": name, "base_scorecard_version": base_version, "effective_from": fit_date,
                    "lifecycle_stage": fit.stage, "component": component, "weight": float(fit.weights[i]),
                    "expert_weight": float(fit.expert[i]),
                    "fitted_weight": None if fit.fitted is None else round(float(fit.fitted[i]), 6),
                    "horizon_days": fit.horizon_days, "training_from": fit.training_from,
                    "training_to": fit.training_to, "n_examples": fit.n_examples,
                    "n_churn_events": fit.n_churn_events, "method": fit.method, "reason": fit.reason})
        summary.versions.append(name)
    new_rows = pa.Table.from_pylist(rows, schema=pa.schema(COLUMNS))  # noqa: F841 (read by DuckDB)
    con.execute("begin transaction")
    try:
        con.execute(f"insert into {TABLE} by name select * from new_rows")
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return summary
