"""The LMS vendor of a world (meta.json lms_vendor), the sandbox's exports for it, and the
union of every connected LMS in int_training__lms_enrollments, exact against the world."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_ingest_support import home, query, run_source, world_rows  # noqa: F401  (fixtures)

from cs360.cli import _parser
from pipelines.skilljar import skilljar
from pipelines.thinkific import thinkific
from pipelines.training import training
from sandbox.doubles.server import Sandbox
from sandbox.world.format import WorldFormatError, lms_vendor, read_meta
from sandbox.world.generator import generate_world

PROJECT = Path(__file__).resolve().parents[1] / "dbt_project"
VENDOR_VARIABLES = {
    "generic": {"LMS_BASE_URL", "LMS_API_TOKEN"},
    "skilljar": {"SKILLJAR_BASE_URL", "SKILLJAR_API_KEY", "SKILLJAR_DOMAIN"},
    "thinkific": {"THINKIFIC_BASE_URL", "THINKIFIC_API_KEY", "THINKIFIC_SUBDOMAIN"},
}


def world_with_vendor(tiny_world: Path, tmp_path: Path, vendor: str | None) -> Path:
    world = tmp_path / f"world-{vendor}"
    shutil.copytree(tiny_world, world)
    meta = json.loads((world / "meta.json").read_text())
    meta.pop("lms_vendor", None)
    if vendor:
        meta["lms_vendor"] = vendor
    (world / "meta.json").write_text(json.dumps(meta))
    return world


@pytest.mark.parametrize("vendor", [None, "generic", "skilljar", "thinkific"])
def test_the_sandbox_serves_and_exports_the_worlds_lms(tiny_world, tmp_path, vendor):
    world = world_with_vendor(tiny_world, tmp_path, vendor)

    with Sandbox(world, tmp_path / "sandbox") as sandbox:
        exported = {k for k in sandbox.env if k.split("_")[0] in ("LMS", "SKILLJAR", "THINKIFIC")}
        assert exported == VENDOR_VARIABLES[vendor or "generic"]
        assert sandbox.lms.vendor == {"generic": "lms", None: "lms"}.get(vendor, vendor)


def test_the_world_flag_is_recorded_only_when_not_the_default(tmp_path):
    assert _parser().parse_args(["world", "--out", "w", "--lms-vendor", "skilljar"]).lms_vendor == "skilljar"
    assert _parser().parse_args(["world", "--out", "w"]).lms_vendor == "generic"
    with pytest.raises(SystemExit):
        _parser().parse_args(["world", "--out", "w", "--lms-vendor", "moodle"])
    with pytest.raises(ValueError, match="unknown LMS vendor"):
        generate_world(tmp_path / "bad", size="XS", lms_vendor="moodle")
    assert not (tmp_path / "bad").exists()
    assert lms_vendor({"as_of": "2026-01-01"}) == "generic"
    with pytest.raises(WorldFormatError, match="lms_vendor"):
        lms_vendor({"lms_vendor": "moodle"})


def test_generated_world_names_its_vendor(tmp_path):
    generate_world(tmp_path / "w", size="XS", seed=3, lms_vendor="thinkific")
    assert read_meta(tmp_path / "w")["lms_vendor"] == "thinkific"


@pytest.mark.slow  # three loads and a dbt build: about 40 s on 2 cores
def test_int_training_unions_every_lms_exactly(tiny_world, tmp_path, home, monkeypatch):
    for vendor, source in (("generic", training), ("skilljar", skilljar), ("thinkific", thinkific)):
        with Sandbox(tiny_world, tmp_path / f"sandbox-{vendor}", lms_vendor=vendor) as sandbox:
            for key, value in sandbox.env.items():
                monkeypatch.setenv(key, value)
            run_source(source, home)
    env = {**os.environ, "CS360_HOME": str(home.root), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    result = subprocess.run(
        [sys.executable, "-c", "import sys; from dbt.cli.main import cli; sys.exit(cli())", "build",
         "--select", "+int_training__lms_enrollments", "--project-dir", str(PROJECT), "--profiles-dir", str(PROJECT),
         "--target-path", str(tmp_path / "dbt" / "target"), "--log-path", str(tmp_path / "dbt" / "logs")],
        env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-4000:]

    enrollments, courses = world_rows(tiny_world, "enrollments"), world_rows(tiny_world, "courses")
    kind_of = {c["course_id"]: c["kind"] for c in courses}
    completed_pairs: dict[tuple[str, str], bool] = {}
    for row in enrollments:
        key = (row["email"].strip().lower(), row["course_id"])
        completed_pairs[key] = completed_pairs.get(key, False) or bool(row["completed_at"])
    by_lms = {lms: (n, completed, attended) for lms, n, completed, attended in query(home, """
        select lms, count(*), count(completed_at), count(attended_at)
        from intermediate.int_training__lms_enrollments group by lms""")}
    completions = sum(1 for e in enrollments if e["completed_at"])
    attended = sum(1 for e in enrollments if e["attended_at"])
    assert by_lms == {"generic": (len(enrollments), completions, attended),
                      "skilljar": (len(enrollments), sum(completed_pairs.values()), 0),
                      "thinkific": (len(enrollments), completions, attended)}
    kinds = {}
    for row in enrollments:
        kinds[kind_of[row["course_id"]]] = kinds.get(kind_of[row["course_id"]], 0) + 1
    for lms in ("generic", "skilljar", "thinkific"):
        assert dict(query(home, "select course_kind, count(*) from intermediate.int_training__lms_enrollments "
                                "where lms = ? group by 1", [lms])) == kinds
    # the same learners whatever the LMS (Skilljar lower-cases e-mails)
    emails = {lms: {e.lower() for (e,) in query(home, "select email from intermediate.int_training__lms_enrollments "
                                                      "where lms = ?", [lms])} for lms in by_lms}
    assert emails["generic"] == emails["skilljar"] == emails["thinkific"]
    assert query(home, "select count(*) from intermediate.int_training__lms_enrollments "
                       "where lms <> 'generic' and enrollment_id not like lms || ':%'") == [(0,)]
