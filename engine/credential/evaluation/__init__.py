"""The evaluation stage: decision values and records (``decisions.py``, the bottom of the stage)
and a policy's model on a bundle as of a date (``evaluate.py``: inputs loaded and checked, facts,
the backend's model, outcomes read from it).

Proofs, writers and the engine's ``run`` sit above this stage and import it; it imports none of them.
"""
