"""The sync gates: is the warehouse's score fit to be written to the CRMs?

One function, `evaluate_gates`, judges the warehouse; every path that writes to a CRM asks
it first (the sync engine itself, so `cs360 sync`, `cs360 run sync` and the Dagster sync
assets alike), and the Dagster blocking checks on `marts/crm_account_health` report the
same results. A gate whose input is missing fails: an unjudged score is not sent.

| gate | fails when |
|---|---|
| `tenants_matched` | fewer than `MIN_TENANTS_MATCHED_SHARE` of product tenants resolve to an account |
| `band_mix_stable` | the red/yellow/green mix moved more than `MAX_BAND_SHIFT_PSI` in 7 days |
| `score_predicts_churn` | the latest 90-day churn AUC (with enough churned accounts) is below `MIN_VALIDATION_AUC` |
| `model_predicts_churn` | the churn model's walk-forward 90-day AUC over the evaluation dates is below `MIN_MODEL_AUC` |

`band_mix_stable` reads the dbt model `marts.health_band_stability`; both churn gates read
`marts.score_validation` (contract section 6).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from cs360_core.introspection import table_exists

MIN_TENANTS_MATCHED_SHARE = 0.80  # below this, the identity bridge is broken, not the customers
MAX_BAND_SHIFT_PSI = 0.50  # population stability index of bands vs 7 days before
MIN_VALIDATION_AUC = 0.60  # a score that no longer ranks churners is not sent to CSMs
MIN_CHURNED_FOR_AUC = 5  # with fewer churned accounts on a date, its AUC is noise
MIN_MODEL_AUC = 0.75  # walk-forward AUC a churn model version must reach to be sent to CSMs

GATES = ("tenants_matched", "band_mix_stable", "score_predicts_churn", "model_predicts_churn")


@dataclass(frozen=True)
class GateResult:
    name: str
    passed: bool
    reason: str                      # one line, for logs, errors and sync_runs
    metadata: dict = field(default_factory=dict)


def tenants_matched(con: duckdb.DuckDBPyConnection) -> GateResult:
    name = "tenants_matched"
    if not table_exists(con, "marts", "identity_bridge"):
        return GateResult(name, False, "marts.identity_bridge does not exist, so tenant matching cannot be judged")
    matched, total = con.execute(
        "select count(account_id), count(*) from marts.identity_bridge where source_system = 'product'"
    ).fetchone()
    if total == 0:  # no product source (or no tenants yet): nothing to mismatch
        return GateResult(name, True, "no product tenants in the warehouse: nothing to match",
                          {"tenants": 0, "matched": 0})
    share = matched / total
    passed = share >= MIN_TENANTS_MATCHED_SHARE
    reason = (f"{matched} of {total} product tenants ({share:.0%}) resolve to an account; "
              f"at least {MIN_TENANTS_MATCHED_SHARE:.0%} needed")
    return GateResult(name, passed, reason, {"tenants": total, "matched": matched, "share": round(share, 4)})


def band_mix_stable(con: duckdb.DuckDBPyConnection) -> GateResult:
    """Judged on the latest day of `marts.health_band_stability`, the dbt model that computes
    the population stability index of the bands against 7 days before."""
    name = "band_mix_stable"
    if not table_exists(con, "marts", "health_band_stability"):
        return GateResult(name, False, "marts.health_band_stability does not exist, so the band mix cannot be judged")
    row = con.execute(
        "select band_psi from marts.health_band_stability order by as_of_date desc limit 1").fetchone()
    psi = None if row is None else row[0]
    if psi is None:
        return GateResult(name, True, "no band mix 7 days earlier to compare with yet", {"psi": "no history yet"})
    passed = psi <= MAX_BAND_SHIFT_PSI
    return GateResult(name, passed, f"the band mix moved by PSI {psi:.3f} in 7 days; at most {MAX_BAND_SHIFT_PSI} "
                      "allowed", {"psi": round(psi, 4)})


def score_predicts_churn(con: duckdb.DuckDBPyConnection) -> GateResult:
    name = "score_predicts_churn"
    if not table_exists(con, "marts", "score_validation"):
        return GateResult(name, True, "no validation table yet", {"auc": "no validation table yet"})
    row = con.execute(
        "select auc, evaluated_on, n_accounts, n_churned from marts.score_validation "
        "where scope = 'date' and model = 'health_score' and horizon_days = 90 and auc is not null "
        "and n_churned >= ? order by evaluated_on desc limit 1", [MIN_CHURNED_FOR_AUC]
    ).fetchone()
    if row is None:  # too few churners for an AUC that means anything: nothing to judge yet
        note = f"no evaluation date with {MIN_CHURNED_FOR_AUC}+ churned accounts yet"
        return GateResult(name, True, note, {"auc": note})
    auc, evaluated_on, n_accounts, n_churned = row
    passed = auc >= MIN_VALIDATION_AUC
    return GateResult(name, passed, f"the 90-day churn AUC on {evaluated_on} is {float(auc):.3f}; at least "
                      f"{MIN_VALIDATION_AUC} needed", {"auc": round(float(auc), 4), "evaluated_on": str(evaluated_on),
                                                       "accounts": int(n_accounts), "churned": int(n_churned)})


def model_predicts_churn(con: duckdb.DuckDBPyConnection) -> GateResult:
    """Judged on walk-forward figures only: the pooled row of `marts.score_validation` for
    the churn model (every evaluation date rated by the version in force on it, fit only on
    outcomes known then). No model at all passes: the CRMs then get a null churn risk with
    its reason, which is honest."""
    name = "model_predicts_churn"
    if not table_exists(con, "marts", "score_validation"):
        return GateResult(name, True, "no validation table yet: the churn model is not judged",
                          {"auc": "no validation table yet"})
    row = con.execute(
        "select auc, n_accounts, n_churned, n_dates, first_evaluated_on, last_evaluated_on "
        "from marts.score_validation where scope = 'pooled' and model = 'churn_model' and horizon_days = 90 "
        "and auc is not null and n_churned >= ?", [MIN_CHURNED_FOR_AUC]).fetchone()
    if row is None:
        note = (f"no churn model predictions with {MIN_CHURNED_FOR_AUC}+ churned accounts on the evaluation "
                "dates yet")
        return GateResult(name, True, note, {"auc": note})
    auc, n, churned, n_dates, first, last = row
    latest = con.execute(
        "select model_version, auc from marts.score_validation where scope = 'version' and model = 'churn_model' "
        "and horizon_days = 90 order by last_evaluated_on desc, model_version desc limit 1").fetchone()
    metadata = {"auc": round(float(auc), 4), "pairs": int(n), "churned": int(churned), "dates": int(n_dates),
                "evaluated_from": str(first), "evaluated_to": str(last)}
    if latest is not None:
        metadata["latest_version"] = latest[0]
        metadata["latest_version_auc"] = round(float(latest[1]), 4) if latest[1] is not None else "no AUC"
    return GateResult(name, auc >= MIN_MODEL_AUC,
                      f"the churn model's walk-forward AUC over {n_dates} evaluation dates ({first} to {last}) is "
                      f"{auc:.3f}; at least {MIN_MODEL_AUC} needed", metadata)


GATE_FUNCTIONS = {"tenants_matched": tenants_matched, "band_mix_stable": band_mix_stable,
                  "score_predicts_churn": score_predicts_churn, "model_predicts_churn": model_predicts_churn}


def evaluate_gates(con: duckdb.DuckDBPyConnection) -> list[GateResult]:
    """Every gate, judged on the warehouse behind `con` (read only)."""
    return [GATE_FUNCTIONS[name](con) for name in GATES]


def failed_gates(results: list[GateResult]) -> list[GateResult]:
    return [r for r in results if not r.passed]

