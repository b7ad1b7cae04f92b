"""The published copy of the marts, refreshed as the last step after the marts are built.

Readers (the web app, analysts' SQL tools, BI tools) open `<home>/published/cs360.duckdb`,
never the warehouse: see cs360_core/published.py.
"""

from collections.abc import Iterable

from dagster import AssetExecutionContext, AssetKey, AssetsDefinition, MaterializeResult, asset

from cs360_core.settings import Home
from orchestration.automation import DOWNSTREAM_AUTOMATION, DUCKDB_WRITER_POOL
from orchestration.translator import OWNER
from cs360_core.published import publish_marts

PUBLISHED_MARTS_KEY = AssetKey(["published", "marts"])


def publish_assets(home: Home, upstream_keys: Iterable[AssetKey]) -> list[AssetsDefinition]:
    marts = sorted({key for key in upstream_keys if key.path[0] == "marts"}, key=lambda key: key.to_user_string())

    @asset(
        key=PUBLISHED_MARTS_KEY,
        deps=marts,
        group_name="transform",
        owners=[OWNER],
        kinds={"duckdb"},
        automation_condition=DOWNSTREAM_AUTOMATION,
        description=("Read-only copy of every marts table at <home>/published/cs360.duckdb, replaced atomically "
                     "at the end of a run: what cs360 serve, analysts and BI tools open, so no reader ever "
                     "blocks a run."),
        pool=DUCKDB_WRITER_POOL,  # reads the warehouse: it must not overlap a writer
    )
    def published_marts(context: AssetExecutionContext) -> MaterializeResult:
        published = publish_marts(home, run_id=context.run_id)
        context.log.info(f"published {published.tables} tables ({published.rows} rows) to {published.path} "
                         f"in {published.seconds:.1f} s")
        return MaterializeResult(metadata={
            "path": str(published.path), "tables": published.tables, "dagster/row_count": published.rows,
            "refreshed_at": published.refreshed_at.isoformat(), "seconds": round(published.seconds, 2)})

    return [published_marts]
