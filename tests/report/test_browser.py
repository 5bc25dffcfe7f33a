"""The report in a real browser: the system Chromium driven by Playwright, pages opened from file://.

Checks what only a browser can: the overview's numbers against the decisions, proof sections that
open and close by mouse and by keyboard, the providers table's sorting and filtering, that every
link lands on a page (and anchor) that exists, no console errors, and an axe-core accessibility
audit of each page type (axe-core vendored in ``tests/fixtures/axe``).  Playwright's own browser
download is not used: ``.ci/run`` installs Debian's ``chromium``.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from credential import api
from credential.report import ReportSummary
from support.report_site import DATA, END, POLICY

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE = Path(__file__).resolve().parents[1] / "fixtures" / "axe" / "axe.min.js"

pytestmark = [
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs the system Chromium (.ci/run installs it)"),
    pytest.mark.slow,  # a browser per page type: the slow step
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture()
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("console", lambda m: errors.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)
    pg.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    pg.errors = errors
    yield pg
    context.close()


def url(site: Path, path: str) -> str:
    return (site / path).resolve().as_uri()


def test_overview_counts_equal_the_decisions(hand_site: tuple[Path, ReportSummary], page: Any) -> None:
    site, _ = hand_site
    page.goto(url(site, "index.html"))
    records = api.evaluate_api(POLICY, DATA, END).records
    totals = Counter(r.outcome.value for r in records)
    for outcome in ("granted", "refused", "undetermined"):
        shown = page.locator(f'[data-total="{outcome}"]').inner_text()
        assert shown == f"{totals[outcome]} {outcome}"
    # the per-credential table: every cell equals the count of those decisions
    by_subject = Counter((r.subject, r.outcome.value) for r in records)
    rows = page.locator("table.counts").first.locator("tbody tr")
    assert rows.count() == 3
    for i in range(rows.count()):
        row = rows.nth(i)
        name = row.locator("th").inner_text()
        for outcome in ("granted", "refused", "undetermined"):
            cell = row.locator(f'td[data-outcome="{outcome}"]').inner_text()
            assert int(cell) == by_subject[(f"credential:{name}", outcome)]
    assert page.locator("figure.chart img").count() >= 4
    assert all(page.evaluate("Array.from(document.images).map(i => i.complete && i.naturalWidth > 0)"))
    assert page.errors == []


def test_proof_sections_open_and_close_by_mouse_and_keyboard(hand_site: tuple[Path, ReportSummary], page: Any) -> None:
    site, _ = hand_site
    page.goto(url(site, "providers/R0A.html"))
    proof = page.locator("#d-credential-partner details.proof")
    summary = proof.locator("> summary")
    assert proof.get_attribute("open") is None
    node = proof.locator("details.node").first
    assert not node.is_visible()
    summary.click()
    assert proof.get_attribute("open") is not None and node.is_visible()
    summary.click()
    assert proof.get_attribute("open") is None
    # keyboard: focus the summary, Enter opens, Space closes; a nested node opens by keyboard too
    summary.focus()
    page.keyboard.press("Enter")
    assert proof.get_attribute("open") is not None
    inner = node.locator("> summary")
    inner.focus()
    page.keyboard.press("Enter")
    assert node.get_attribute("open") is not None
    assert node.locator("table.evidence, details.node").first.is_visible()
    summary.focus()
    page.keyboard.press(" ")
    assert proof.get_attribute("open") is None
    # open and close every proof at once
    page.get_by_role("button", name="Open every proof").click()
    assert page.evaluate("Array.from(document.querySelectorAll('details.proof')).every(d => d.open)")
    page.get_by_role("button", name="Close every proof").click()
    assert page.evaluate("Array.from(document.querySelectorAll('details.proof')).every(d => !d.open)")
    assert page.errors == []


def _column(page: Any, n: int) -> list[str]:
    return page.evaluate(
        "Array.from(document.querySelectorAll('#providers tbody tr')).filter(r => !r.hidden)"
        f".map(r => r.cells[{n}].textContent.trim())"
    )


def test_table_sorts_and_filters(hand_site: tuple[Path, ReportSummary], page: Any) -> None:
    site, _ = hand_site
    page.goto(url(site, "providers.html"))
    codes = _column(page, 0)
    assert codes == sorted(codes) and len(codes) == 6
    code_head = page.locator("#providers thead th").nth(0)
    code_head.locator("button").click()  # already ascending: now descending
    assert _column(page, 0) == sorted(codes, reverse=True)
    assert code_head.get_attribute("aria-sort") == "descending"
    name_head = page.locator("#providers thead th").nth(1)
    name_head.locator("button").click()
    names = _column(page, 1)
    assert names == sorted(names, key=str.lower) and name_head.get_attribute("aria-sort") == "ascending"
    assert code_head.get_attribute("aria-sort") is None
    # sort by a decision: granted first
    heads = page.locator("#providers thead th")
    partner = next(i for i in range(heads.count()) if heads.nth(i).inner_text().strip().startswith("partner"))
    heads.nth(partner).locator("button").press("Enter")
    values = page.evaluate(
        f"Array.from(document.querySelectorAll('#providers tbody tr')).map(r => r.cells[{partner}].dataset.value)"
    )
    rank = {"granted": 0, "undetermined": 1, "refused": 2}
    assert [rank[v] for v in values] == sorted(rank[v] for v in values)
    # filters: text, attribute, decision
    page.get_by_label("Code or name contains").fill("oxford")
    assert _column(page, 0) == ["RTH"]
    assert page.locator("#shown").inner_text() == "1 of 6 providers shown"
    page.get_by_label("Code or name contains").fill("")
    page.get_by_label("region").select_option("North West")
    assert sorted(_column(page, 0)) == ["R0A", "RM3", "RW6"]
    page.get_by_label("region").select_option("")
    records = api.evaluate_api(POLICY, DATA, END).records
    granted = sorted(r.provider for r in records if r.subject == "credential:partner" and r.outcome.value == "granted")
    page.get_by_label("decision").select_option("credential:partner")
    page.get_by_label("is", exact=True).select_option("granted")
    assert sorted(_column(page, 0)) == granted
    assert page.errors == []


def test_every_internal_link_resolves(hand_site: tuple[Path, ReportSummary], page: Any) -> None:
    """Crawl from the overview: every link and image opens, and every #anchor exists on its page."""
    site, _ = hand_site
    start = url(site, "index.html")
    seen: set[str] = set()
    todo = [start]
    checked = 0
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        response = page.goto(current)
        assert response is None or response.ok, current
        refs = page.evaluate(
            "Array.from(document.querySelectorAll('a[href], img[src], link[href], script[src]'))"
            ".map(e => e.href || e.src)"
        )
        for ref in refs:
            assert ref.startswith("file://"), f"{current}: {ref} leaves the folder"
            target, _, frag = ref.partition("#")
            path = Path(target[len("file://") :])
            assert path.is_file(), f"{current}: {ref}"
            if frag:
                if target == current.partition("#")[0]:
                    assert page.locator(f'[id="{frag}"]').count() == 1, f"{current}: #{frag}"
                else:
                    assert f'id="{frag}"' in path.read_text(encoding="utf-8"), f"{current}: {ref}"
            checked += 1
            if target.endswith(".html") and target not in seen:
                todo.append(target)
        assert page.errors == [], current
    assert len(seen) == len(list(site.rglob("*.html")))
    assert checked > 100


@pytest.mark.parametrize(
    "path",
    ["index.html", "providers.html", "rules.html", "providers/RTH.html", "rules/credential-partner.html"],
)
def test_accessibility_axe(hand_site: tuple[Path, ReportSummary], page: Any, path: str) -> None:
    site, _ = hand_site
    page.goto(url(site, path))
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")  # audit hidden parts too
    assert page.errors == []
    # (axe's own reading of the stylesheets by XMLHttpRequest is refused from file://; not the page's error)
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async () => await axe.run(document, "
        "{runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa', 'best-practice']}})"
    )
    violations = [
        {"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"][:3]]} for v in result["violations"]
    ]
    assert violations == [], json.dumps(violations, indent=1)
    assert len(result["passes"]) > 10


def test_print_opens_every_proof(hand_site: tuple[Path, ReportSummary], page: Any) -> None:
    site, _ = hand_site
    page.goto(url(site, "providers/R0A.html"))
    page.emulate_media(media="print")
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    assert page.evaluate("Array.from(document.querySelectorAll('details.proof')).every(d => d.open)")
    assert not page.locator("header.site nav").is_visible()
    page.evaluate("window.dispatchEvent(new Event('afterprint'))")
    assert page.evaluate("Array.from(document.querySelectorAll('details.proof')).every(d => !d.open)")
