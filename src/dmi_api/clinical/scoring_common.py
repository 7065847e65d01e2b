"""Helpers shared by the instrument scorers."""

from __future__ import annotations

from collections.abc import Mapping


def score_of(value: object) -> int | None:
    """The numeric score of an item, or None for "NT" and anything that is not an int."""
    # `bool` is an int subclass; validation already rejects it, this keeps the rule local.
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


def sum_scores(items: Mapping[str, object], ids: list[str]) -> tuple[int, int]:
    """Raw total and number of numerically scored items among `ids`; absent and NT count 0."""
    raw = 0
    scored = 0
    for item_id in ids:
        score = score_of(items.get(item_id))
        if score is not None:
            raw += score
            scored += 1
    return raw, scored
