"""The 90-day churn model, fit walk-forward and calibrated.

For each fit date D (learning.labels.fit_dates: the first scored day, then the first of
every month by default) a version is fit on the examples whose label was decided on D, and
that version scores every day from D up to the next fit date. A version, once written to
`learning.model_versions`, is never refit and the predictions it made are never rewritten
(except the last `reprocess_days`, re-scored by the same version like the score's late
events): a later run only adds versions for later days. So a world cut at T, built and then
run on, keeps every prediction up to T.

Learner: scikit-learn's HistGradientBoostingClassifier (handles missing values natively),
fit on the earlier part of the known examples and calibrated (isotonic, or sigmoid when the
held-out slice has few churn events) on the latest part, weighted back for the class
sampling, so calibration is judged on later data than the fit, as it is used; probabilities are kept within [0.001, 0.999]. Below `min_churn_events` known churned contracts there is
no trustworthy model: the probability is null and `null_reason` says why.

Drivers: for the rows riskier than the training base rate, each group of related features
is set to its training median and the drop in probability is that group's contribution;
the three largest positive ones are named in words (rendered in SQL from the row's values).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import duckdb
import joblib
import numpy as np
import pyarrow as pa
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.metrics import brier_score_loss, roc_auc_score
from threadpoolctl import threadpool_limits

from learning import labels
from learning.features import FEATURE_TABLE, build_features

VERSIONS = "learning.model_versions"
PREDICTIONS = "marts.churn_predictions"
# What a run reads and writes, for a warehouse that is not DuckDB (cs360_core.warehouse.working_copy)
READS = ("learning", VERSIONS, PREDICTIONS, "marts.health_scores", "intermediate.int_crm__contract_outcomes",
         "intermediate.int_crm__contracts")
WRITES = ("learning", PREDICTIONS)
OUTCOMES = "learning_outcomes"  # temp copy of intermediate.int_crm__contract_outcomes for one run
# temp: every scored (account, day) with its label as the full history knows it, built once
# per run; a fit on D reads only the rows whose label was decided by D (labels.known_examples_sql)
LABELED = "learning_labeled"
LEARNER = "HistGradientBoostingClassifier"
# Isotonic calibration is a step function: past the last churner (or the first) of the held-out
# slice it says exactly 0 (or 1), a certainty no later account can be held to.
PROBABILITY_BOUNDS = (0.001, 0.999)
ISOTONIC_MIN_CHURNERS = 50  # fewer churners in the calibration slice: sigmoid (two parameters)

# Related features whose joint contribution is one driver, and how it reads.
DRIVER_GROUPS: dict[str, tuple[str, ...]] = {
    "renewal": ("days_to_renewal", "stage_renewal", "stage_adoption", "stage_onboarding", "renewal_exposure_score"),
    "usage": ("utilization", "active_users_30d", "logins_30d", "logins_per_seat", "utilization_score", "usage_score",
              "no_usage_data"),
    "usage_trend": ("login_trend_30d", "active_users_30d_change_30d", "active_users_30d_change_90d",
                    "logins_30d_change_30d", "logins_30d_change_90d", "usage_trend_score", "user_trend_score"),
    "activity": ("days_since_activity",),
    "breadth": ("breadth", "breadth_score", "breadth_change_30d", "breadth_change_90d", "feature_retention_score"),
    "support": ("open_tickets", "tickets_90d", "sla_breaches_90d", "support_score", "tickets_90d_change_30d",
                "tickets_90d_change_90d", "no_support_data"),
    "csat": ("csat_90d", "csat_score", "no_csat"),
    "nps": ("nps_180d", "nps_responses_180d", "sentiment_score", "relationship_score", "nps_180d_change_30d",
            "nps_180d_change_90d", "no_nps"),
    "training": ("people_trained", "onboarding_completed", "training_score", "no_training_data"),
    "surveys": ("survey_response_score", "silent_contact_score"),
    "price": ("seat_price_score",),
    "engagement": ("days_since_csm_touch", "csm_touches_90d", "meetings_90d", "executive_engaged_90d",
                   "engagement_score", "no_crm_activity_data"),
    "contract": ("mrr_change", "seat_change", "mrr", "seats", "tenure_days", "renewals_so_far"),
    "health": ("health_score", "coverage", "health_score_change_30d", "health_score_change_90d"),
}

# One phrase per driver, from the feature row `f` (DuckDB SQL).
DRIVER_TEXT = {
    "renewal": "'renewal in ' || f.days_to_renewal || ' days'",
    "usage": "coalesce('utilization ' || round(100 * f.utilization)::int || '%', 'no product usage data')",
    "usage_trend": ("coalesce('active users ' || case when f.active_users_30d_change_30d < 0 then 'down ' else 'up ' "
                    "end || abs(round(100 * f.active_users_30d_change_30d / nullif(f.active_users_30d "
                    "- f.active_users_30d_change_30d, 0)))::int || '% over 30 days', 'logins ' || "
                    "round(100 * f.login_trend_30d)::int || '% vs previous 30 days', 'usage trend unknown')"),
    "activity": "coalesce('no activity for ' || f.days_since_activity || ' days', 'no activity recorded')",
    "breadth": "coalesce('uses ' || round(100 * f.breadth)::int || '% of features', 'feature use unknown')",
    "support": ("coalesce(f.sla_breaches_90d::int || ' SLA breaches, ' || f.tickets_90d::int || ' tickets in 90 days', "
                "'no support data')"),
    "csat": "coalesce('CSAT ' || round(100 * f.csat_90d)::int || '%', 'no CSAT ratings')",
    "nps": "coalesce('NPS ' || round(f.nps_180d)::int, 'no NPS answers in 180 days')",
    "training": "coalesce(f.people_trained::int || ' people trained', 'no training data')",
    "surveys": ("coalesce('survey invitations left unanswered (silent contact ' || round(f.silent_contact_score)::int "
                "|| '/100, response rate ' || round(f.survey_response_score)::int || '/100)', "
                "'survey response rate ' || round(f.survey_response_score)::int || '/100', 'no survey invitations')"),
    "price": "coalesce('price per seat raised at the last renewal (' || round(f.seat_price_score)::int || '/100)', "
             "'first contract term')",
    "engagement": ("coalesce('last CSM touch ' || f.days_since_csm_touch::int || ' days ago, ' || "
                   "f.meetings_90d::int || ' meetings in 90 days', 'no CSM touch logged')"),
    "contract": ("coalesce('seats ' || case when f.seat_change >= 0 then '+' else '' end || round(100 * f.seat_change)::int "
                 "|| '% at last renewal', 'first contract term, ' || f.tenure_days || ' days as a customer')"),
    "health": "'health score ' || round(f.health_score)::int",
}

# Component columns the phrases above read (every other column is always in the feature table).
DRIVER_TEXT_COLUMNS = {"surveys": ("silent_contact_score", "survey_response_score"), "price": ("seat_price_score",)}
# Every feature column a phrase reads (`f.<name>`)
PHRASE_COLUMNS = tuple(dict.fromkeys(name for text in DRIVER_TEXT.values() for name in re.findall(r"\bf\.(\w+)", text)))


@dataclass(frozen=True)
class ModelSettings:
    horizon_days: int = labels.DEFAULT_HORIZON_DAYS
    grace_days: int = labels.DEFAULT_GRACE_DAYS
    min_churn_events: int = 30           # distinct churned contracts known on the fit date
    every: str | None = None             # refit cadence (labels.refit_cadence)
    train_day_stride: int = 7            # train on every 7th calendar day: neighbours are near-duplicates
    max_training_rows: int = 60_000      # above this, rows are sampled; the calibrator weights them back
    calibration_share: float = 0.25      # the latest share of training days holds out for calibration
    reprocess_days: int = 3              # dbt var score_reprocess_days
    n_drivers: int = 3
    random_state: int = 0
    # OpenMP threads of the learner. Its threads spin while they wait for each other: on a
    # machine whose cores other processes share (DuckDB, dbt, the web app), one thread fit
    # and scored 3-6x faster than two, at a third of the CPU time.
    threads: int = 1
    # Scoring runs on row chunks in this many Python threads instead: each row's probability
    # is its own, scikit-learn walks the trees without the GIL, and a thread that waits
    # blocks rather than spins. CS360_SCORING_THREADS; by default one per core, at most 4.
    scoring_threads: int = field(default_factory=lambda: _scoring_threads_from_env())
    # at most 100 trees (early stopping on above 10,000 rows): scoring and drivers walk every
    # tree for every (account, day); on an M world 0.1 x 100 judged as well as 0.06 x 200
    # (walk-forward pooled AUC 0.939 vs 0.936, ECE 0.007 vs 0.008) with half the trees
    learner_params: dict = field(default_factory=lambda: {
        "max_iter": 100, "learning_rate": 0.1, "max_leaf_nodes": 31, "min_samples_leaf": 40,
        "l2_regularization": 1.0})


SCORING_THREADS_ENV = "CS360_SCORING_THREADS"
SCORING_CHUNK_ROWS = 50_000  # rows per task of the scoring threads (about 40 MB of features at float64)


def _scoring_threads_from_env() -> int:
    value = os.environ.get(SCORING_THREADS_ENV, "").strip()
    if value:
        return max(1, int(value))
    return max(1, min(4, os.cpu_count() or 1))


def _by_row_chunks(function, n_rows: int, threads: int, chunk_rows: int | None = None) -> list:
    """function(start, stop) over consecutive row chunks, on `threads` threads, results in order."""
    chunk_rows = chunk_rows or SCORING_CHUNK_ROWS
    bounds = [(start, min(start + chunk_rows, n_rows)) for start in range(0, n_rows, chunk_rows)]
    if threads <= 1 or len(bounds) <= 1:
        return [function(start, stop) for start, stop in bounds]

    def task(bound: tuple[int, int]):
        # a new thread starts with OpenMP's default team (every core): scikit-learn would run
        # an OpenMP team inside each scoring thread, and the teams' spinning threads collide
        with threadpool_limits(limits=1, user_api="openmp"):
            return function(*bound)

    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(task, bounds))


@dataclass
class RunSummary:
    versions_fit: list[str] = field(default_factory=list)
    versions_without_model: list[str] = field(default_factory=list)
    rows_scored: int = 0
    seconds_features: float = 0.0
    seconds_fitting: float = 0.0
    seconds_scoring: float = 0.0
    seconds_drivers: float = 0.0   # part of seconds_scoring
    seconds_validating: float = 0.0


DDL = f"""
create schema if not exists learning;
create schema if not exists marts;
create table if not exists {VERSIONS} (
    model_version varchar primary key,
    fit_date date not null,
    training_from date,
    training_to date,
    n_examples bigint,
    n_churn_events bigint,
    n_training_rows bigint,
    learner varchar,
    calibration varchar,
    base_rate double,
    features varchar,
    null_reason varchar,
    fitted_at timestamp,
    model blob,
    validated_through date,
    validation_n bigint,
    validation_churned bigint,
    validation_auc double,
    validation_brier double,
    validation_ece double
);
create table if not exists {PREDICTIONS} (
    account_id varchar not null,
    as_of_date date not null,
    churn_probability_90d double,
    model_version varchar,
    top_drivers varchar,
    null_reason varchar,
    primary key (account_id, as_of_date)
);
"""


def version_name(fit_date: dt.date) -> str:
    return f"churn-{fit_date.isoformat()}"


def run(con: duckdb.DuckDBPyConnection, settings: ModelSettings = ModelSettings(), log=print) -> RunSummary:
    """Fit the versions still missing and score the days not yet predicted."""
    with threadpool_limits(limits=settings.threads, user_api="openmp"):
        return _run(con, settings, log)


def _run(con: duckdb.DuckDBPyConnection, settings: ModelSettings, log) -> RunSummary:
    summary = RunSummary()
    con.execute(DDL)
    first, last = con.execute("select min(as_of_date), max(as_of_date) from marts.health_scores").fetchall()[0]
    if first is None:
        log("churn model: no scored days yet")
        return summary
    started = time.perf_counter()
    feature_names = build_features(con)
    summary.seconds_features = time.perf_counter() - started
    con.execute(f"create or replace temp table {OUTCOMES} as select * from intermediate.int_crm__contract_outcomes")
    con.execute(f"create or replace temp table {LABELED} as select account_id, as_of_date, "
                f"contract_id as label_contract_id, churned "
                f"from ({labels.labeled_examples_sql(settings.horizon_days, outcomes=OUTCOMES)})")
    known_versions = {row[0]: row[1] for row in con.execute(f"select fit_date, model_version from {VERSIONS}").fetchall()}
    dates = sorted(set(labels.fit_dates(first, last, settings.every)) | {d for d in known_versions if d <= last})
    predicted_through = con.execute(f"select max(as_of_date) from {PREDICTIONS}").fetchall()[0][0]
    if predicted_through is not None:
        # the latest days are re-scored (late-arriving data), by the version that scored them
        rescore_from = predicted_through - dt.timedelta(days=settings.reprocess_days - 1)
        con.execute(f"delete from {PREDICTIONS} where as_of_date >= ?", [rescore_from])
    # the scored days without a prediction yet, found once (not once per version)
    unpredicted = [row[0] for row in con.execute(
        f"select distinct s.as_of_date from marts.health_scores s "
        f"anti join {PREDICTIONS} p using (account_id, as_of_date)").fetchall()]
    for index, fit_date in enumerate(dates):
        until = dates[index + 1] if index + 1 < len(dates) else last + dt.timedelta(days=1)
        todo = any(fit_date <= day < until for day in unpredicted)
        if fit_date in known_versions:
            if not todo:
                continue
            version = _load_version(con, known_versions[fit_date])
        else:
            started = time.perf_counter()
            version = fit_version(con, fit_date, feature_names, settings)
            _store_version(con, version)
            summary.seconds_fitting += time.perf_counter() - started
            (summary.versions_fit if version.model is not None else summary.versions_without_model).append(
                version.name)
            log(f"churn model {version.name}: {version.n_examples} examples, {version.n_churn_events} churn events"
                + (f", {version.null_reason}" if version.null_reason else ""))
        if todo:
            started = time.perf_counter()
            summary.rows_scored += score_period(con, version, fit_date, until, settings, summary)
            summary.seconds_scoring += time.perf_counter() - started
    started = time.perf_counter()
    validate_versions(con, settings)
    summary.seconds_validating = time.perf_counter() - started
    return summary


@dataclass
class Version:
    name: str
    fit_date: dt.date
    features: list[str]
    n_examples: int = 0
    n_churn_events: int = 0
    n_training_rows: int = 0
    training_from: dt.date | None = None
    training_to: dt.date | None = None
    calibration: str | None = None
    base_rate: float | None = None
    null_reason: str | None = None
    model: object | None = None
    medians: dict[str, float] = field(default_factory=dict)


def training_rows_sql(fit_date: dt.date, settings: ModelSettings) -> str:
    known = labels.known_examples_sql(fit_date, settings.horizon_days, settings.grace_days, outcomes=OUTCOMES)
    return f"""
select known.contract_id as label_contract_id, known.churned, features.*
from ({known}) as known
inner join {FEATURE_TABLE} as features using (account_id, as_of_date)
"""


def fit_version(con: duckdb.DuckDBPyConnection, fit_date: dt.date, feature_names: list[str],
                settings: ModelSettings) -> Version:
    """Fit the version used from `fit_date`: only examples whose label was decided by then."""
    version = Version(version_name(fit_date), fit_date, list(feature_names))
    # the rows of training_rows_sql(fit_date), read from the run's label table; the features
    # are joined to the sampled rows only
    latest = fit_date - dt.timedelta(days=settings.horizon_days + settings.grace_days)
    known = f"select * from {LABELED} where as_of_date <= date '{latest.isoformat()}'"
    n_examples, n_events, first, last = con.execute(
        f"select count(*), count(distinct label_contract_id) filter (where churned), min(as_of_date), "
        f"max(as_of_date) from ({known})").fetchall()[0]
    version.n_examples, version.n_churn_events = int(n_examples), int(n_events)
    version.training_from, version.training_to = first, last
    if n_events < settings.min_churn_events:
        version.null_reason = (f"no trustworthy churn model: {n_events} churned contracts known on "
                               f"{fit_date.isoformat()}, fewer than the {settings.min_churn_events} needed")
        return version
    # every stride-th calendar day (anchored on the epoch, so a cut world samples the same days);
    # a short known history (under ten strides) is used whole. Above max_training_rows, rows
    # are sampled by a hash of the key (the calibration weights them back): churned rows keep
    # at least half of the budget (a large churned cohort on daily rows once left no room for
    # any negative)
    stride = max(1, settings.train_day_stride) if (last - first).days >= 10 * settings.train_day_stride else 1
    sampled = f"select * from ({known}) where (epoch(as_of_date) / 86400)::bigint % {stride} = 0"
    n_rows, n_positive = con.execute(f"select count(*), count(*) filter (where churned) from ({sampled})").fetchall()[0]
    keep_positive, keep_negative = sampling_shares(n_positive, n_rows - n_positive, settings.max_training_rows)
    columns = ", ".join(f'features."{name}"' for name in version.features)
    table = con.sql(
        f"select kept.as_of_date, kept.churned, kept.weight, {columns} "
        f"from (select account_id, as_of_date, churned, cast(case when churned then {1.0 / keep_positive!r} "
        f"else {1.0 / keep_negative!r} end as double) as weight from ({sampled}) "
        f"where hash(account_id, as_of_date) % 1000000 < case when churned "
        f"then {round(keep_positive * 1_000_000)} else {round(keep_negative * 1_000_000)} end) as kept "
        f"inner join {FEATURE_TABLE} as features using (account_id, as_of_date) "
        "order by kept.as_of_date, kept.account_id").to_arrow_table()
    days = table.column("as_of_date").to_numpy()
    y = table.column("churned").to_numpy(zero_copy_only=False).astype(np.int8)
    weight = table.column("weight").to_numpy()
    X = _matrix(table, version.features)
    del table
    version.n_training_rows = len(y)
    version.medians = {name: float(np.nanmedian(X[:, i])) if np.isfinite(X[:, i]).any() else 0.0
                       for i, name in enumerate(version.features)}
    version.model, version.calibration = _fit_calibrated(X, y, weight, days, settings)
    version.base_rate = float(np.average(y, weights=weight))
    if version.model is None:
        version.null_reason = ("no trustworthy churn model: the training history has too few churn events "
                               "on both sides of the calibration split")
    return version


def sampling_shares(n_positive: int, n_negative: int, max_rows: int) -> tuple[float, float]:
    """The shares of churned and retained rows kept for training, at most max_rows in all:
    churned rows up to half the budget, or more when there are fewer retained rows."""
    positive_budget = max(max_rows - n_negative, max_rows // 2)
    keep_positive = min(1.0, positive_budget / max(n_positive, 1))
    negative_budget = max(max_rows - min(n_positive, positive_budget), 1)
    keep_negative = min(1.0, negative_budget / max(n_negative, 1))
    return keep_positive, keep_negative


def _fit_calibrated(X, y, weight, days, settings: ModelSettings):
    """Boosted trees on the earlier days, calibrated on the later ones (time-ordered)."""
    unique_days = np.unique(days)
    if len(unique_days) < 2:
        return None, None
    split_day = unique_days[int(len(unique_days) * (1 - settings.calibration_share))]
    fit_part, calibration_part = days < split_day, days >= split_day
    if min(y[fit_part].sum(), y[calibration_part].sum(), (y[fit_part] == 0).sum(),
           (y[calibration_part] == 0).sum()) < 5:
        return None, None
    X_fit = X[fit_part]
    # a signal never seen in the fit slice (e.g. no NPS system yet) is a constant: never split on
    X_fit[:, np.isnan(X_fit).all(axis=0)] = 0.0
    learner = HistGradientBoostingClassifier(random_state=settings.random_state, **settings.learner_params)
    # The trees learn from the sample as drawn, unweighted: the weights only undo the class
    # sampling, which the weighted calibration below does, and with weights scikit-learn bins
    # each feature by 255 weighted percentiles, each sorting the column again (over half the
    # fit's time). Ranking needs no weights; the probabilities get them from the calibrator.
    learner.fit(X_fit, y[fit_part])
    method = "isotonic" if y[calibration_part].sum() >= ISOTONIC_MIN_CHURNERS else "sigmoid"
    calibrated = CalibratedClassifierCV(FrozenEstimator(learner), method=method)
    with warnings.catch_warnings():
        # the frozen learner is not refit: the weights are meant for the calibrator alone
        warnings.filterwarnings("ignore", message="Since FrozenEstimator does not appear to accept sample_weight")
        calibrated.fit(X[calibration_part], y[calibration_part], sample_weight=weight[calibration_part])
    return (ClippedProbabilities(calibrated),
            f"{method} on {calibration_part.sum()} held-out later rows from {split_day}")


class ClippedProbabilities:
    """A calibrated classifier whose churn probability stays within PROBABILITY_BOUNDS."""

    def __init__(self, calibrated):
        self.calibrated = calibrated
        self.classes_ = calibrated.classes_

    def predict_proba(self, X) -> np.ndarray:
        churn = np.clip(self.calibrated.predict_proba(X)[:, 1], *PROBABILITY_BOUNDS)
        return np.column_stack([1.0 - churn, churn])


def _matrix(table: pa.Table, names: list[str], dtype=np.float32) -> np.ndarray:
    """float32 for fitting (scikit-learn bins it); float64 for scoring, the learner's own
    dtype, so that predicting does not convert a copy of every slice again."""
    present = set(table.column_names)
    out = np.empty((table.num_rows, len(names)), dtype=dtype)
    for i, name in enumerate(names):
        out[:, i] = table.column(name).to_numpy(zero_copy_only=False) if name in present else np.nan
    return out


def score_period(con: duckdb.DuckDBPyConnection, version: Version, start: dt.date, until: dt.date,
                 settings: ModelSettings, summary: RunSummary | None = None) -> int:
    """Predict the days in [start, until) not yet predicted, with their drivers."""
    present = {row[0] for row in con.execute(f"describe {FEATURE_TABLE}").fetchall()}
    # the model's inputs and the columns the driver phrases read, in one slice: the phrases
    # are rendered from it, not from another join with the whole feature table
    wanted = [name for name in dict.fromkeys([*version.features, *PHRASE_COLUMNS]) if name in present]
    columns = ", ".join(f'"{name}"' for name in wanted)
    table = con.sql(
        f"select f.account_id, f.as_of_date{', ' + columns if columns else ''} from {FEATURE_TABLE} f "
        f"anti join {PREDICTIONS} p using (account_id, as_of_date) "
        "where f.as_of_date >= $start and f.as_of_date < $until", params={"start": start, "until": until}
    ).to_arrow_table()
    n = table.num_rows
    if n == 0:
        return 0
    if version.model is None:
        probability = pa.nulls(n, pa.float64())
        drivers = [pa.nulls(n, pa.string()) for _ in range(settings.n_drivers)]
    else:
        p = _predict(version, table, settings.scoring_threads)
        probability = pa.array(p)
        started = time.perf_counter()
        drivers = _top_driver_groups(version, table, p, settings.n_drivers, settings.scoring_threads)
        if summary is not None:
            summary.seconds_drivers += time.perf_counter() - started
    phrase_columns = [name for name in PHRASE_COLUMNS if name in present]
    scored = pa.table({"account_id": table.column("account_id"), "as_of_date": table.column("as_of_date"),
                       "probability": probability,
                       **{f"driver_{i + 1}": drivers[i] for i in range(settings.n_drivers)},
                       **{name: table.column(name) for name in phrase_columns}})
    del table
    con.register("scored_rows", scored)
    phrases = [_driver_phrase(f"f.driver_{i + 1}", present) for i in range(settings.n_drivers)]
    con.execute(f"""
        insert into {PREDICTIONS}
        select f.account_id, f.as_of_date, f.probability, ?,
            case when f.probability is null then null
                 else coalesce(nullif(concat_ws('; ', {', '.join(phrases)}), ''), 'no driver above the base churn rate') end,
            ?
        from scored_rows f
    """, [version.name, version.null_reason])
    con.unregister("scored_rows")
    return n


def _predict(version: Version, table: pa.Table, threads: int) -> np.ndarray:
    """The churn probability of every row of `table`, chunk by chunk on the scoring threads."""
    def chunk(start: int, stop: int) -> np.ndarray:
        return version.model.predict_proba(_matrix(table.slice(start, stop - start), version.features,
                                                   np.float64))[:, 1]
    return np.concatenate(_by_row_chunks(chunk, table.num_rows, threads))


def _driver_phrase(column: str, present: set[str]) -> str:
    """The phrase of the driver group named in `column`; a group whose phrase reads a column
    the feature table lacks (a warehouse without that component) is left out."""
    cases = " ".join(f"when '{group}' then {text}" for group, text in DRIVER_TEXT.items()
                     if set(DRIVER_TEXT_COLUMNS.get(group, ())) <= present)
    return f"case {column} {cases} end"


def _top_driver_groups(version: Version, table: pa.Table, p: np.ndarray, n_drivers: int,
                       threads: int = 1) -> list[pa.Array]:
    """Per row, the groups whose values raise the probability most above the population's
    (the group set to its training medians). Only rows above the base rate get drivers."""
    groups = [(name, [version.features.index(f) for f in members if f in version.features])
              for name, members in DRIVER_GROUPS.items()]
    groups = [(name, idx) for name, idx in groups if idx]
    risky = np.flatnonzero(p > (version.base_rate or 0.0))
    out = np.full((len(p), n_drivers), None, dtype=object)
    if len(risky) and groups:
        neutral = [np.array([version.medians[version.features[i]] for i in idx]) for _, idx in groups]
        trees = _TreeSum.of(version.model)

        def chunk_lift(start: int, stop: int) -> np.ndarray:
            rows = risky[start:stop]
            X_rows = _matrix(table.take(pa.array(rows)), version.features, np.float64)
            if trees is not None:
                return p[rows, None] - trees.group_probabilities(X_rows, [idx for _, idx in groups], neutral)
            lift = np.empty((len(rows), len(groups)), dtype=np.float64)
            for g, (_, idx) in enumerate(groups):
                changed = X_rows.copy()
                changed[:, idx] = neutral[g]
                lift[:, g] = p[rows] - version.model.predict_proba(changed)[:, 1]
            return lift

        lift = np.concatenate(_by_row_chunks(chunk_lift, len(risky), threads, DRIVER_CHUNK_ROWS))
        order = np.argsort(-lift, axis=1)[:, :n_drivers]
        names = np.array([name for name, _ in groups], dtype=object)
        chosen = np.where(np.take_along_axis(lift, order, axis=1) > 0.005, names[order], None)
        out[risky, :chosen.shape[1]] = chosen
    return [pa.array(out[:, i], type=pa.string()) for i in range(n_drivers)]


DRIVER_CHUNK_ROWS = 50_000  # rows x trees of per-tree values held at once (40 MB at 100 trees)


class _TreeSum:
    """The calibrated boosted trees of a version, evaluated tree by tree, so that setting one
    group of features to its medians re-walks only the trees that split on that group (a
    group like CSAT or training is in few of them); the rest is reused. The sum is taken in
    the trees' order from the same baseline as scikit-learn's, so each probability equals
    predict_proba on the changed rows exactly. This reads scikit-learn internals
    (HistGradientBoostingClassifier._predictors, the version pinned in pyproject.toml);
    `of` returns None for any other shape and the drivers fall back to predict_proba."""

    def __init__(self, learner, calibrator):
        self.trees = [predictors[0] for predictors in learner._predictors]
        self.baseline = float(np.ravel(learner._baseline_prediction)[0])
        self.bitsets, self.feature_map = learner._bin_mapper.make_known_categories_bitsets()
        self.calibrator = calibrator
        self.splits_on = [set(tree.nodes["feature_idx"][tree.nodes["is_leaf"] == 0].tolist()) for tree in self.trees]

    @classmethod
    def of(cls, model) -> _TreeSum | None:
        try:
            (calibrated,) = model.calibrated.calibrated_classifiers_
            learner = calibrated.estimator.estimator
            (calibrator,) = calibrated.calibrators
            if not isinstance(learner, HistGradientBoostingClassifier) or learner.n_trees_per_iteration_ != 1:
                return None
            return cls(learner, calibrator)
        except (AttributeError, ValueError):
            return None

    def _tree(self, i: int, X: np.ndarray) -> np.ndarray:
        # one OpenMP thread: the scoring threads (_by_row_chunks) run the chunks side by side
        return self.trees[i].predict(X, self.bitsets, self.feature_map, 1)

    def group_probabilities(self, X: np.ndarray, groups: list[list[int]], neutral: list[np.ndarray]) -> np.ndarray:
        """(rows, groups): the churn probability of each row with each group set to its medians."""
        X = np.ascontiguousarray(X, dtype=np.float64)
        unchanged = np.column_stack([self._tree(i, X) for i in range(len(self.trees))])
        out = np.empty((len(X), len(groups)), dtype=np.float64)
        for g, idx in enumerate(groups):
            changed = X.copy()
            changed[:, idx] = neutral[g]
            members = set(idx)
            raw = np.zeros(len(X)) + self.baseline
            for i in range(len(self.trees)):
                raw += self._tree(i, changed) if self.splits_on[i] & members else unchanged[:, i]
            out[:, g] = np.clip(self.calibrator.predict(raw), *PROBABILITY_BOUNDS)
        return out


def _store_version(con: duckdb.DuckDBPyConnection, version: Version) -> None:
    blob = None
    if version.model is not None:
        buffer = io.BytesIO()
        joblib.dump({"model": version.model, "medians": version.medians}, buffer)
        blob = buffer.getvalue()
    con.execute(
        f"insert into {VERSIONS} (model_version, fit_date, training_from, training_to, n_examples, n_churn_events, "
        "n_training_rows, learner, calibration, base_rate, features, null_reason, fitted_at, model) "
        "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now()::timestamp, ?)",
        [version.name, version.fit_date, version.training_from, version.training_to, version.n_examples,
         version.n_churn_events, version.n_training_rows, LEARNER if version.model is not None else None,
         version.calibration, version.base_rate, json.dumps(version.features), version.null_reason, blob])


def _load_version(con: duckdb.DuckDBPyConnection, name: str) -> Version:
    row = con.execute(
        f"select fit_date, features, n_examples, n_churn_events, base_rate, null_reason, model "
        f"from {VERSIONS} where model_version = ?", [name]).fetchall()[0]
    fit_date, features, n_examples, n_events, base_rate, null_reason, blob = row
    version = Version(name, fit_date, json.loads(features), n_examples=n_examples, n_churn_events=n_events,
                      base_rate=base_rate, null_reason=null_reason)
    if blob is not None:
        # our own artefact, written by _store_version into the warehouse this process owns
        stored = joblib.load(io.BytesIO(bytes(blob)))
        version.model, version.medians = stored["model"], stored["medians"]
    return version


def expected_calibration_error(probability: np.ndarray, churned: np.ndarray, bins: int = 10) -> float:
    """Contract section 6: over deciles of the predicted probability (equal-count bins),
    the count-weighted mean |mean predicted - observed rate|."""
    order = np.argsort(probability, kind="stable")
    parts = np.array_split(order, bins)
    n = len(probability)
    return float(sum(len(part) / n * abs(probability[part].mean() - churned[part].mean())
                     for part in parts if len(part)))


def validate_versions(con: duckdb.DuckDBPyConnection, settings: ModelSettings) -> None:
    """Walk-forward figures of each version: its own predictions on the days it scored
    whose outcome is now known (as_of_date + horizon <= the latest scored day)."""
    horizon = settings.horizon_days
    table = con.sql(f"""
        select p.model_version, p.churn_probability_90d as probability, labeled.churned, p.as_of_date
        from {PREDICTIONS} p
        inner join {LABELED} as labeled using (account_id, as_of_date)
        where p.churn_probability_90d is not null
            and p.as_of_date + {int(horizon)} <= (select max(as_of_date) from marts.health_scores)
        order by p.model_version
    """).to_arrow_table()
    if table.num_rows == 0:
        return
    versions = table.column("model_version").to_numpy(zero_copy_only=False)
    probability = table.column("probability").to_numpy()
    churned = table.column("churned").to_numpy(zero_copy_only=False).astype(np.int8)
    days = table.column("as_of_date").to_numpy()
    boundaries = np.flatnonzero(versions[1:] != versions[:-1]) + 1
    for part in np.split(np.arange(len(versions)), boundaries):
        y, p = churned[part], probability[part]
        auc = float(roc_auc_score(y, p)) if 0 < y.sum() < len(y) else None
        con.execute(
            f"update {VERSIONS} set validated_through = ?, validation_n = ?, validation_churned = ?, "
            "validation_auc = ?, validation_brier = ?, validation_ece = ? where model_version = ?",
            [days[part].max().item() if hasattr(days[part].max(), "item") else days[part].max(), len(part),
             int(y.sum()), auc, float(brier_score_loss(y, p)), expected_calibration_error(p, y),
             versions[part[0]]])
