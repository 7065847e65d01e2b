"""The operations beyond create, read, list and update, against the served app: the upsert by
EHR id, signing and amending a session record, clients' secrets, the clinic's settings."""

from __future__ import annotations

import uuid

from dmi_api_client import DmiClient, models


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
