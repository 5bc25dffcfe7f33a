"""`credential report` without a browser: pages, determinism, counts, offline links, goldens, errors."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from credential import api
from credential.cli import cli
from credential.report import ReportSummary, page_name
from credential.report.proofhtml import ProofHtml, Units, fmt_percent
from support.golden import assert_golden
from support.report_site import DATA, END, POLICY, build_hand

GOLDEN = Path(__file__).resolve().parent / "golden"


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(str(a["id"]))
        for key in ("href", "src"):
            if a.get(key):
                self.refs.append(str(a[key]))


def digest_tree(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_pages_of_every_kind(hand_site: tuple[Path, ReportSummary]) -> None:
    site, summary = hand_site
    providers = sorted(p.name for p in (site / "providers").iterdir())
    assert providers == [f"{c}.html" for c in ("R0A", "RAE", "RM3", "RTH", "RW6", "RXH")]
    rules = {p.name for p in (site / "rules").iterdir()}
    assert "criterion-rated_good.html" in rules and "credential-partner.html" in rules and "form-buddying.html" in rules
    # overview, table, rule index, 6 providers, 7 criteria... every page is counted
    assert summary.pages == len(list(site.rglob("*.html")))
    assert summary.decisions == 6 * 11 and summary.as_of == END and len(summary.dates) == 6


def test_byte_deterministic(hand_site: tuple[Path, ReportSummary], tmp_path: Path) -> None:
    site, _ = hand_site
    again = tmp_path / "again"
    build_hand(again)
    assert digest_tree(again) == digest_tree(site)


def test_offline_and_links_resolve(hand_site: tuple[Path, ReportSummary]) -> None:
    site, _ = hand_site
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"(?:src|href)=\"(?:https?:)?//", text), page  # nothing fetched from a network
        parser = Links()
        parser.feed(text)
        for ref in parser.refs:
            target, _, frag = ref.partition("#")
            path = (page.parent / target).resolve() if target else page
            assert path.is_file(), f"{page.name}: {ref}"
            if frag:
                other = Links()
                other.feed(path.read_text(encoding="utf-8"))
                assert frag in other.ids, f"{page.name}: {ref}"


def test_overview_counts_equal_the_decisions(hand_site: tuple[Path, ReportSummary]) -> None:
    site, _ = hand_site
    result = api.evaluate_api(POLICY, DATA, END)
    counts = Counter(r.outcome.value for r in result.records)
    text = (site / "index.html").read_text(encoding="utf-8")
    for outcome in ("granted", "refused", "undetermined"):
        m = re.search(rf'data-total="{outcome}">(\d+) {outcome}', text)
        assert m and int(m.group(1)) == counts[outcome]


def test_rule_page_counts(hand_site: tuple[Path, ReportSummary]) -> None:
    site, _ = hand_site
    text = (site / "rules" / "credential-partner.html").read_text(encoding="utf-8")
    result = api.evaluate_api(POLICY, DATA, END)
    got = {k: int(v) for k, v in re.findall(r'data-count="(\w+)">(\d+)<', text)}
    outcomes = Counter(r.outcome.value for r in result.records if r.subject == "credential:partner")
    assert got == {"pass": outcomes["granted"], "fail": outcomes["refused"], "undetermined": outcomes["undetermined"]}
    assert "May lead networks and joint ventures" in text and "requires supporter and cqc_well_led" in text


def test_provider_page_golden(hand_site: tuple[Path, ReportSummary]) -> None:
    site, _ = hand_site
    assert_golden(GOLDEN / "provider_RTH.html", (site / "providers" / "RTH.html").read_text(encoding="utf-8"))
    assert_golden(GOLDEN / "overview.html", (site / "index.html").read_text(encoding="utf-8"))


def test_provider_page_content(hand_site: tuple[Path, ReportSummary]) -> None:
    site, _ = hand_site
    text = (site / "providers" / "R0A.html").read_text(encoding="utf-8")
    assert "Gap to close" in text and "1 level(s)" in text  # to_qualify as the gap
    assert "observations.csv:20" in text  # evidence rows
    assert "Health Foundation. Response to the Dalton review" in text  # citations
    assert "timeline-" in text  # the provider's timeline chart
    rth = (site / "providers" / "RTH.html").read_text(encoding="utf-8")
    assert "(waived)" in rth and "Eligible partners" in rth


def test_percent_display_and_unknown_node_kinds() -> None:
    from credential.policy import load_checked

    policy, _ = load_checked(POLICY)
    assert policy is not None
    units = Units(policy)
    html = ProofHtml(units, lambda kind, name: None, set())
    leaf = {
        "kind": "comparison",
        "outcome": "false",
        "text": "mean ae_4h over 4 quarters >= ae_standard",
        "source": {"file": str(POLICY.relative_to(POLICY.parents[2])), "line": 0, "column": 0},
        "op": ">=",
        "value": 0.781135,
        "threshold": {"value": 0.95, "param": "ae_standard"},
        "unit": "percent",
        "children": [],
    }
    out = html.node(leaf)
    assert "78.1135% &gt;= 95%" in out and fmt_percent(0.5) == "50%"
    novel = {
        "kind": "stale_evidence",
        "outcome": "unknown",
        "text": "cqc_overall",
        "age": "9 years",
        "limit": "4 years",
    }
    out = html.node(novel)
    assert "stale_evidence" in out and "<dt>age</dt><dd>9 years</dd>" in out and "<dt>limit</dt>" in out


def test_cli_report_and_errors(tmp_path: Path) -> None:
    out = tmp_path / "site"
    base = ["report", "--policy", str(POLICY), "--data", str(DATA)]
    r = CliRunner().invoke(cli, [*base, "--as-of", "2016-04-01", "--provider", "RTH", "--output", str(out)])
    assert r.exit_code == 0, r.stderr
    assert "wrote" in r.stderr and [p.name for p in (out / "providers").iterdir()] == [page_name("RTH")]
    r = CliRunner().invoke(
        cli, [*base, "--as-of", "2016-04-01", "--from", "2015-01-01", "--to", "2016-01-01", "--output", str(out)]
    )
    assert r.exit_code == 2 and "not both" in r.stderr
    r = CliRunner().invoke(cli, [*base, "--from", "2015-01-01", "--output", str(out)])
    assert r.exit_code == 2
    r = CliRunner().invoke(cli, [*base, "--as-of", "2016-04-01", "--provider", "NOPE", "--output", str(out)])
    assert r.exit_code == 2 and "NOPE" in r.stderr
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    r = CliRunner().invoke(cli, [*base, "--as-of", "2016-04-01", "--output", str(blocker / "site")])
    assert r.exit_code == 6 and "error[io]" in r.stderr


def test_page_names_are_safe() -> None:
    assert page_name("RTH") == "RTH.html"
    odd = page_name("../etc/passwd")
    assert odd.startswith("p-") and "/" not in odd


@pytest.mark.slow
def test_nhs_report_builds(tmp_path: Path) -> None:
    summary = api.report_api(tmp_path / "nhs", as_of=dt.date(2026, 1, 1))
    assert summary.providers == 202 and summary.pages == len(list((tmp_path / "nhs").rglob("*.html")))
