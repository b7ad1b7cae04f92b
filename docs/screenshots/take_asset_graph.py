"""Screenshot of the Dagster UI's global asset lineage (docs/screenshots/asset-graph.png).

Run `make dev` (or `dagster dev -w workspace.yaml -p 3333`) after `make demo`, then, with
Debian's chromium and the `playwright` package (its bundled driver, not its browsers):

    python docs/screenshots/take_asset_graph.py http://127.0.0.1:3333 docs/screenshots/asset-graph.png
"""

import sys

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
QUIET_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
               "--disable-component-update", "--disable-sync"]


def main(url: str, out: str) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=QUIET_FLAGS)
        page = browser.new_page(viewport={"width": 2600, "height": 2300})
        page.goto(url + "/asset-groups")
        page.wait_for_timeout(6000)
        if page.get_by_role("button", name="Skip").count():  # first-visit community dialog
            page.get_by_role("button", name="Skip").click()
        page.mouse.click(1500, 300)  # focus the empty canvas, then "Expand all groups" (a toggle)
        for _ in range(2):
            if page.get_by_text("crm_account_health").count():
                break
            page.keyboard.press("Alt+e")
            page.wait_for_timeout(2500)
        page.reload()  # the expanded state is kept; on load the graph fits itself to the page
        page.wait_for_timeout(6000)
        page.screenshot(path=out)
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
