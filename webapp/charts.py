"""Vega-Lite specs of the customer page, built with Altair once per process.

The specs name their data (`history`, `stages`, `thresholds`) instead of holding it, so a
page carries the rows once, and no spec is built or validated per request.
"""

from __future__ import annotations

from functools import cache

import altair as alt

BAND_COLORS = alt.Scale(domain=["red", "yellow", "green"], range=["#d64545", "#e0a800", "#2f9e44"])
STAGE_COLORS = alt.Scale(domain=["onboarding", "adoption", "renewal", "churned"],
                         range=["#e7f0fb", "#eef6ea", "#fdf3e1", "#eeeeee"])
WIDTH, HEIGHT = 640, 180


def _time_axis() -> alt.X:
    return alt.X("as_of_date:T", title=None, axis=alt.Axis(format="%b %Y"))


@cache
def _specs() -> dict[str, dict]:
    history = alt.Data(name="history")
    stages = alt.Chart(alt.Data(name="stages")).mark_rect(opacity=0.9).encode(
        x="start_date:T", x2="end_date:T",
        color=alt.Color("lifecycle_stage:N", scale=STAGE_COLORS, title="stage"),
        tooltip=["lifecycle_stage:N", "start_date:T", "end_date:T"])
    thresholds = alt.Chart(alt.Data(name="thresholds")).mark_rule(strokeDash=[4, 3]).encode(
        x="start_date:T", x2="end_date:T", y="min_score:Q",
        stroke=alt.Stroke("band:N", scale=BAND_COLORS, legend=None),
        tooltip=["band:N", "min_score:Q", "lifecycle_stage:N"])
    score = alt.Chart(history).mark_line(point=alt.OverlayMarkDef(size=10), color="#222").encode(
        x=_time_axis(),
        y=alt.Y("health_score:Q", title="health score", scale=alt.Scale(domain=[0, 100])),
        tooltip=["as_of_date:T", "health_score:Q", "health_band:N", "lifecycle_stage:N"])
    score_history = alt.layer(stages, thresholds, score).properties(width=WIDTH, height=HEIGHT, title="Health score")

    users = alt.Chart(history).transform_fold(["active_users_30d", "seats"], as_=["measure", "value"]).mark_line(
    ).encode(x=_time_axis(), y=alt.Y("value:Q", title="users"),
             color=alt.Color("measure:N", title=None, scale=alt.Scale(
                 domain=["active_users_30d", "seats"], range=["#1f77b4", "#999999"])),
             tooltip=["as_of_date:T", "measure:N", "value:Q"]
             ).properties(width=WIDTH, height=HEIGHT, title="Active users (30 days) and seats")
    utilization = alt.Chart(history).mark_area(line=True, opacity=0.3).encode(
        x=_time_axis(), y=alt.Y("utilization:Q", title="utilization", axis=alt.Axis(format="%")),
        tooltip=["as_of_date:T", alt.Tooltip("utilization:Q", format=".0%")]
    ).properties(width=WIDTH, height=HEIGHT, title="Utilization (active users / seats)")
    usage = alt.Chart(history).mark_line(color="#6f42c1").encode(
        x=_time_axis(), y=alt.Y("logins_30d:Q", title="logins (30 days)"),
        tooltip=["as_of_date:T", "logins_30d:Q"]
    ).properties(width=WIDTH, height=HEIGHT, title="Usage: logins over 30 days")
    return {name: chart.to_dict() for name, chart in
            {"score": score_history, "users": users, "utilization": utilization, "usage": usage}.items()}


def chart_specs() -> dict[str, dict]:
    """The page's charts without data; the page carries each dataset once, for all of them."""
    return _specs()
