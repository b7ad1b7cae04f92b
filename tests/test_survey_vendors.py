"""The survey vendor of a world (meta.json `survey_vendor`), the sandbox's exports for it, and
the dbt union of every survey tool, exact against the world after a real load of each."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from cs360.cli import _parser
from pipelines.delighted import delighted
from pipelines.surveys import surveys
from pipelines.typeform import typeform
from sandbox.doubles.server import Sandbox
from sandbox.world.format import WorldFormatError, read_meta, survey_vendor
from sandbox.world.generator import generate_world
from test_ingest_support import home, run_source, sandbox, world_rows  # noqa: F401  (fixtures)

REPO = Path(__file__).resolve().parents[1]
VENDOR_VARIABLES = {
    "generic": {"SURVEY_BASE_URL", "SURVEY_API_TOKEN"},
    "delighted": {"DELIGHTED_BASE_URL", "DELIGHTED_API_KEY"},
    "typeform": {"TYPEFORM_BASE_URL", "TYPEFORM_ACCESS_TOKEN", "TYPEFORM_FORM_IDS"},
}


def _world_served_by(tiny_world: Path, target: Path, vendor: str | None) -> Path:
    """The tiny world's files (linked), with meta.json naming `vendor` (or no vendor key)."""
    target.mkdir()
    for item in tiny_world.iterdir():
        if item.name != "meta.json":
            (target / item.name).symlink_to(item)
    meta = read_meta(tiny_world)
    meta.pop("survey_vendor", None)
    if vendor:
        meta["survey_vendor"] = vendor
    (target / "meta.json").write_text(json.dumps(meta))
    return target


def test_world_flag_records_the_vendor_and_only_a_non_default_one(tmp_path):
    args = _parser().parse_args(["world", "--out", str(tmp_path / "w"), "--survey-vendor", "typeform"])
    assert args.survey_vendor == "typeform"
    assert _parser().parse_args(["world", "--out", "w"]).survey_vendor == "generic"

    meta = generate_world(tmp_path / "w", size="XS", seed=7, survey_vendor="typeform")
    assert meta["survey_vendor"] == json.loads((tmp_path / "w" / "meta.json").read_text())["survey_vendor"] == "typeform"
    assert "survey_vendor" not in generate_world(tmp_path / "g", size="XS", seed=7)
    with pytest.raises(ValueError, match="unknown survey vendor 'qualtrics'"):
        generate_world(tmp_path / "q", size="XS", seed=7, survey_vendor="qualtrics")
    assert not (tmp_path / "q").exists()  # refused before anything is written
    assert survey_vendor({"as_of": "2026-10-31"}) == "generic"  # a world of another generator
    with pytest.raises(WorldFormatError, match="unknown survey vendor 'x'"):
        survey_vendor({"survey_vendor": "x"})


@pytest.mark.parametrize("vendor", [None, "generic", "delighted", "typeform"])
def test_sandbox_exports_the_world_s_survey_vendor_only(tiny_world, tmp_path, vendor):
    world = _world_served_by(tiny_world, tmp_path / "world", vendor)
    with Sandbox(world, tmp_path / "state") as running:
        exported = set(running.env)
    expected = vendor or "generic"
    assert VENDOR_VARIABLES[expected] <= exported
    for other, names in VENDOR_VARIABLES.items():
        if other != expected:
            assert not names & exported


def test_union_models_hold_every_vendor_s_answers_exactly(sandbox, home, tiny_world, tmp_path, monkeypatch):
    for vendor in ("delighted", "typeform"):
        for key, value in sandbox.survey_env(vendor).items():  # undone after the test: no later
            monkeypatch.setenv(key, value)  # module in this worker may see this sandbox's ports
    for source in (surveys, delighted, typeform):
        run_source(source, home)
    env = {**os.environ, "CS360_HOME": str(home.root), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    selection = ["int_surveys__responses_unioned", "int_surveys__invitations_unioned", "int_surveys__people"]
    result = subprocess.run(
        [sys.executable, "-c", "import sys; from dbt.cli.main import cli; sys.exit(cli())", "run",
         "--select", *[f"+{name}" for name in selection], "--project-dir", str(REPO / "dbt_project"),
         "--profiles-dir", str(REPO / "dbt_project"), "--target-path", str(tmp_path / "target"),
         "--log-path", str(tmp_path / "logs")],
        env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-4000:]

    answers, invitations = world_rows(tiny_world, "survey_responses"), world_rows(tiny_world, "survey_invitations")
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        per_vendor = {row[0]: row[1:] for row in con.execute(
            "select survey_vendor, count(*), count(distinct response_id), sum(score), count(comment) "
            "from intermediate.int_surveys__responses_unioned group by 1").fetchall()}
        emails = {vendor: Counter(e for (e,) in con.execute(
            "select email from intermediate.int_surveys__responses_unioned where survey_vendor = ?", [vendor]).fetchall())
            for vendor in per_vendor}
        ids = dict(con.execute("select survey_vendor, min(response_id) from intermediate.int_surveys__responses_unioned "
                               "group by 1").fetchall())
        sent = con.execute("select survey_vendor, count(*) from intermediate.int_surveys__invitations_unioned "
                           "group by 1").fetchall()
        people = con.execute("select count(*) from intermediate.int_surveys__people").fetchone()[0]
        surveys_of = dict(con.execute("select survey_vendor, count(distinct survey) "
                                      "from intermediate.int_surveys__responses_unioned group by 1").fetchall())
    world = (len(answers), len(answers), sum(int(r["score"]) for r in answers), sum(1 for r in answers if r["comment"]))
    assert per_vendor == {"generic": world, "delighted": world, "typeform": world}
    normalized = Counter(r["email"].strip().lower() for r in answers)
    assert emails == {"generic": normalized, "delighted": normalized, "typeform": normalized}
    assert ids["delighted"].startswith("delighted:") and ids["typeform"].startswith("typeform:")
    assert ids["generic"].startswith("RSP-")
    assert sent == [("generic", len(invitations))]
    assert people == len({r["email"].strip().lower() for r in invitations + answers})
    assert surveys_of == {"generic": 3, "delighted": 1, "typeform": 3}
