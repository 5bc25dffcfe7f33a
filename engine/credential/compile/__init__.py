"""Checked policy IR → Datalog program, and the facts of a bundle as of a date."""

from credential.compile.program import CompiledPolicy, NodePreds, compile_policy

__all__ = ["CompiledPolicy", "NodePreds", "compile_policy"]
