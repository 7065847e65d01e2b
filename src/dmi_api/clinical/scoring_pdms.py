"""PDMS-2 and PDMS-3 raw subtest totals with the examiner's manual's basal and ceiling.

Each subtest's items are numbered in order of difficulty and scored 0, 1 or 2. Testing starts at
the entry point for the child's age and establishes:

- a **basal**: the first three consecutive items scored 2. Every item below it that was not
  administered is credited 2 (the child is taken to master the easier items);
- a **ceiling**: the first three consecutive items scored 0 above the basal. Every item after
  it scores 0, including any administered past it (testing stops there).

A subtest whose testing did not begin at item 1 and that has no basal cannot be totalled as the
manual totals it: its raw total is of the items recorded only, and it is flagged
(`basal_established: false`), not silently reported as complete. Standard scores and quotients
come from licensed tables: they are reported exactly as the clinician entered them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dmi_api.clinical.scoring_common import score_of

# -r2: the basal and ceiling are applied (r1 summed the items sent).
PDMS_RULES = {"pdms2": "pdms2@2nd-ed-r2", "pdms3": "pdms3@3rd-ed-r2"}
PDMS_ENTERED = ("gmq", "fmq", "tmq")
RUN = 3  # consecutive items that make a basal (all 2) or a ceiling (all 0)
FULL, NONE = 2, 0


def _run_start(scored: Mapping[int, int], value: int, *, after: int = 0) -> int | None:
    """The first item n > `after` such that n, n+1, n+2 were all scored `value`."""
    for n in sorted(scored):
        if n > after and all(scored.get(n + k) == value for k in range(RUN)):
            return n
    return None


def score_subtest(scored: Mapping[int, int]) -> dict[str, Any]:
    """One subtest from its recorded items (item number -> score)."""
    basal = _run_start(scored, FULL)
    starts_at_one = 1 in scored  # nothing lies below item 1: no basal is needed
    ceiling = _run_start(scored, NONE, after=basal or 0)
    credited = 0 if basal is None else sum(1 for n in range(1, basal) if n not in scored)
    counted = {n: s for n, s in scored.items() if ceiling is None or n < ceiling + RUN}
    return {
        "raw": credited * FULL + sum(counted.values()),
        "items_scored": len(scored),
        "basal_item": basal,
        "ceiling_item": ceiling,
        "credited": credited,
        "past_ceiling": len(scored) - len(counted),
        "basal_established": basal is not None or starts_at_one,
    }


def score_pdms(
    rule: str, *, items: Mapping[str, object], entered: Mapping[str, object]
) -> dict[str, Any]:
    """Every subtest with items recorded, and the normed scores as entered."""
    recorded: dict[str, dict[int, int]] = {}
    for item_id, value in items.items():
        score = score_of(value)
        name, _, number = item_id.rpartition("-")  # ids are '<subtest>-<n>'
        if score is not None and number.isdigit():
            recorded.setdefault(name, {})[int(number)] = score
    standard = entered.get("standard_scores")
    result: dict[str, Any] = {
        "rule": rule,
        "subtests": {name: score_subtest(recorded[name]) for name in sorted(recorded)},
        "standard_scores": dict(standard) if isinstance(standard, Mapping) else None,
    }
    for name in PDMS_ENTERED:
        result[name] = entered.get(name)
    return result
