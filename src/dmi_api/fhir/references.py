"""References between resources: the ones a resource makes, and the resource without those that
name a deleted one (a record keeps what happened; its link to a deleted row goes)."""

from __future__ import annotations

from typing import Any


def references(value: Any, found: set[str] | None = None) -> set[str]:
    """Every `reference` (`Type/id`) in a resource, at any depth."""
    found = set() if found is None else found
    if isinstance(value, dict):
        reference = value.get("reference")
        if isinstance(reference, str):
            found.add(reference)
        for item in value.values():
            if isinstance(item, dict | list):
                references(item, found)
    elif isinstance(value, list):
        for item in value:
            references(item, found)
    return found


def without(value: Any, dead: set[str]) -> Any:
    """The value without what names a dead reference: an element of a list that holds one is
    left out of its list (a participant, a performer, a `basedOn`), a key whose value holds one
    is left out of its object (an `author`, a `requester`); a list or object left empty goes too."""
    if isinstance(value, dict):
        kept = {}
        for key, item in value.items():
            if key == "reference" and isinstance(item, str) and item in dead:
                return None
            if isinstance(item, dict | list):
                item = without(item, dead)
                if item is None:
                    continue
            kept[key] = item
        return kept or None
    if isinstance(value, list):
        items = [without(item, dead) if isinstance(item, dict | list) else item for item in value]
        kept_items = [item for item in items if item is not None]
        return kept_items or None
    return value
