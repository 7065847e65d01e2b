"""Webhook verification against deliveries the served app signed (`dmi-api worker` delivering
to a loopback receiver): the payload of a genuine delivery, refusals of a changed body, another
secret, a stale timestamp; during a secret rotation either secret verifies."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator

import pytest

from dmi_api_client import DmiClient, WebhookVerificationError, models, verify_webhook
from tests.support.receiver import Delivery, Receiver, receiving


@pytest.fixture
def endpoint(dmi: DmiClient) -> Iterator[tuple[Receiver, models.WebhookEndpointWithSecret]]:
    with receiving() as receiver:
        made = dmi.webhook_endpoints.create(
            models.WebhookEndpointCreate(url=receiver.url, event_types=["child.created"])
        )
        try:
            yield receiver, made
        finally:
            current = dmi.webhook_endpoints.get_tagged(made.id)
            dmi.webhook_endpoints.delete(made.id, if_match=current.etag)


def _about(resource_id: uuid.UUID) -> Callable[[Delivery], bool]:
    return lambda d: json.loads(d.body).get("resource", {}).get("id") == str(resource_id)


def test_a_delivery_the_server_signed_verifies(
    dmi: DmiClient, endpoint: tuple[Receiver, models.WebhookEndpointWithSecret]
) -> None:
    receiver, made = endpoint
    child = dmi.children.create(
        {"given_name": "Hook", "family_name": "Receiver", "birth_date": "2024-01-01", "sex": "male"}
    )
    delivery = receiver.wait_for(_about(child.id))
    event = verify_webhook(made.secret, delivery.headers, delivery.body)
    assert event["type"] == "child.created"
    assert event["resource"]["id"] == str(child.id)
    assert models.EventPublic.model_validate(event).resource.path == f"/v1/children/{child.id}"
    logged = list(dmi.webhook_endpoints.deliveries(made.id))
    assert [d.event_id for d in logged if str(d.event_id) == event["id"]]

    with pytest.raises(WebhookVerificationError, match="no signature"):
        verify_webhook(made.secret, delivery.headers, delivery.body.replace(b"child", b"chilD"))
    other = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY="
    with pytest.raises(WebhookVerificationError, match="no signature"):
        verify_webhook(other, delivery.headers, delivery.body)
    sent = int(delivery.headers["webhook-timestamp"])
    with pytest.raises(WebhookVerificationError, match="timestamp"):
        verify_webhook(made.secret, delivery.headers, delivery.body, now=sent + 3600)
    headers = {k: v for k, v in delivery.headers.items() if k.lower() != "webhook-id"}
    with pytest.raises(WebhookVerificationError, match="webhook-id"):
        verify_webhook(made.secret, headers, delivery.body)


def test_either_secret_verifies_during_a_rotation(
    dmi: DmiClient, endpoint: tuple[Receiver, models.WebhookEndpointWithSecret]
) -> None:
    receiver, made = endpoint
    rotated = dmi.webhook_endpoints.rotate_secret(made.id)
    assert rotated.secret != made.secret
    assert rotated.secret_rotation is not None
    before = time.time()
    dmi.webhook_endpoints.test(made.id)
    ping = receiver.wait_for(lambda d: int(d.headers["webhook-timestamp"]) >= int(before) - 1)
    assert len(ping.headers["webhook-signature"].split()) == 2
    for secret in (made.secret, rotated.secret, [made.secret, rotated.secret]):
        verify_webhook(secret, ping.headers, ping.body)
