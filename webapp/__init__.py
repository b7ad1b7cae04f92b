"""`cs360 serve`: the customer pages, the renewal board and the portfolio, read from the
published copy of the marts (cs360_core/published.py)."""
