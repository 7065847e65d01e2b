"""ETags and `If-Match` against the served app: a stale ETag is 412; `modify` reads again and
retries when another writer got there first."""

from __future__ import annotations

import uuid

import pytest

from dmi_api_client import AsyncDmiClient, DmiClient, PreconditionFailedError, models


def _child(dmi: DmiClient) -> models.ChildPublic:
    body = models.ChildCreate(
        given_name="Etag",
        family_name=f"E{uuid.uuid4().hex[:8]}",
        birth_date="2024-02-02",
        sex="female",
    )
    return dmi.children.create(body)


def test_update_with_a_stale_etag_is_412(dmi: DmiClient) -> None:
    child = _child(dmi)
    tagged = dmi.children.get_tagged(child.id)
    assert tagged.etag == '"1"'
    changed = dmi.children.update(
        child.id, models.ChildPatch(status="on_hold"), if_match=tagged.etag
    )
    assert changed.version == 2
    with pytest.raises(PreconditionFailedError) as raised:
        dmi.children.update(child.id, {"status": "active"}, if_match=tagged.etag)
    assert raised.value.status == 412
    assert dmi.children.get(child.id).status == "on_hold"


def test_modify_reads_again_after_a_412(dmi: DmiClient) -> None:
    child = _child(dmi)
    calls: list[int] = []

    def note(current: models.ChildPublic) -> dict[str, str]:
        calls.append(current.version)
        if len(calls) == 1:  # another writer changes the child in between
            dmi.children.update(child.id, {"preferred_name": "Other"}, if_match=current.version)
        return {"status": "discharged"}

    final = dmi.children.modify(child.id, note)
    assert calls == [1, 2]
    assert (final.status, final.preferred_name, final.version) == ("discharged", "Other", 3)


def test_modify_with_nothing_to_change_writes_nothing(dmi: DmiClient) -> None:
    child = _child(dmi)
    assert dmi.children.modify(child.id, lambda current: None).version == 1


async def test_async_modify_and_delete(admi: AsyncDmiClient, dmi: DmiClient) -> None:
    child = _child(dmi)
    changed = await admi.children.modify(child.id, lambda c: {"status": "on_hold"})
    assert changed.version == 2
    with pytest.raises(PreconditionFailedError):
        await admi.children.delete(child.id, if_match=1)
    await admi.children.delete(child.id, if_match=changed.version)
