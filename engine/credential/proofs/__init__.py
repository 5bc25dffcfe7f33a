"""Proofs (why, why-not, to-qualify, missing), their renderings, and independent verification."""
