"""Screenshot of the Dagster UI's global asset lineage (docs/screenshots/asset-graph.png).

Run `make dev` (or `dagster dev -w workspace.yaml -p 3333`) after `make demo`, then, with
Debian's chromium and the `playwright` package (its bundled driver, not its browsers):

    python docs/screenshots/take_asset_graph.py http://127.0.0.1:3333 docs/screenshots/asset-graph.png
"""

import sys

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
ZOOM_OUT_STEPS = 2
QUIET_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
               "--disable-component-update", "--disable-sync"]


def main(url: str, out: str) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=QUIET_FLAGS)
        page = browser.new_page(viewport={"width": 3000, "height": 2600})
        page.goto(url + "/asset-groups")
        page.wait_for_timeout(6000)
        if page.get_by_role("button", name="Skip").count():  # first-visit community dialog
            page.get_by_role("button", name="Skip").click()
        # "Expand all groups" (Alt+E) is a toggle kept in the browser; after a reload the
        # graph fits itself to the page. Repeat until the expanded graph is what loads.
        for _ in range(3):
            if page.get_by_text("crm_account_health").count():
                break
            page.mouse.click(1500, 300)
            page.keyboard.press("Alt+e")
            page.wait_for_timeout(2500)
            page.reload()
            page.wait_for_timeout(6000)
        page.mouse.move(1500, 1300)
        page.keyboard.down("Control")  # ctrl + wheel zooms: fit the whole expanded graph
        for _ in range(ZOOM_OUT_STEPS):
            page.mouse.wheel(0, 40)
            page.wait_for_timeout(300)
        page.keyboard.up("Control")
        page.wait_for_timeout(1000)
        page.screenshot(path=out)
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
