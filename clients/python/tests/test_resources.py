"""The operations beyond create, read, list and update, against the served app: the upsert by
EHR id, signing and amending a session record, batch uploads, clients' secrets, the clinic's
settings."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from dmi_api_client import AsyncDmiClient, DmiClient, batch_item, models
from tests.support.proxy import Proxy
from tests.support.served import Served


def test_upsert_sign_and_amend(dmi: DmiClient) -> None:
    mrn = f"MRN-{uuid.uuid4().hex[:10]}"
    body = models.ChildReplace(
        given_name="Upsert", family_name="Ehr", birth_date="2024-06-01", sex="male", status="active"
    )
    created = dmi.children.upsert_by_external_id(mrn, body)
    assert (created.external_id, created.version) == (mrn, 1)
    replaced = dmi.children.upsert_by_external_id(
        mrn, body.model_copy(update={"status": "on_hold"}), if_match=created.version
    )
    assert (replaced.id, replaced.version, replaced.status) == (created.id, 2, "on_hold")

    practitioner = dmi.practitioners.create({"name": "Ana Ruiz", "discipline": "PT"})
    record = dmi.session_records.create(
        {
            "child_id": str(created.id),
            "practitioner_id": str(practitioner.id),
            "type": "dmi",
            "setting": "clinic",
            "started_at": "2026-03-04T09:00:00+01:00",
            "duration_minutes": 45,
        }
    )
    signed = dmi.session_records.sign(
        record.id, models.SignRequest(signed_by=practitioner.id), if_match=record.version
    )
    assert signed.signed_at is not None
    amendment = dmi.session_records.amend(
        record.id,
        {"reason": "correction", "text": "45 minutes, not 40", "author_id": str(practitioner.id)},
    )
    assert isinstance(amendment, models.AmendmentPublic)


def test_clients_and_settings(dmi: DmiClient) -> None:
    made = dmi.clients.create(models.ClientCreate(name="temporary", scopes=["children:read"]))
    assert made.client_secret
    rotated = dmi.clients.rotate_secret(made.client_id)
    assert rotated.client_secret != made.client_secret
    disabled = dmi.clients.update(made.client_id, models.ClientUpdate(name="gone", active=False))
    assert (disabled.name, disabled.active) == ("gone", False)
    assert made.client_id in {c.client_id for c in dmi.clients.list()}

    tagged = dmi.clinic_settings.get_tagged()
    same = tagged.value.model_dump(mode="json", exclude={"version", "updated_at"})
    saved = dmi.clinic_settings.put(same, if_match=tagged.etag)
    assert saved.version == tagged.value.version + 1


async def test_a_batch_of_more_than_100_points_into_the_callers_items(
    dmi: DmiClient, admi: AsyncDmiClient
) -> None:
    # Sent as requests of 100: a refusal in the second one names the item by its place in the
    # list the caller passed, in `index` and in the problem's pointers alike.
    child = dmi.children.create(
        {"given_name": "Logs", "family_name": "Batch", "birth_date": "2024-02-02", "sex": "male"}
    )
    at = datetime(2026, 11, 1, 17, 30, tzinfo=UTC)

    def log(minutes: int) -> models.SessionRecordCreate:
        return models.SessionRecordCreate(
            child_id=child.id,
            type="home_practice",
            setting="home",
            started_at=at,
            duration_minutes=minutes,
        )

    reused = f"phone-{uuid.uuid4().hex}"
    items = [batch_item(log(10)) for _ in range(102)]
    items[70] = batch_item(log(10), idempotency_key=reused)
    items[101] = batch_item(log(25), idempotency_key=reused)  # the same key, another record
    items[100] = models.BatchItem(idempotency_key=uuid.uuid4().hex, record={"child_id": "x"})
    for results in (dmi.session_records.batch(items), await admi.session_records.batch(items)):
        assert [r.index for r in results] == list(range(102))
        assert [r.status for r in results[99:]] == [201, 422, 422]
        for index in (100, 101):
            problem = results[index].problem
            assert problem is not None
            pointers = {e["pointer"] for e in problem["errors"]}
            assert all(p.startswith(f"#/items/{index}/") for p in pointers), pointers


def test_the_upsert_keeps_the_mrn_out_of_the_url(served: Served, proxy: Proxy) -> None:
    # An MRN in a URL is PHI in every proxy's and access log: the upsert sends it in the body.
    mrn = f"MRN-{uuid.uuid4().hex[:10]}"
    body = models.ChildReplace(
        given_name="Url", family_name="Ehr", birth_date="2024-06-01", sex="male", status="active"
    )
    with DmiClient(proxy.url, served.secret) as dmi:
        created = dmi.children.upsert_by_external_id(mrn, body)
        on_hold = {**body.model_dump(mode="json", exclude_none=True), "status": "on_hold"}
        replaced = dmi.children.upsert_by_external_id(mrn, on_hold, if_match=created.version)
    assert (created.external_id, replaced.id, replaced.status) == (mrn, created.id, "on_hold")
    assert len(proxy.seen_at("PUT /v1/children/by-external-id")) == 2
    assert not [s.path for s in proxy.seen if mrn in s.path]
