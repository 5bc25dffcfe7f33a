"""Datalog backends: ``pydatalog`` (the reference) and ``duckdb`` (columnar, for large batches).

Import a backend through ``credential.datalog.get_backend(name)``, not directly.
"""
