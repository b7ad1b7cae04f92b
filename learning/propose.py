"""`cs360 scorecard propose`: the latest learned scorecard as seed rows, with a before/after report.

The proposal is the latest version in learning.scorecard_weights. It is judged against the
seed scorecard on the example days it did not see (after its training window, with the
90-day outcome known), and the walk-forward history (every example day scored by the
version in force that day) is judged the same way. The figures follow contract section 6:
pooled AUC, renewal-cohort AUC, top-decile lift and 90-day churn per band.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from pathlib import Path

import duckdb
import numpy as np
from sklearn.metrics import roc_auc_score

from learning import scorecard

HORIZON_DAYS = 90
SEED_FILES = ("health_score_weights.csv", "health_score_components.csv", "health_band_thresholds.csv")


def latest_version(con: duckdb.DuckDBPyConnection) -> tuple[str, str, dt.date] | None:
    row = con.execute(f"""select scorecard_version, base_scorecard_version, effective_from from {scorecard.TABLE}
                          order by effective_from desc limit 1""").fetchall()
    row = row[0] if row else None
    return tuple(row) if row else None


def _evaluation(con: duckdb.DuckDBPyConnection, weights_sql: str, since: dt.date | None) -> dict:
    """Score the example days (scorecard_examples) with `weights_sql` (as_of_date,
    lifecycle_stage, component, weight) and judge them on 90-day churn."""
    today = con.execute("select max(as_of_date) from scorecard_examples").fetchall()[0][0]
    last_known = today - dt.timedelta(days=HORIZON_DAYS)
    table = con.sql(f"""
        with weights as ({weights_sql}),
        scored as (
            select e.account_id, e.as_of_date, e.contract_id, e.lifecycle_stage,
                   {scorecard.score_sql("w.weight", "e.score", "e.weight_role")} as health_score
            from scorecard_examples as e
            inner join weights as w
                on w.as_of_date = e.as_of_date and w.lifecycle_stage = e.lifecycle_stage
                and w.component = e.component
            where e.as_of_date <= date '{last_known}' {f"and e.as_of_date > date '{since}'" if since else ""}
            group by all
        ),
        bands as (
            select lifecycle_stage, band, min_score from seeds.health_band_thresholds
            where scorecard_version = (select any_value(seed_scorecard_version) from {scorecard.COMPONENT_VALUES})
        )
        select scored.account_id, scored.health_score, bands.band,
               coalesce(o.outcome = 'churned' and o.end_date > scored.as_of_date
                        and o.end_date <= scored.as_of_date + {HORIZON_DAYS}, false) as churned,
               coalesce(o.end_date > scored.as_of_date and o.end_date <= scored.as_of_date + {HORIZON_DAYS}, false)
                   as renewal_cohort
        from scored
        asof inner join bands
            on scored.lifecycle_stage = bands.lifecycle_stage and scored.health_score >= bands.min_score
        left join {scorecard.OUTCOMES} as o on scored.contract_id = o.contract_id
        where scored.health_score is not null
        order by scored.health_score, scored.account_id""").to_arrow_table()
    score = table.column("health_score").to_numpy()
    churned = table.column("churned").to_numpy(zero_copy_only=False).astype(bool)
    cohort = table.column("renewal_cohort").to_numpy(zero_copy_only=False).astype(bool)
    band = table.column("band").to_numpy(zero_copy_only=False)
    result = {"examples": len(score), "churned": int(churned.sum())}
    result["auc"] = _auc(churned, score)
    result["renewal_auc"] = _auc(churned[cohort], score[cohort])
    top = math.ceil(len(score) / 10)   # rows are sorted riskiest (lowest score) first
    result["top_decile_lift"] = (churned[:top].mean() / churned.mean()) if churned.any() else None
    for name in ("red", "yellow", "green"):
        in_band = band == name
        result[f"churn_{name}"] = churned[in_band].mean() if in_band.any() else None
    return result


def _auc(churned: np.ndarray, score: np.ndarray) -> float | None:
    if churned.all() or not churned.any():
        return None
    return float(roc_auc_score(churned, -score))   # lower score = riskier


def _seed_weights_sql(version: str) -> str:
    return f"""select days.as_of_date, w.lifecycle_stage, w.component, cast(w.weight as double) as weight
               from (select distinct as_of_date from scorecard_examples) as days
               cross join seeds.health_score_weights as w where w.scorecard_version = '{version}'"""


def _version_weights_sql(version: str) -> str:
    return f"""select days.as_of_date, w.lifecycle_stage, w.component, w.weight
               from (select distinct as_of_date from scorecard_examples) as days
               cross join {scorecard.TABLE} as w where w.scorecard_version = '{version}'"""


def _walk_forward_weights_sql(base: str) -> str:
    """Each example day with the learned version in force on it, else the seed."""
    return f"""
        with days as (select distinct as_of_date from scorecard_examples),
        versions as (select distinct scorecard_version, effective_from from {scorecard.TABLE}
                     where base_scorecard_version = '{base}'),
        in_force as (select days.as_of_date, versions.scorecard_version from days
                     asof left join versions on days.as_of_date >= versions.effective_from)
        select in_force.as_of_date, w.lifecycle_stage, w.component, w.weight
        from in_force inner join {scorecard.TABLE} as w on w.scorecard_version = in_force.scorecard_version
        union all
        select in_force.as_of_date, s.lifecycle_stage, s.component, cast(s.weight as double)
        from in_force inner join seeds.health_score_weights as s on s.scorecard_version = '{base}'
        where in_force.scorecard_version is null"""


def report(con: duckdb.DuckDBPyConnection, settings: scorecard.ScorecardSettings | None = None) -> dict:
    """Before/after figures: {'unseen': {...}, 'walk_forward': {...}} of seed vs learned."""
    found = latest_version(con)
    if found is None:
        raise LookupError(f"{scorecard.TABLE} holds no scorecard yet: run the pipeline (or the learning assets)")
    version, base, effective_from = found
    scorecard.load_examples(con, settings or scorecard.ScorecardSettings())
    seen_to = con.execute(f"select max(training_to) from {scorecard.TABLE} where scorecard_version = ?",
                          [version]).fetchall()[0][0]
    since = seen_to or effective_from - dt.timedelta(days=HORIZON_DAYS + scorecard.labels.DEFAULT_GRACE_DAYS)
    return {
        "version": version, "base": base, "unseen_after": since,
        "unseen": {"seed": _evaluation(con, _seed_weights_sql(base), since),
                   "proposal": _evaluation(con, _version_weights_sql(version), since)},
        "walk_forward": {"seed": _evaluation(con, _seed_weights_sql(base), None),
                         "learned": _evaluation(con, _walk_forward_weights_sql(base), None)},
    }


def write_seed_rows(con: duckdb.DuckDBPyConnection, seeds_dir: Path, name: str) -> int:
    """Append the latest version's weights as seed version `name` (with copies of its base
    version's component targets and band thresholds); returns the weight rows written."""
    version, base, _ = latest_version(con)
    seeds_dir = Path(seeds_dir)
    existing = {row["scorecard_version"] for row in _read(seeds_dir / "health_score_weights.csv")}
    if name in existing:
        raise ValueError(f"seed scorecard version {name!r} already exists in {seeds_dir}")
    weights = con.execute(f"""select lifecycle_stage, component, weight from {scorecard.TABLE}
                              where scorecard_version = ? order by lifecycle_stage, component""",
                          [version]).fetchall()
    _append(seeds_dir / "health_score_weights.csv",
            [{"scorecard_version": name, "lifecycle_stage": s, "component": c, "weight": f"{w:.4f}"}
             for s, c, w in weights])
    for file in SEED_FILES[1:]:
        rows = [r for r in _read(seeds_dir / file) if r["scorecard_version"] == base]
        _append(seeds_dir / file, [{**r, "scorecard_version": name} for r in rows])
    return len(weights)


def _read(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _append(path: Path, rows: list[dict]) -> None:
    with path.open(newline="", encoding="utf-8") as handle:
        fields = next(csv.reader(handle))
    text = path.read_text(encoding="utf-8")
    with path.open("a", newline="", encoding="utf-8") as handle:
        if text and not text.endswith("\n"):
            handle.write("\n")
        csv.DictWriter(handle, fieldnames=fields, lineterminator="\n").writerows(rows)


def format_report(figures: dict, name: str) -> str:
    def cell(value) -> str:
        return "-" if value is None else f"{value:.3f}"
    lines = [f"proposal {name}: {figures['version']} (fit walk-forward on seed {figures['base']})"]
    for section, title in (("unseen", f"example days after {figures['unseen_after']} (not seen by the proposal)"),
                           ("walk_forward", "every example day, each scored by the version in force that day")):
        lines.append(f"\n{title}:")
        lines.append(f"{'':10} {'examples':>9} {'churned':>8} {'AUC':>6} {'renewal AUC':>12} {'lift@10%':>9} "
                     f"{'churn red':>10} {'yellow':>7} {'green':>7}")
        for label, f in figures[section].items():
            lines.append(f"{label:10} {f['examples']:>9} {f['churned']:>8} {cell(f['auc']):>6} "
                         f"{cell(f['renewal_auc']):>12} {cell(f['top_decile_lift']):>9} {cell(f['churn_red']):>10} "
                         f"{cell(f['churn_yellow']):>7} {cell(f['churn_green']):>7}")
    return "\n".join(lines)
