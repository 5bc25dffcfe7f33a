"""Records and writers: decision records (``records.py``), decisions in columns and written in
blocks as JSON lines and CSV (``batch.py``), the table, JSON and the formats' dispatch
(``render.py``), Parquet (``parquet.py``).  Above the proofs, below the engine.
"""
