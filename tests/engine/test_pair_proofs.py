"""Every pair's proof — granted, undetermined or refused, candidate or not — verifies."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from credential import __version__
from credential.evaluation.evaluate import evaluate_inputs, load_inputs
from credential.proofs.proof import ProofBuilder
from credential.proofs.verify import verify_records

FIX = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.mark.parametrize("as_of", [dt.date(2016, 4, 1), dt.date(2024, 6, 30)])
def test_all_pair_proofs_verify(as_of: dt.date) -> None:
    inputs = load_inputs(FIX / "spec_example.cred", FIX / "hand_bundle")
    ev = evaluate_inputs(inputs, as_of, pairs=True)
    builder = ProofBuilder(ev)
    names = inputs.bundle.provider_names()
    records = []
    for form in inputs.policy.forms:
        for lead in sorted(names):
            for rec in sorted(names):
                if lead == rec:
                    continue
                subject = f"pair:{form}:{lead}:{rec}"
                proof = builder.proof(subject, (lead, rec))
                records.append(
                    {
                        "provider": lead,
                        "provider_name": names[lead],
                        "subject": subject,
                        "outcome": proof["outcome"],
                        "as_of": as_of.isoformat(),
                        "missing": builder.missing(subject, (lead, rec)) if proof["outcome"] == "undetermined" else [],
                        "policy": {
                            "name": inputs.policy.name,
                            "version": inputs.policy.version,
                            "sha256": inputs.policy.sha256,
                        },
                        "data": dict(sorted(inputs.bundle.digests.items())),
                        "engine": __version__,
                        "backend": ev.backend,
                        "proof": proof,
                    }
                )
    report = verify_records(records, inputs.policy, inputs.bundle)
    assert report.checked == len(records) == 4 * 6 * 5
    assert report.ok, [str(p) for p in report.problems[:5]]
    # a refused pair whose roles fail lists no pair condition that actually holds
    refused = next(r for r in records if r["subject"] == "pair:acquisition:RXH:RW6")
    assert refused["outcome"] == "refused"
    assert all("sector" not in item["text"] for item in refused["proof"]["to_qualify"])
