"""The cs360 code location, found by Dagster's defs-folder convention.

`dagster.load_from_defs_folder` (orchestration/definitions.py) loads every module of this
folder and merges the definitions each one declares. The other modules are builders
called here, because the definitions depend on the home (its `.env`, its dbt target)
and on the registry of systems, which are read when the code location loads.
"""

from dagster import Definitions, definitions


@definitions
def cs360_definitions() -> Definitions:
    from orchestration.definitions import load_definitions  # the assembly, kept in one place

    return load_definitions()
