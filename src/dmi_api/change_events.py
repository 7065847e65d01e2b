"""The change events' vocabulary: every event type, and which one a change is.

An event names what changed (type, resource, version, the names of the fields that changed),
never the values: a receiver reads the resource with its own token.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_CRUD = ("created", "updated", "deleted")
EVENT_TYPES: dict[str, tuple[str, ...]] = {
    "child": _CRUD,
    "practitioner": _CRUD,
    "exercise": _CRUD,
    "milestone": _CRUD,
    "prescription": ("created", "updated", "status_changed", "deleted"),
    "session_record": ("created", "updated", "signed", "amended", "deleted"),
    # `due`: an instrument of a child fell due (`services.due_notices`); its resource is the
    # child, its `changed_fields` the instrument.
    "assessment": ("created", "updated", "finalized", "scored", "deleted", "due"),
    "client": ("created", "updated"),
    # Written by the delivery worker when an endpoint has failed everything for five days.
    "webhook_endpoint": ("disabled",),
}
ALL_EVENT_TYPES = tuple(
    f"{resource}.{verb}" for resource, verbs in EVENT_TYPES.items() for verb in verbs
)
# Fields every change moves: not news in `changed_fields`.
_BOOKKEEPING = frozenset({"id", "version", "created_at", "updated_at"})


def changed_fields(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> list[str]:
    """The top-level fields whose value differs from the previous version (none for a first
    version: everything is new), in name order."""
    if before is None:
        return []
    names = (before.keys() | after.keys()) - _BOOKKEEPING
    return sorted(name for name in names if before.get(name) != after.get(name))


def event_type(
    resource_type: str,
    action: str,
    changed: list[str],
    after: Mapping[str, Any],
    *,
    amended: bool = False,
) -> str:
    """The event a change emits: `created`/`deleted` by its action, else the most telling verb
    the resource has for the fields that changed, else `updated`."""
    verbs = EVENT_TYPES[resource_type]
    if action == "create" and not amended:
        verb = "created"
    elif action == "delete":
        verb = "deleted"
    elif amended:
        verb = "amended"
    elif "signed_at" in changed and after.get("signed_at") is not None:
        verb = "signed"
    elif "status" in changed and "finalized" in verbs and after.get("status") == "final":
        verb = "finalized"
    elif changed and set(changed) <= {"scores", "warnings"}:
        verb = "scored"
    elif "status" in changed:
        verb = "status_changed"
    else:
        verb = "updated"
    return f"{resource_type}.{verb if verb in verbs else 'updated'}"
