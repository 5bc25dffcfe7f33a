"""Hand-made policies and a small bundle for the diff tests (fixtures in conftest.py).

Five invented providers (codes are made up), evaluated as of 2025-06-30:

====  =======================  =====  ======  ============================================
code  quality (latest)         score  region  arrangements led (active)
====  =======================  =====  ======  ============================================
RA1   outstanding              0.90   North   2 (buddying, from 2024-01-01 and 2024-06-01)
RB2   good                     0.85   North   0
RC3   good                     0.75   South   0
RD4   requires_improvement     0.95   South   0
RE5   good                     (none) North   0
====  =======================  =====  ======  ============================================

Under BASE (threshold 80%, cap 3 in force from 2024-01-01):

* bronze (good_quality): RA1 RB2 RC3 RE5 granted, RD4 refused.
* silver (bronze and high_score): RA1 RB2 granted, RC3 RD4 refused, RE5 undetermined (no score).
* gold (silver and small): RA1 (2 < 3) and RB2 granted, RE5 undetermined, RC3 RD4 refused.
* buddying lead = bronze; recipient = not good_quality: only RD4.
* merger lead = gold; recipient = not good_quality: only RD4; pair in one region:
  RA1/RB2 (North) → RD4 (South) refused.
"""

from __future__ import annotations

import datetime as dt

AS_OF = dt.date(2025, 6, 30)

BASE = """\
policy base "Diff test policy"
  version "1"
  effective 2020-01-01

scale rating: inadequate < requires_improvement < good < outstanding
attribute region: text
measure quality: rating
measure score: percent

param threshold = 80%
param cap = 2
  from 2024-01-01 = 3

criterion good_quality "Rated good or better"
  requires quality >= good

criterion high_score
  requires score >= threshold

criterion small
  requires count arrangements led < cap

credential bronze
  requires good_quality

credential silver
  requires bronze and high_score

credential gold
  requires silver and small

form buddying
  change low
  lead requires bronze
  recipient requires not good_quality

form merger
  change high
  lead requires gold
  recipient requires not good_quality
  pair requires lead.region = recipient.region
"""

PROVIDERS = """\
code,name,region
RA1,Alpha Trust,North
RB2,Beta Trust,North
RC3,Gamma Trust,South
RD4,Delta Trust,South
RE5,Epsilon Trust,North
"""

OBSERVATIONS = """\
code,measure,period_end,value
RA1,quality,2023-01-01,outstanding
RA1,score,2025-03-31,0.90
RB2,quality,2023-01-01,good
RB2,score,2025-03-31,0.85
RC3,quality,2023-01-01,good
RC3,score,2025-03-31,0.75
RD4,quality,2023-01-01,requires_improvement
RD4,score,2025-03-31,0.95
RE5,quality,2023-01-01,good
"""

ARRANGEMENTS = """\
lead,recipient,form,start,end
RA1,RD4,buddying,2024-01-01,
RA1,RC3,buddying,2024-06-01,
"""


def variant(*edits: tuple[str, str]) -> str:
    """BASE with each (old, new) text replaced exactly once."""
    text = BASE
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text
