"""The retry policy of the tests: the production rules and backoff, with no real waiting
(each wait is still recorded in `policy.waits`) and a small budget, so a failure that
outlasts it ends a test in a few tries."""

from __future__ import annotations

from cs360_core.http import RetryPolicy


def fast_policy(**overrides) -> RetryPolicy:
    return RetryPolicy(**{"sleep": lambda seconds: None, "max_attempts": 5, "max_delay": 60.0, **overrides})
