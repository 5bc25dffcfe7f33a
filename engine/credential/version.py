"""The engine's version (recorded in every decision record, SARIF log and report).

A module of its own at the bottom of the package so that any stage can read it without
importing the package's ``__init__`` (which reaches up to the API).
"""

__version__ = "0.1.0"
