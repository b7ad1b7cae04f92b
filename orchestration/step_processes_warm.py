"""Imported by the forkserver of a parallel run: builds the definitions once, before any
step process forks from it (orchestration/step_processes.py)."""

from orchestration.step_processes import definitions

definitions()
