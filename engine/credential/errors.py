"""One exception family for bad arguments and bad inputs, shared by the Python API and the CLI.

Every error carries the diagnostics that describe it (``.diagnostics``), the code of the first
(``.code``, the same code the command line prints as ``error[CODE]``) and the exit code the
command line uses for it (``.exit_code``):

==================  =====  =====================================================
class               exit   codes
==================  =====  =====================================================
``UsageError``      2      ``usage.*``: a bad argument, a missing / unreadable input
``PolicyInvalid``   1      ``parse.*``, ``check.*``: the policy has errors
``DataInvalid``     3      ``data.*``: the data bundle does not validate
==================  =====  =====================================================

All three are ``CredentialError`` (a ``DiagnosticError``, so code catching that keeps working).
``UsageError`` is also a ``ValueError``, as Python code expects of a bad argument.
"""

from __future__ import annotations

from credential.diagnostics import Diagnostic, DiagnosticError, error

EXIT_OK = 0
EXIT_POLICY = 1
EXIT_USAGE = 2
EXIT_DATA = 3
EXIT_FAILED = 4
EXIT_FAIL_ON = 5
EXIT_IO = 6
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143


class CredentialError(DiagnosticError):
    """The base of every error the engine raises for bad input (see the module's table)."""

    exit_code = EXIT_POLICY

    @property
    def code(self) -> str:
        return self.diagnostics[0].code if self.diagnostics else "error"


class UsageError(CredentialError, ValueError):
    """A bad argument (a date, a provider, a subject, a path): exit code 2, codes ``usage.*``."""

    exit_code = EXIT_USAGE

    def __init__(self, code: str, message: str, help: str | None = None) -> None:
        super().__init__([error(code, message, help=help)])

    @property
    def message(self) -> str:
        """The first diagnostic's message (one line, naming the input)."""
        return self.diagnostics[0].message if self.diagnostics else "usage error"

    @classmethod
    def of(cls, diagnostics: list[Diagnostic]) -> UsageError:
        exc = cls.__new__(cls)
        DiagnosticError.__init__(exc, diagnostics)
        return exc


class PolicyInvalid(CredentialError):
    """The policy has errors (exit code 1)."""

    exit_code = EXIT_POLICY


class DataInvalid(CredentialError):
    """The data bundle has errors (exit code 3)."""

    exit_code = EXIT_DATA
