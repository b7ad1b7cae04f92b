"""The CRM activity history of a world (`activities.csv`): calls, meetings, e-mails, notes
and tasks logged by each account's CSM in the CRM the account lives in.

Plausible, not a give-away:

* every CSM has a diligence of their own (how much they log, independent of health), so a
  quiet account is often just a busy CSM's;
* routine touches follow the hidden health: a healthy account gets more meetings and its
  executives take part more often, a declining one is touched less;
* a struggling account also draws escalation calls and meetings (firefighting), so
  "many touches" is not the same as "healthy";
* a renewal review meeting before most contract ends, more likely for healthy accounts;
* Salesforce accounts log calls, e-mails and to-dos as tasks and meetings as events
  (kinds call, email, task, meeting); HubSpot accounts log calls, e-mails, meetings and
  notes;
* 3 % of the activities were deleted later (a duplicate, the wrong record): `deleted_at`.

It draws from its own random stream (the world's seed and "activities"), after every
other table, so the rest of a world stays byte for byte what it was without it.
"""

from __future__ import annotations

import zlib

import numpy as np
import pandas as pd

DAY = 86_400
EXECUTIVE_TITLES = ("CEO", "CTO", "COO", "CFO", "VP", "Head of", "Director", "Chief")
SUBJECTS = {
    "call": ["Check-in call", "Follow-up call on open questions", "Call about the rollout",
             "Usage review call", "Call with the admin"],
    "meeting": ["Quarterly business review", "Success plan review", "Onboarding workshop",
                "Roadmap session", "Executive sponsor meeting"],
    "email": ["Re: next steps", "Release notes and what they mean for you", "Follow-up from our call",
              "Training invitation", "Your usage this month"],
    "note": ["Account notes", "Notes from the customer call", "Stakeholder map updated"],
    "task": ["Send the success plan", "Prepare the usage report", "Follow up on the open ticket"],
}
ESCALATION_SUBJECTS = {"call": "Escalation call", "meeting": "Escalation meeting"}
RENEWAL_SUBJECT = "Renewal review"
# per CRM: the kinds its CSMs log for the routine share (call, meeting, email, internal)
INTERNAL_KIND = {"salesforce": "task", "hubspot": "note"}
DELETED_SHARE = 0.03


def is_executive(titles: np.ndarray) -> np.ndarray:
    """C-level, VP, head-of and director titles (the warehouse reads its rules from a seed)."""
    text = pd.Series(titles, dtype=object).fillna("").str.lower()
    pattern = r"\b(?:ceo|cto|coo|cfo|cio|cro|chief|vp|vice president|head of|director)\b"
    return text.str.contains(pattern, regex=True).to_numpy()


def activities_frame(world, seed: int) -> pd.DataFrame:
    """One row per activity, ordered by `occurred_at` (world: the generator's `_World`)."""
    rng = np.random.default_rng([int(seed), zlib.crc32(b"activities")])
    n, days = world.n, world.days
    csm = pd.Series(world.csm_email, dtype=object)
    codes, uniques = pd.factorize(csm)
    diligence = rng.lognormal(0.0, 0.45, len(uniques))[codes]  # per CSM, not per account
    alive = world._alive(np.arange(n)[:, None], days[None, :])
    weekday = (days + 3) % 7 < 5
    routine = alive * weekday * diligence[:, None] * (0.04 + 0.14 * world.p)
    escalation = alive * weekday * 0.05 * (1 - world.p) ** 2
    r_acc, r_d = np.nonzero(rng.random(routine.shape) < routine)
    e_acc, e_d = np.nonzero(rng.random(escalation.shape) < escalation)

    p_r = world.p[r_acc, r_d]
    u = rng.random(len(r_acc))
    share_meeting = 0.08 + 0.17 * p_r
    kind_ix = np.where(u < share_meeting, 1, np.where(u < share_meeting + 0.22, 0,
                                                      np.where(u < share_meeting + 0.67, 2, 3)))
    e_kind = np.where(rng.random(len(e_acc)) < 0.7, 0, 1)

    # renewal reviews 30-60 days before a contract ends, more often for healthy accounts
    review_day = world.k_end - rng.integers(30, 61, len(world.k_end))
    in_window = (review_day >= world.first_day) & (review_day <= world.last_day)
    rv_acc, rv_day = world.k_acc[in_window], review_day[in_window]
    held = world._alive(rv_acc, rv_day) & (rng.random(len(rv_acc)) < 0.35 + 0.5 * world._p_at(rv_acc, rv_day))
    rv_acc, rv_day = rv_acc[held], rv_day[held]

    acc = np.concatenate([r_acc, e_acc, rv_acc])
    day = np.concatenate([days[r_d], days[e_d], rv_day])
    kind_ix = np.concatenate([kind_ix, e_kind, np.ones(len(rv_acc), np.int64)])
    source = np.concatenate([np.zeros(len(r_acc)), np.ones(len(e_acc)), np.full(len(rv_acc), 2)])
    crm = world.crm[acc]
    kinds = np.array(["call", "meeting", "email", "internal"], dtype=object)[kind_ix]
    internal = kinds == "internal"
    kinds[internal] = np.where(crm[internal] == "salesforce", INTERNAL_KIND["salesforce"], INTERNAL_KIND["hubspot"])

    subject = np.empty(len(acc), dtype=object)
    pick = rng.random(len(acc))
    for kind, texts in SUBJECTS.items():
        mask = kinds == kind
        subject[mask] = np.array(texts, dtype=object)[(pick[mask] * len(texts)).astype(np.int64)]
    for kind, text in ESCALATION_SUBJECTS.items():
        subject[(source == 1) & (kinds == kind)] = text
    subject[source == 2] = RENEWAL_SUBJECT

    contact = _contacts(world, rng, acc, day, kinds, source)
    local_hour = rng.normal(13.0, 2.5, len(acc)) - world.tz[acc]  # working hours where the customer is
    occurred = day * DAY + np.mod((local_hour * 3600).astype(np.int64), DAY)
    occurred = np.minimum(occurred, world.horizon - 1)
    deleted = occurred + rng.exponential(10 * DAY, len(acc)).astype(np.int64)
    gone = (rng.random(len(acc)) < DELETED_SHARE) & (deleted < world.horizon)
    order = np.argsort(occurred, kind="stable")
    return pd.DataFrame({
        "activity_id": [f"ACT-{i:07d}" for i in range(1, len(acc) + 1)],
        "account_id": world.account_id[acc][order],
        "crm": crm[order],
        "kind": kinds[order],
        "subject": subject[order],
        "owner_email": world.csm_email[acc][order],
        "contact_id": contact[order],
        "occurred_at": _iso(occurred[order]),
        "deleted_at": np.where(gone, _iso(deleted), "")[order],
    })


def _contacts(world, rng, acc, day, kinds, source) -> np.ndarray:
    """Who took part: a contact of the account for calls, meetings and e-mails (an
    executive more often when the account is healthy), half of the notes and tasks."""
    m = len(acc)
    first = world.c_start[acc] + (rng.random(m) * world.c_count[acc]).astype(np.int64)
    second = world.c_start[acc] + (rng.random(m) * world.c_count[acc]).astype(np.int64)
    exec_first, exec_second = world.c_executive[first], world.c_executive[second]
    p = world._p_at(acc, day)
    wants_exec = rng.random(m) < np.where(source == 2, 0.3 + 0.5 * p, 0.1 + 0.4 * p)
    chosen = np.where(wants_exec == exec_first, first, np.where(wants_exec == exec_second, second, first))
    contact = world.c_id[chosen].astype(object)
    without = np.isin(kinds, ("note", "task")) & (rng.random(m) < 0.5)
    contact[without] = ""
    return contact


def _iso(sec: np.ndarray) -> np.ndarray:
    sec = np.asarray(sec, np.int64)
    return np.char.add(np.datetime_as_string(sec.astype("datetime64[s]"), unit="s"), "Z").astype(object)
