"""credential: a declarative policy-as-code credentialing engine for NHS providers."""

from __future__ import annotations

__version__ = "0.1.0"
