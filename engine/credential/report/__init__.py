"""``credential report``: a static, offline audit site built from the decisions and proofs in memory.

Pages are jinja2 templates (``templates/``, package data), charts are Vega-Lite specifications
(altair) rendered to SVG at build time (vl-convert), and the only scripts are two small vanilla
files for the providers table and for printing.  Entry point: :func:`build_report`.
"""

from credential.report.build import ReportSummary, build_from_inputs, build_report, page_name

__all__ = ["ReportSummary", "build_from_inputs", "build_report", "page_name"]
