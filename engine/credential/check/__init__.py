"""Checking: AST → checked policy IR, through an ordered table of named passes."""

from credential.check.ir import CheckedPolicy
from credential.check.passes import PASSES, check_files

__all__ = ["PASSES", "CheckedPolicy", "check_files"]
