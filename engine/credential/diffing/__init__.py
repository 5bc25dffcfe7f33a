"""The parts of ``credential diff``: declaration changes, attribution, results and rendering.

The public entry point is :func:`credential.diffing.diff.diff_policies`.
"""
