"""Regenerate the report screenshots of docs/auditor-guide.md (docs/images/report-*.png).

Builds the report of the reference policy on the bundled NHS data as of 2026-01-01 with a yearly
timeline from 2016-01-01, opens it from file:// in the system Chromium (Playwright) and saves one
screenshot per page type.  Run from the repository root:

    PYTHONPATH=engine python3 tests/report/screenshots.py [--site build/report-nhs]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
IMAGES = ROOT / "docs" / "images"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PROVIDER = "RTH"  # Oxford University Hospitals


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--site", type=Path, default=ROOT / "build" / "report-nhs")
    ap.add_argument("--reuse", action="store_true", help="use an already built site")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT / "engine"))
    if not args.reuse:
        from credential.report import build_report
        from credential.resources import bundled_data_path, reference_policy_path

        s = build_report(
            args.site,
            reference_policy_path(),
            bundled_data_path(),
            start=dt.date(2016, 1, 1),
            end=dt.date(2026, 1, 1),
            every="year",
        )
        print(f"built {s.pages} pages, {s.bytes / 1e6:.1f} MB in {s.seconds:.1f} s")
    from playwright.sync_api import sync_playwright

    IMAGES.mkdir(parents=True, exist_ok=True)
    site = args.site.resolve()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900}, device_scale_factor=1)

        def shot(path: str, name: str, prepare: str | None = None, full: bool = False) -> None:
            page.goto((site / path).as_uri())
            if prepare:
                page.evaluate(prepare)
            page.screenshot(path=str(IMAGES / name), full_page=full)
            print(IMAGES / name)

        shot("index.html", "report-overview.png")
        shot("index.html", "report-overview-charts.png", "document.getElementById('h-region').scrollIntoView()")
        shot(
            "providers.html",
            "report-providers-table.png",
            "const s = document.getElementById('f-subject'); s.value = 'credential:partner';"
            "s.dispatchEvent(new Event('change'));",
        )
        shot(f"providers/{PROVIDER}.html", "report-provider.png")
        shot(
            f"providers/{PROVIDER}.html",
            "report-provider-timeline.png",
            "document.getElementById('h-timeline').scrollIntoView()",
        )
        shot(
            f"providers/{PROVIDER}.html",
            "report-provider-proof.png",
            "const d = document.querySelector('#d-credential-partner details.proof'); d.open = true;"
            "d.querySelectorAll('details.node').forEach((n, i) => { if (i < 8) n.open = true; });"
            "document.getElementById('d-credential-partner').scrollIntoView()",
        )
        shot("rules/criterion-rated_good_overall.html", "report-rule.png")
        browser.close()


if __name__ == "__main__":
    main()
