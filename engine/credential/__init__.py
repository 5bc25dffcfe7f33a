"""credential: a declarative policy-as-code credentialing engine for NHS providers.

The Python API mirrors the command line::

    import credential
    result = credential.evaluate("policy.cred", "bundle/", as_of=[date(2026, 3, 31)])
    records = credential.explain("RM3", "partner", "policy.cred", "bundle/")
    report = credential.verify(result.records, "policy.cred", "bundle/")
    options = credential.match(["RAJ", "RCB"], "buddying", as_of=date(2026, 6, 30))
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from credential.version import __version__

__all__ = ["__version__", "evaluate", "explain", "match", "verify"]

if TYPE_CHECKING:  # pragma: no cover
    from credential.api import evaluate_api as evaluate
    from credential.api import explain_api as explain
    from credential.api import match_api as match
    from credential.api import verify_api as verify


def __getattr__(name: str) -> Any:
    # Imported lazily so that `import credential` (and the CLI's start) stays light.
    if name in ("evaluate", "explain", "match", "verify"):
        from credential import api

        return getattr(api, f"{name}_api")
    raise AttributeError(name)
