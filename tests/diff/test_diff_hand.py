"""``diff_policies`` on hand-made policy versions, with the changes and their causes worked out by hand.

The base policy, the bundle and the base outcomes are in conftest.py; each test edits the base
and states, from the policy text, which decisions must change and why.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

from diffcases import AS_OF, BASE, variant

from credential.diffing.attribution import Attributor
from credential.diffing.declarations import DeclChange, short_change
from credential.diffing.diff import Cause, DecisionChange, DiffResult, diff_policies
from credential.evaluation.evaluate import evaluate_inputs, load_inputs
from credential.policy import load_policy

Write = Callable[[str, str], Path]


def diff(write: Write, bundle: Path, new_text: str, as_of: dt.date = AS_OF, pairs: bool = False) -> DiffResult:
    return diff_policies(write("old", BASE), write("new", new_text), bundle, as_of, pairs=pairs)


def table(result: DiffResult) -> set[tuple[str, str, str, str]]:
    return {(c.provider, c.subject, c.old, c.new) for c in result.changes}


def causes(change: DecisionChange) -> list[str]:
    return [c.declaration for c in change.causes]


# ---- a changed threshold ----------------------------------------------------------


def test_changed_threshold(write_policy: Write, bundle_dir: Path) -> None:
    # threshold 80% -> 86%: only RB2's score (0.85) lies in between.  high_score fails for RB2,
    # so silver, gold (needs silver) and the merger lead (needs gold) are lost.  RA1 (0.90) keeps
    # them; RE5 has no score (unknown either way); RC3 and RD4 never had silver.
    result = diff(write_policy, bundle_dir, variant(("param threshold = 80%", "param threshold = 86%")))
    assert table(result) == {
        ("RB2", "credential:silver", "granted", "refused"),
        ("RB2", "credential:gold", "granted", "refused"),
        ("RB2", "form:merger:lead", "granted", "refused"),
    }
    for change in result.changes:
        assert change.attribution == "truth"
        assert change.causes == (
            Cause("param:threshold", ("RB2",), "80%", "86%", ("`score >= threshold`: true → false",)),
        )
    (decl,) = result.declarations
    assert (decl.id, decl.decisive) == ("param:threshold", True)
    assert decl.details == ("80% → 86% (in force on 2025-06-30)",)
    assert result.by_cause() == {"param:threshold": 3}
    assert {g: dict(t) for g, t in result.by_subject().items()} == {
        "credential:gold": {"granted → refused": 1},
        "credential:silver": {"granted → refused": 1},
        "form:merger:lead": {"granted → refused": 1},
    }


# ---- a changed param step -----------------------------------------------------------


def test_changed_param_step(write_policy: Write, bundle_dir: Path) -> None:
    # cap's step from 2024-01-01 goes 3 -> 2.  RA1 leads 2 active arrangements: 2 < 2 fails,
    # so `small`, gold and the merger lead fail for RA1.  Everyone else leads none (0 < 2).
    result = diff(write_policy, bundle_dir, variant(("  from 2024-01-01 = 3", "  from 2024-01-01 = 2")))
    assert table(result) == {
        ("RA1", "credential:gold", "granted", "refused"),
        ("RA1", "form:merger:lead", "granted", "refused"),
    }
    for change in result.changes:
        assert change.causes == (
            Cause("param:cap", ("RA1",), "3", "2", ("`count arrangements led < cap`: true → false",)),
        )
    (decl,) = result.declarations
    assert decl.details == (
        "3 → 2 (in force on 2025-06-30)",
        "definition: `= 2, from 2024-01-01 = 3` → `= 2, from 2024-01-01 = 2`",
    )


def test_param_step_after_the_as_of_date(write_policy: Write, bundle_dir: Path) -> None:
    # A new step from 2026-01-01 = 1: not yet in force on 2025-06-30, so nothing changes and
    # the declaration is reported as not decisive; a year later it is, and RA1 (2 arrangements)
    # loses gold and the merger lead while the others (0 < 1) keep them.
    new = variant(("  from 2024-01-01 = 3\n", "  from 2024-01-01 = 3\n  from 2026-01-01 = 1\n"))
    result = diff(write_policy, bundle_dir, new)
    assert result.changes == ()
    (decl,) = result.declarations
    assert (decl.id, decl.decisive) == ("param:cap", False)
    assert decl.details[0] == "3 in force on 2025-06-30 in both"
    later = diff(write_policy, bundle_dir, new, as_of=dt.date(2026, 6, 30))
    assert table(later) == {
        ("RA1", "credential:gold", "granted", "refused"),
        ("RA1", "form:merger:lead", "granted", "refused"),
    }
    assert later.declarations[0].details[0] == "3 → 1 (in force on 2026-06-30)"
    assert {c.old for ch in later.changes for c in ch.causes} == {"3"}


# ---- a new credential, a dropped form ----------------------------------------------------


def test_new_credential(write_policy: Write, bundle_dir: Path) -> None:
    # platinum = gold and outstanding quality: RA1 only.  RE5's gold is unknown but its quality
    # is good, so `unknown and false` is false: refused.  Every provider gets a new decision.
    platinum = "credential platinum\n  requires gold and quality = outstanding\n\n"
    new = variant(("form buddying\n", platinum + "form buddying\n"))
    result = diff(write_policy, bundle_dir, new)
    assert table(result) == {
        ("RA1", "credential:platinum", "absent", "granted"),
        ("RB2", "credential:platinum", "absent", "refused"),
        ("RC3", "credential:platinum", "absent", "refused"),
        ("RD4", "credential:platinum", "absent", "refused"),
        ("RE5", "credential:platinum", "absent", "refused"),
    }
    for change in result.changes:
        assert change.attribution == "declaration"
        assert causes(change) == ["credential:platinum"]
    assert [(d.id, d.status) for d in result.declarations] == [("credential:platinum", "added")]


def test_dropped_form(write_policy: Write, bundle_dir: Path) -> None:
    # buddying goes: both its roles disappear for every provider.  Its lead was bronze (all
    # but RD4), its recipient `not good_quality` (RD4 only).  The arrangements of form
    # buddying stay in the data (with a warning) and still count towards `small`, so gold
    # does not move.
    block = "form buddying\n  change low\n  lead requires bronze\n  recipient requires not good_quality\n\n"
    result = diff(write_policy, bundle_dir, variant((block, "")), pairs=True)
    lead = {"RA1": "granted", "RB2": "granted", "RC3": "granted", "RD4": "refused", "RE5": "granted"}
    expected = {(p, "form:buddying:lead", o, "absent") for p, o in lead.items()}
    recipient = {p: "granted" if p == "RD4" else "refused" for p in lead}
    expected |= {(p, "form:buddying:recipient", o, "absent") for p, o in recipient.items()}
    # with pairs: buddying has no pair condition, so every bronze holder could buddy RD4.
    expected |= {(p, f"pair:buddying:{p}:RD4", "granted", "absent") for p in ("RA1", "RB2", "RC3", "RE5")}
    assert table(result) == expected
    assert all(causes(c) == ["form:buddying"] and c.attribution == "declaration" for c in result.changes)
    assert [(d.id, d.status) for d in result.declarations] == [("form:buddying", "removed")]
    assert any(d.code == "data.undeclared-form" for d in result.diagnostics)
    assert result.by_subject()["pair:buddying"] == {"granted → absent": 4}


# ---- a change in a criterion used by two credentials -------------------------------------


def test_changed_criterion_used_by_two_credentials(write_policy: Write, bundle_dir: Path) -> None:
    # good_quality: `quality >= good` -> `quality = outstanding`.  It flips from true to false
    # for RB2, RC3 and RE5 (good); RA1 (outstanding) and RD4 (requires improvement) keep it.
    # bronze and silver both use it (silver through bronze), and so does everything above.
    new = variant(("requires quality >= good", "requires quality = outstanding"))
    result = diff(write_policy, bundle_dir, new)
    assert table(result) == {
        # bronze = good_quality
        ("RB2", "credential:bronze", "granted", "refused"),
        ("RC3", "credential:bronze", "granted", "refused"),
        ("RE5", "credential:bronze", "granted", "refused"),
        # silver = bronze and high_score: RB2 loses it; RE5 was unknown (no score), now false;
        # RC3 was already refused (score 0.75).
        ("RB2", "credential:silver", "granted", "refused"),
        ("RE5", "credential:silver", "undetermined", "refused"),
        # gold = silver and small: follows silver.
        ("RB2", "credential:gold", "granted", "refused"),
        ("RE5", "credential:gold", "undetermined", "refused"),
        # buddying: lead = bronze, recipient = not good_quality.
        ("RB2", "form:buddying:lead", "granted", "refused"),
        ("RC3", "form:buddying:lead", "granted", "refused"),
        ("RE5", "form:buddying:lead", "granted", "refused"),
        ("RB2", "form:buddying:recipient", "refused", "granted"),
        ("RC3", "form:buddying:recipient", "refused", "granted"),
        ("RE5", "form:buddying:recipient", "refused", "granted"),
        # merger: lead = gold, recipient = not good_quality.
        ("RB2", "form:merger:lead", "granted", "refused"),
        ("RE5", "form:merger:lead", "undetermined", "refused"),
        ("RB2", "form:merger:recipient", "refused", "granted"),
        ("RC3", "form:merger:recipient", "refused", "granted"),
        ("RE5", "form:merger:recipient", "refused", "granted"),
    }
    # Only the criterion changed: bronze, silver, gold and the forms are the same rules, so
    # every change is attributed to good_quality alone, with its truth for that provider.
    for change in result.changes:
        assert change.causes == (Cause("criterion:good_quality", (change.provider,), "true", "false"),)
    (decl,) = result.declarations
    assert decl.details == ("requires: `quality >= good` → `quality = outstanding`",)
    assert result.by_cause() == {"criterion:good_quality": 18}


def test_two_changes_two_causes(write_policy: Write, bundle_dir: Path) -> None:
    # Both edits at once.  RB2's silver fails twice over (good_quality false, 0.85 < 86%):
    # both changes are named.  RE5 has no score, so high_score is unknown in both versions and
    # only good_quality explains its change.
    new = variant(
        ("requires quality >= good", "requires quality = outstanding"),
        ("param threshold = 80%", "param threshold = 86%"),
    )
    result = diff(write_policy, bundle_dir, new)
    by_key = {(c.provider, c.subject): c for c in result.changes}
    assert causes(by_key[("RB2", "credential:silver")]) == ["criterion:good_quality", "param:threshold"]
    assert causes(by_key[("RE5", "credential:silver")]) == ["criterion:good_quality"]
    assert causes(by_key[("RB2", "credential:bronze")]) == ["criterion:good_quality"]


# ---- an edited rule whose edit does or does not explain a change ------------------------------


def test_edited_credential_named_when_its_edit_matters(write_policy: Write, bundle_dir: Path) -> None:
    # silver also needs an outstanding rating: RB2 (good) loses silver, hence gold and the
    # merger lead.  RA1 is outstanding; RC3, RD4 were refused already; RE5 was undetermined
    # (no score) and `unknown and false` is false.  The cause of every change is silver's edit.
    silver = "requires bronze and high_score"
    new = variant((silver, silver + " and quality = outstanding"))
    result = diff(write_policy, bundle_dir, new)
    assert table(result) == {
        ("RB2", "credential:silver", "granted", "refused"),
        ("RB2", "credential:gold", "granted", "refused"),
        ("RB2", "form:merger:lead", "granted", "refused"),
        ("RE5", "credential:silver", "undetermined", "refused"),
        ("RE5", "credential:gold", "undetermined", "refused"),
        ("RE5", "form:merger:lead", "undetermined", "refused"),
    }
    assert all(causes(c) == ["credential:silver"] for c in result.changes)
    assert result.declaration("credential:silver").details == (
        "requires: `bronze and high_score` → `bronze and high_score and quality = outstanding`",
    )


def test_edited_credential_not_named_when_the_change_comes_from_below(write_policy: Write, bundle_dir: Path) -> None:
    # silver gains `quality != inadequate` (true for everyone rated) while good_quality becomes
    # `quality = outstanding`.  RB2's and RE5's silver change because bronze (good_quality)
    # fails: silver's old text against the new version of everything else gives the same
    # (refused), so silver's edit does not explain it and only good_quality is named.
    silver = "requires bronze and high_score"
    new = variant(
        (silver, silver + " and quality != inadequate"),
        ("requires quality >= good", "requires quality = outstanding"),
    )
    result = diff(write_policy, bundle_dir, new)
    by_key = {(c.provider, c.subject): c for c in result.changes}
    assert by_key[("RB2", "credential:silver")].old == "granted"
    assert by_key[("RE5", "credential:silver")].old == "undetermined"
    for key in (("RB2", "credential:silver"), ("RE5", "credential:silver"), ("RB2", "credential:gold")):
        assert causes(by_key[key]) == ["criterion:good_quality"]
    assert result.declaration("credential:silver").decisive
    assert result.by_cause()["credential:silver"] == 0


# ---- a changed scale ---------------------------------------------------------------------------


def test_changed_scale_order(write_policy: Write, bundle_dir: Path) -> None:
    # The rating scale puts outstanding *below* good: `quality >= good` now holds for good only.
    # RA1 (outstanding) loses good_quality; the others keep their truth (good: true, RI: false).
    # good_quality reads the same words but compares on another scale, so it is a changed
    # declaration too; both are named, and the comparison is matched across versions by its text.
    new = variant(
        (
            "inadequate < requires_improvement < good < outstanding",
            "inadequate < requires_improvement < outstanding < good",
        )
    )
    result = diff(write_policy, bundle_dir, new)
    assert table(result) == {
        ("RA1", "credential:bronze", "granted", "refused"),
        ("RA1", "credential:silver", "granted", "refused"),
        ("RA1", "credential:gold", "granted", "refused"),
        ("RA1", "form:buddying:lead", "granted", "refused"),
        ("RA1", "form:buddying:recipient", "refused", "granted"),
        ("RA1", "form:merger:lead", "granted", "refused"),
        ("RA1", "form:merger:recipient", "refused", "granted"),
    }
    for change in result.changes:
        assert change.causes == (
            Cause("criterion:good_quality", ("RA1",), "true", "false"),
            Cause("scale:rating", ("RA1",), None, None, ("`quality >= good`: true → false",)),
        )
    assert [(d.id, d.details) for d in result.declarations] == [
        (
            "scale:rating",
            (
                "levels: `inadequate < requires_improvement < good < outstanding` → "
                "`inadequate < requires_improvement < outstanding < good`",
            ),
        ),
        (
            "criterion:good_quality",
            ("requires: `quality >= good` (same text; a name or type it uses now means something else)",),
        ),
    ]


# ---- a change that changes no decision ------------------------------------------------------


def test_change_that_changes_no_decision(write_policy: Write, bundle_dir: Path) -> None:
    # threshold 80% -> 78%: no score lies in [0.78, 0.80).  A new title and a condition
    # re-wrapped over two lines mean nothing to a decision (the re-wrap is not even a change).
    new = variant(
        ("param threshold = 80%", "param threshold = 78%"),
        ('"Rated good or better"', '"Rated Good or Outstanding"'),
        ("  requires bronze and high_score", "  requires bronze\n       and high_score"),
    )
    result = diff(write_policy, bundle_dir, new)
    assert result.changes == ()
    assert [(d.id, d.decisive) for d in result.declarations] == [
        ("param:threshold", True),
        ("criterion:good_quality", False),
    ]
    assert result.by_cause() == {"param:threshold": 0}


def test_same_policy_no_changes(write_policy: Write, bundle_dir: Path) -> None:
    result = diff(write_policy, bundle_dir, BASE)
    assert result.declarations == () and result.changes == ()
    assert result.decisions_old == result.decisions_new == 5 * 7


# ---- pairs -----------------------------------------------------------------------------------


def test_changed_pair_condition(write_policy: Write, bundle_dir: Path) -> None:
    # merger pairs: `lead.region = recipient.region` -> `!=`.  Leads: RA1, RB2 (gold, North) and
    # RE5 (gold unknown, North); the only recipient is RD4 (South).  Same-region pairs were
    # refused (and make no record); now RA1 and RB2 are granted and RE5 undetermined.
    new = variant(("lead.region = recipient.region", "lead.region != recipient.region"))
    result = diff(write_policy, bundle_dir, new, pairs=True)
    assert table(result) == {
        ("RA1", "pair:merger:RA1:RD4", "refused", "granted"),
        ("RB2", "pair:merger:RB2:RD4", "refused", "granted"),
        ("RE5", "pair:merger:RE5:RD4", "refused", "undetermined"),
    }
    for change in result.changes:
        assert change.causes == (Cause("form:merger:pair", (change.provider, "RD4"), "false", "true"),)
    assert result.by_subject() == {"pair:merger": {"refused → granted": 2, "refused → undetermined": 1}}


def test_role_change_reaches_pairs(write_policy: Write, bundle_dir: Path) -> None:
    # threshold 86%: RB2 loses the merger lead role; its merger pair with RD4 was refused
    # already (North vs South), so only the role decisions change, not a pair.  Buddying is
    # untouched (bronze does not read the threshold).
    new = variant(("param threshold = 80%", "param threshold = 86%"))
    result = diff(write_policy, bundle_dir, new, pairs=True)
    assert not any(c.subject.startswith("pair:") for c in result.changes)
    assert len(result.changes) == 3


# ---- attribution details ------------------------------------------------------------------------


def test_fallback_names_every_changed_dependency(write_policy: Write, bundle_dir: Path) -> None:
    # If the truth comparison finds nothing (here: the param change is hidden from the
    # attributor), every changed declaration the decision depends on is named instead.
    new_text = variant(("param threshold = 80%", "param threshold = 86%"))
    old, new = (load_policy(write_policy(n, t)) for n, t in (("old", BASE), ("new", new_text)))
    evs = [evaluate_inputs(load_inputs(p, bundle_dir), AS_OF) for p in (old, new)]
    hidden = DeclChange("param:threshold", "param", "threshold", None, "changed", ("80% → 86%",), False)
    other = DeclChange("criterion:good_quality", "criterion", "good_quality", None, "changed", ("x",), True)
    attributor = Attributor(evs[0], evs[1], [hidden, other])
    got, how = attributor.attribute("credential:silver", "RB2", "granted", "refused")
    assert how == "fallback"
    assert got == (Cause("criterion:good_quality"),)


def test_short_change_keeps_the_difference() -> None:
    assert short_change("a and b", "a and c") == "`a and b` → `a and c`"
    # long texts keep the differing words, 3 words before and 2 after, and elide the rest
    old = "rated_good and well_led and no_inadequate and old_name and cancer_ok and access_ok and finance"
    new = old.replace("old_name", "new_name or other")
    assert short_change(old, new) == (
        "`... and no_inadequate and old_name and cancer_ok ...` → "
        "`... and no_inadequate and new_name or other and cancer_ok ...`"
    )
    # eliding a single word is not worth it
    old = "partner and good_in_every_question and meets_access_standards and not special_measures_finance"
    new = old.replace("access", "cancer")
    assert short_change(old, new) == f"`{old}` → `{new}`"


def test_deterministic_and_json_ready(write_policy: Write, bundle_dir: Path) -> None:
    new = variant(("requires quality >= good", "requires quality = outstanding"))
    a = diff(write_policy, bundle_dir, new)
    b = diff(write_policy, bundle_dir, new)
    assert json.dumps(a.to_json_dict()) == json.dumps(b.to_json_dict())
    assert dataclasses.replace(a, diagnostics=()) == dataclasses.replace(b, diagnostics=())
    keys = [(c.group, c.subject, c.provider) for c in a.changes]
    assert keys == sorted(keys)
