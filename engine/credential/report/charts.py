"""The report's charts: Vega-Lite specifications built with altair, rendered to static SVG at build time.

vl-convert (a self-contained Vega renderer) turns each specification into SVG without a browser
or a network; the same data give the same bytes.  Each chart is written once under ``charts/``
with a name made from the digest of its SVG, so providers with the same timeline share a file.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

OUTCOME_COLOURS = {"granted": "#0b6b2e", "refused": "#a3161a", "undetermined": "#8a6d1f"}
_OUTCOMES = list(OUTCOME_COLOURS)


@dataclass
class Chart:
    file: str
    alt: str
    caption: str
    width: int
    height: int
    columns: list[str]
    rows: list[list[Any]]


@dataclass
class ChartWriter:
    """Renders charts into ``folder`` (once per distinct SVG)."""

    folder: Path
    written: dict[str, tuple[int, int]] = field(default_factory=dict)
    _by_spec: dict[str, tuple[str, int, int]] = field(default_factory=dict)

    def render(self, chart: Any, name: str) -> tuple[str, int, int]:
        import vl_convert as vlc

        spec = chart.to_json(indent=None, sort_keys=True)
        hit = self._by_spec.get(spec)
        if hit is not None:
            return hit
        svg = _stable_ids(vlc.vegalite_to_svg(spec))
        digest = hashlib.sha256(svg.encode()).hexdigest()[:16]
        file = f"{name}-{digest}.svg"
        width, height = _size(svg)
        if file not in self.written:
            self.folder.mkdir(parents=True, exist_ok=True)
            (self.folder / file).write_text(svg, encoding="utf-8")
            self.written[file] = (width, height)
        self._by_spec[spec] = (file, width, height)
        return file, width, height


def _stable_ids(svg: str) -> str:
    """Number the SVG's gradient and clip ids from 0 in order of appearance.

    The renderer numbers them with a counter that lives as long as the process, so the same
    chart drawn twice in one run would otherwise differ in bytes.
    """
    import re

    seen: dict[str, str] = {}

    def repl(m: re.Match[str]) -> str:
        key = m.group(0)
        if key not in seen:
            seen[key] = f"{m.group(1)}_{sum(1 for k in seen if k.startswith(m.group(1) + '_'))}"
        return seen[key]

    return re.sub(r"\b(gradient|clip|pattern)_\d+\b", repl, svg)


def _size(svg: str) -> tuple[int, int]:
    import re

    m = re.search(r'<svg[^>]*\swidth="([\d.]+)"[^>]*\sheight="([\d.]+)"', svg)
    if not m:
        return 600, 300
    return round(float(m.group(1))), round(float(m.group(2)))


def _alt() -> Any:
    import altair as alt

    alt.data_transformers.disable_max_rows()
    return alt


def _colour(alt: Any, title: str = "outcome") -> Any:
    return alt.Color(
        "outcome:N",
        title=title,
        scale=alt.Scale(domain=_OUTCOMES, range=[OUTCOME_COLOURS[o] for o in _OUTCOMES]),
        sort=_OUTCOMES,
    )


def outcome_bars(writer: ChartWriter, counts: dict[str, dict[str, int]], name: str, what: str) -> Chart:
    """Stacked bars: decisions by outcome for each subject."""
    alt = _alt()
    rows = [[s, o, int(c.get(o, 0))] for s, c in counts.items() for o in _OUTCOMES]
    df = pd.DataFrame(rows, columns=[what, "outcome", "decisions"])
    chart = (
        alt.Chart(df)
        .mark_bar()
        .encode(
            y=alt.Y(f"{what}:N", sort=list(counts), title=None),
            x=alt.X("decisions:Q", stack="zero", title="decisions"),
            color=_colour(alt),
            order=alt.Order("order:Q"),
        )
        .transform_calculate(order="indexof(['granted','refused','undetermined'], datum.outcome)")
        .properties(width=420, height=max(40, 22 * len(counts)))
    )
    file, w, h = writer.render(chart, name)
    totals = ", ".join(f"{s}: {c.get('granted', 0)} granted" for s, c in counts.items())
    return Chart(
        file,
        f"Stacked bars of decisions by outcome per {what}. {totals}.",
        f"Decisions by outcome, per {what}",
        w,
        h,
        [what, "outcome", "decisions"],
        rows,
    )


def granted_heatmap(writer: ChartWriter, cells: dict[tuple[str, str], tuple[int, int]], attr: str) -> Chart:
    """A grid: for each value of ``attr`` (rows) and credential (columns), the share of providers granted."""
    alt = _alt()
    rows = [[a, s, g, n, round(g / n, 4) if n else 0.0] for (a, s), (g, n) in sorted(cells.items())]
    df = pd.DataFrame(rows, columns=[attr, "credential", "granted", "providers", "share"])
    df["label"] = df["granted"].astype(str) + "/" + df["providers"].astype(str)
    base = alt.Chart(df).encode(
        x=alt.X("credential:N", title=None, sort=sorted({s for _, s in cells}), axis=alt.Axis(labelAngle=-30)),
        y=alt.Y(f"{attr}:N", title=None),
    )
    rect = base.mark_rect().encode(
        color=alt.Color("share:Q", title="share granted", scale=alt.Scale(domain=[0, 1], scheme="greens"))
    )
    text = base.mark_text(fontSize=11).encode(
        text="label:N", color=alt.condition("datum.share > 0.5", alt.value("white"), alt.value("#1b1b1b"))
    )
    chart = (rect + text).properties(
        width=max(200, 70 * len({s for _, s in cells})), height=max(60, 24 * len({a for a, _ in cells}))
    )
    file, w, h = writer.render(chart, f"by-{attr}")
    return Chart(
        file,
        f"Grid of the share of providers granted each credential, by {attr}; each cell reads granted/providers.",
        f"Providers granted each credential, by {attr} (granted/providers)",
        w,
        h,
        [attr, "credential", "granted", "providers"],
        [r[:4] for r in rows],
    )


def granted_over_time(writer: ChartWriter, series: dict[str, dict[str, int]]) -> Chart:
    """Lines: the number of providers granted each credential at each as-of date."""
    alt = _alt()
    rows = [[d, s, n] for s, by_date in series.items() for d, n in by_date.items()]
    df = pd.DataFrame(rows, columns=["as_of", "credential", "granted"])
    chart = (
        alt.Chart(df)
        .mark_line(point=True)
        .encode(
            x=alt.X("as_of:O", title="as of", axis=alt.Axis(labelAngle=-45)),
            y=alt.Y("granted:Q", title="providers granted"),
            color=alt.Color("credential:N", title="credential"),
            strokeDash=alt.StrokeDash("credential:N", title="credential"),
        )
        .properties(width=520, height=240)
    )
    file, w, h = writer.render(chart, "over-time")
    return Chart(
        file,
        "Lines of the number of providers granted each credential at each as-of date.",
        "Providers granted each credential, at each as-of date",
        w,
        h,
        ["as of", "credential", "granted"],
        rows,
    )


def provider_timeline(writer: ChartWriter, cells: list[tuple[str, str, str]]) -> Chart:
    """A provider's decisions over time: subjects (rows) × as-of dates (columns), coloured by outcome."""
    alt = _alt()
    df = pd.DataFrame(cells, columns=["as_of", "subject", "outcome"])
    subjects = list(dict.fromkeys(s for _, s, _ in cells))
    chart = (
        alt.Chart(df)
        .mark_rect(stroke="white", strokeWidth=1)
        .encode(
            x=alt.X("as_of:O", title="as of", axis=alt.Axis(labelAngle=-45)),
            y=alt.Y("subject:N", sort=subjects, title=None),
            color=_colour(alt),
        )
        .properties(width=max(120, 40 * len({d for d, _, _ in cells})), height=18 * len(subjects))
    )
    file, w, h = writer.render(chart, "timeline")
    return Chart(
        file,
        "Grid of this provider's decisions: one row per subject, one column per as-of date, coloured by outcome.",
        "Decisions at each as-of date",
        w,
        h,
        ["as of", "subject", "outcome"],
        [list(c) for c in cells],
    )
