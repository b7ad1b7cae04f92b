"""The layer below everything: the home folder and its settings, the environment (with the
home's `.env`), warehouse access under DuckDB's memory bound and the warehouse lock, and
questions about the warehouse's tables and columns; and the retry policy of every call to a
vendor (`http`).

It imports no other cs360 package; `pyproject.toml` (import-linter) keeps it that way.
"""
