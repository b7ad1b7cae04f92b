"""The `cs360` console script (contract section 1)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cs360_core.settings import load_dotenv, resolve_home

STAGES = ("ingest", "transform", "sync", "all")


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--home", help="state folder (env CS360_HOME, default ./.cs360)")

    parser = argparse.ArgumentParser(prog="cs360", description="Customer-success data platform.", parents=[common])
    commands = parser.add_subparsers(dest="command", required=True)

    world = commands.add_parser("world", parents=[common], help="write a synthetic customer world")
    world.add_argument("--size", default="S", choices=["XS", "S", "M", "L"])
    world.add_argument("--seed", type=int, default=42)
    world.add_argument("--out", type=Path, required=True)
    world.add_argument("--mechanism", default="health",
                       choices=["health", "price", "feature_fade", "seasonal", "sponsor"],
                       help="why customers churn (default: their hidden health; see sandbox/world/mechanisms.py)")
    world.add_argument("--lms-vendor", default="generic", choices=["generic", "skilljar", "thinkific"],
                       help="which LMS the sandbox serves the training data as (default: the generic API)")
    world.add_argument("--survey-vendor", default="generic", choices=["generic", "delighted", "typeform"],
                       help="the survey tool the sandbox serves the NPS answers from (default: the generic API)")

    sandbox = commands.add_parser("sandbox", parents=[common], help="serve the vendor API doubles for a world")
    sandbox.add_argument("--world", type=Path, required=True)
    sandbox.add_argument("--salesforce-port", type=int, default=8443)
    sandbox.add_argument("--hubspot-port", type=int, default=8444)

    demo = commands.add_parser("demo", parents=[common], help="world → sandbox → the Dagster job, with a summary")
    demo.add_argument("--size", default="S", choices=["XS", "S", "M", "L"])
    demo.add_argument("--seed", type=int, default=42)
    demo.add_argument("--world", type=Path)

    run = commands.add_parser("run", parents=[common], help="run stages against the configured endpoints")
    run.add_argument("stage", nargs="?", default="all", choices=STAGES)

    sync = commands.add_parser("sync", parents=[common], help="reverse ETL only")
    sync.add_argument("--target", choices=["salesforce", "hubspot"])
    sync.add_argument("--dry-run", action="store_true", help="print the planned changes, write nothing")
    sync.add_argument("--full-resync", action="store_true", help="send every row, ignoring the diff state")
    sync.add_argument("--force", action="store_true",
                      help="write even when a sync gate failed (needs --reason; recorded in reverse_etl.sync_runs)")
    sync.add_argument("--reason", help="why the failed gates are overridden (with --force)")

    commands.add_parser("status", parents=[common], help="last runs, freshness, sync state")

    serve = commands.add_parser("serve", parents=[common], help="the customer pages, renewal board and portfolio")
    serve.add_argument("--host", default="127.0.0.1",
                       help="bind address (default loopback; any other needs CS360_WEB_TOKEN)")
    serve.add_argument("--port", type=int, default=8360)

    scorecard = commands.add_parser("scorecard", parents=[common], help="the learned health scorecard")
    scorecard_commands = scorecard.add_subparsers(dest="scorecard_command", required=True)
    propose = scorecard_commands.add_parser(
        "propose", parents=[common], help="write the latest learned scorecard as seed rows, with a before/after report")
    propose.add_argument("--out", type=Path, default=Path("dbt_project/seeds"), help="the seeds folder to append to")
    propose.add_argument("--name", help="the new seed scorecard_version (default <latest fit>-proposed)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    home = resolve_home(args.home)
    load_dotenv(home)
    try:
        return COMMANDS[args.command](args, home)
    except ModuleNotFoundError as missing:
        if args.command not in SANDBOX_COMMANDS or (missing.name or "").split(".")[0] not in SANDBOX_MODULES:
            raise
        print(f"cs360 {args.command} needs the sandbox extra ({missing.name} is not installed): "
              "pip install 'cs360[sandbox]'", file=sys.stderr)
        return 2


# The world generator and the vendor doubles are the `cs360[sandbox]` extra: these commands
# import them when they run, and say how to install them when they are missing.
SANDBOX_COMMANDS = ("world", "sandbox", "demo")
SANDBOX_MODULES = ("sandbox", "werkzeug", "trustme")


def _world(args, home) -> int:
    from sandbox.world.generator import generate_world

    meta = generate_world(args.out, size=args.size, seed=args.seed, progress=print, mechanism=args.mechanism,
                          lms_vendor=args.lms_vendor, survey_vendor=args.survey_vendor)
    print(f"world {meta['size']} (seed {meta['seed']}, as of {meta['as_of']}, "
          f"churn mechanism {meta.get('mechanism', 'health')}, LMS {meta.get('lms_vendor', 'generic')}, "
          f"surveys {meta.get('survey_vendor', 'generic')}) written to {args.out}")
    return 0


def _sandbox(args, home) -> int:
    from sandbox.doubles.server import PortTaken, serve_forever

    try:
        serve_forever(args.world, home.sandbox_dir,
                      ports={"salesforce": args.salesforce_port, "hubspot": args.hubspot_port})
    except PortTaken as taken:
        print(taken, file=sys.stderr)
        return 1
    return 0


def _demo(args, home) -> int:
    from cs360.demo import run_demo
    from cs360_core.warehouse_lock import WarehouseLocked
    from sandbox.doubles.process import SandboxStartError

    try:
        return run_demo(home, size=args.size, seed=args.seed, world=args.world)
    except (WarehouseLocked, SandboxStartError) as reason:  # another process holds the warehouse: say who, no traceback
        print(reason, file=sys.stderr)
        return 1


def _run(args, home) -> int:
    from cs360.runner import NothingToRun, run_stage
    from cs360_core.warehouse_lock import WarehouseLocked

    try:
        stage = run_stage(home, args.stage)
    except (NothingToRun, WarehouseLocked) as reason:
        print(reason, file=sys.stderr)
        return 1
    for step, message in stage.failures().items():
        print(f"failed step: {step}" + (f": {message}" if message else ""), file=sys.stderr)
    print(f"{stage.job_name}: {'succeeded' if stage.success else 'FAILED'}")
    return 0 if stage.success else 1


def _sync(args, home) -> int:
    """The `cs360_sync` job the daily run ends with: each CRM (or the one named), then the
    alert webhook when no target is named. A destination without credentials is skipped
    with one line (an error when named); a dry run needs none. The flags are run config."""
    from cs360.runner import NothingToRun, run_stage
    from cs360_core.warehouse_lock import WarehouseLocked
    from orchestration.defs.alerts import ALERT_WEBHOOK_KEY
    from orchestration.defs.crm_sync import SYNC_ASSET_KEYS
    from orchestration.systems import SYSTEMS, unconfigured

    if args.force != bool(args.reason and args.reason.strip()):
        print("--force and --reason \"...\" go together: an override of the sync gates must say why",
              file=sys.stderr)
        return 2
    targets = [args.target] if args.target else list(SYNC_ASSET_KEYS)
    only = [SYNC_ASSET_KEYS[target] for target in targets] + ([] if args.target else [ALERT_WEBHOOK_KEY])
    crm_systems = {system.name for system in SYSTEMS if system.crm_destination in targets}
    skipped = {} if args.dry_run else {name: line for name, line in unconfigured(SYSTEMS).items()
                                       if name in crm_systems}
    config = {"dry_run": args.dry_run, "full_resync": args.full_resync,
              "force_reason": args.reason.strip() if args.force else ""}
    step_config = {key: config for key in (SYNC_ASSET_KEYS[target] for target in targets)}
    step_config[ALERT_WEBHOOK_KEY] = {"dry_run": args.dry_run}
    tags = {"cs360/command": "sync", "cs360/dry_run": str(args.dry_run).lower()}
    if args.force:
        tags["cs360/force_reason"] = args.reason.strip()
    try:
        stage = run_stage(home, "sync", log_level="CRITICAL", only=only, step_config=step_config,
                          skipped=skipped, tags=tags)
    except (NothingToRun, WarehouseLocked) as reason:
        print(reason, file=sys.stderr)
        return 1
    for line in stage.step_messages({key.to_python_identifier() for key in only}):
        print(line)
    for message in stage.step_failures().values():
        print(message, file=sys.stderr)
    records_failed = sum(metadata.get("records_failed", 0) for metadata in stage.materialized().values())
    return 0 if stage.success and records_failed == 0 else 1


def _status(args, home) -> int:
    from cs360.status import print_status

    print_status(home)
    return 0


def _serve(args, home) -> int:
    from webapp.access import AccessNotConfigured
    from webapp.server import serve

    try:
        serve(home, host=args.host, port=args.port)
    except AccessNotConfigured as refused:
        print(refused, file=sys.stderr)
        return 2
    return 0


def _scorecard(args, home) -> int:
    from cs360_core import warehouse
    from learning import propose, scorecard

    with warehouse.working_copy(home, reads=(*scorecard.READS, "seeds", "marts.health_scores")) as con:
        try:
            figures = propose.report(con)
        except LookupError as missing:
            print(missing, file=sys.stderr)
            return 1
        name = args.name or f"{figures['version']}-proposed"
        print(propose.format_report(figures, name))
        try:
            written = propose.write_seed_rows(con, args.out, name)
        except ValueError as exists:
            print(exists, file=sys.stderr)
            return 1
    print(f"\n{written} weight rows of scorecard {name} appended to {args.out}; review, commit, and set the dbt "
          f"var scorecard_version: {name} to adopt it (docs/health-score.md)")
    return 0


COMMANDS = {"world": _world, "sandbox": _sandbox, "demo": _demo, "run": _run, "sync": _sync, "status": _status,
            "scorecard": _scorecard, "serve": _serve}


if __name__ == "__main__":
    sys.exit(main())
