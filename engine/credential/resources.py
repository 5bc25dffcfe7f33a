"""Package data (grammar, reference policies, bundled NHS data) found through importlib.resources.

An installed wheel carries them under ``credential/_resources``.  A source checkout run
without installing (``PYTHONPATH=engine``) falls back to the repository's top-level folders.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

_REPO_LAYOUT = {
    "grammar": "grammar",
    "policies": "policies",
    "bundles/nhs": "fixtures/nhs",
}


def resource_path(rel: str) -> Path:
    """A filesystem path to a packaged resource, e.g. ``grammar/credential.lark``."""
    packaged = resources.files("credential") / "_resources" / rel
    if packaged.is_file() or packaged.is_dir():
        return Path(str(packaged))
    repo = Path(__file__).resolve().parents[2]
    for prefix, folder in _REPO_LAYOUT.items():
        if rel == prefix or rel.startswith(prefix + "/"):
            candidate = repo / folder / rel[len(prefix) :].lstrip("/")
            if candidate.exists():
                return candidate
    raise FileNotFoundError(f"credential resource not found: {rel}")


def grammar_path() -> Path:
    return resource_path("grammar/credential.lark")


def reference_policy_path() -> Path:
    return resource_path("policies/dalton_2014.cred")


def bundled_data_path() -> Path:
    return resource_path("bundles/nhs")
