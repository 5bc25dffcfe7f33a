"""The language server (``credential lsp``): the checker, formatter and loader behind an editor.

``analysis`` (check + name index of one root), ``workspace`` (open buffers, roots, re-checks),
``hover``, ``navigation``, ``completion``, ``actions``, ``diagnostics`` and ``positions`` are plain functions
over lsprotocol types; ``server`` is the only module that imports pygls.
"""
