"""Screenshots of `cs360 serve` (docs/screenshots/customer-page.png, renewals.png, portfolio.png).

After `make demo` (an S world), run `cs360 serve`, then, with Debian's chromium and the
`playwright` package (its bundled driver, not its browsers):

    python docs/screenshots/take_customer_pages.py http://127.0.0.1:8360 C-000123 docs/screenshots
"""

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
QUIET_FLAGS = ["--disable-gpu", "--disable-quic", "--disable-background-networking", "--disable-component-update",
               "--disable-sync"]
PAGES = {"customer-page.png": "/accounts/{account}", "renewals.png": "/renewals?within=90&sort=mrr&order=desc",
         "portfolio.png": "/"}


def main(url: str, account: str, out: str) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=QUIET_FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900}, device_scale_factor=1)
        for name, path in PAGES.items():
            page.goto(url + path.format(account=account))
            if "/accounts/" in path:
                page.wait_for_selector("body[data-charts-ready='true']", timeout=30_000)
            page.screenshot(path=str(Path(out) / name), full_page=True)
        browser.close()


if __name__ == "__main__":
    main(*sys.argv[1:4])
