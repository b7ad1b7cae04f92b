"""Sync gate condition on the churn model: is its probability fit to be written to the CRMs?

Judged on walk-forward figures only (learning.model_versions.validation_*: each version's
own predictions on the days it scored, once their outcome is known), never on the data a
version was fit on. The latest version with enough churned accounts in its validation is
the one judged. No model at all passes: the CRM then receives null with a reason, which is
honest; a model that no longer ranks churners fails and blocks the sync.
"""

from __future__ import annotations

import duckdb

MIN_MODEL_AUC = 0.75            # walk-forward AUC a version must reach to be sent to CSMs
MIN_CHURNED_FOR_MODEL_AUC = 5   # with fewer churned accounts in its validation, the AUC is noise


def model_predicts_churn(con: duckdb.DuckDBPyConnection) -> tuple[bool, str, dict]:
    """(passed, one-line reason, metadata) for the gate `model_predicts_churn`."""
    exists = con.execute(
        "select count(*) from information_schema.tables where table_schema = 'learning' "
        "and table_name = 'model_versions'").fetchall()[0][0]
    if not exists:
        return True, "no churn model fit yet: the CRMs get a null churn risk", {"auc": "no model yet"}
    rows = con.execute(
        "select model_version, validation_auc, validation_n, validation_churned from learning.model_versions "
        "where validation_auc is not null and validation_churned >= ? order by fit_date desc limit 1",
        [MIN_CHURNED_FOR_MODEL_AUC]).fetchall()
    if not rows:
        note = f"no churn model version with {MIN_CHURNED_FOR_MODEL_AUC}+ churned accounts in its validation yet"
        return True, note, {"auc": note}
    version, auc, n, churned = rows[0]
    passed = auc >= MIN_MODEL_AUC
    reason = f"churn model {version} has walk-forward AUC {auc:.3f}; at least {MIN_MODEL_AUC} needed"
    return passed, reason, {"model_version": version, "auc": round(float(auc), 4), "pairs": int(n),
                            "churned": int(churned)}
