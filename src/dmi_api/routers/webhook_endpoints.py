"""`/v1/webhook-endpoints`: a clinic's webhook endpoints, their signing secrets and their
delivery log (scope `webhooks:admin`)."""

from __future__ import annotations

import uuid
from functools import partial
from typing import Annotated

from fastapi import Query, Request, Response

from dmi_api.auth.dependencies import Caller, require
from dmi_api.auth.scopes import WEBHOOKS_ADMIN
from dmi_api.http.conditional import etag, require_if_match
from dmi_api.models.webhooks import WebhookEndpoint
from dmi_api.routers import make_router
from dmi_api.routers.resource_support import IfMatch, Pager, versioned_response
from dmi_api.schemas.common import Page
from dmi_api.schemas.webhooks import (
    DeliveryStatus,
    SecretRotation,
    WebhookDeliveryPublic,
    WebhookEndpointCreate,
    WebhookEndpointPublic,
    WebhookEndpointUpdate,
    WebhookEndpointWithSecret,
)
from dmi_api.services import webhook_endpoints as service
from dmi_api.webhooks.secrets import SecretBox

PREFIX = "/v1/webhook-endpoints"
router = make_router(tag="webhooks", prefix=PREFIX)
RESOURCE = "webhook_endpoint"
DELIVERY = "webhook_delivery"
WebhooksAdmin = Annotated[Caller, require(WEBHOOKS_ADMIN)]


def _outbound(request: Request) -> service.Outbound:
    settings = request.app.state.settings
    return service.Outbound(
        box=SecretBox(settings.secret_key.get_secret_value()),
        allow_loopback=settings.webhook_allow_loopback,
    )


def _with_secret(endpoint: WebhookEndpoint, secret: str) -> WebhookEndpointWithSecret:
    return WebhookEndpointWithSecret(**service.to_public(endpoint).model_dump(), secret=secret)


@router.get("", response_model=Page[WebhookEndpointPublic], summary="List webhook endpoints")
async def list_webhook_endpoints(
    caller: WebhooksAdmin, pager: Pager
) -> Page[WebhookEndpointPublic]:
    """The clinic's webhook endpoints, oldest first (never their secrets)."""
    read = partial(service.list_endpoints, caller.tenant)
    return await pager.page(caller, RESOURCE, read, service.to_public)


@router.post(
    "",
    status_code=201,
    response_model=WebhookEndpointWithSecret,
    summary="Register a webhook endpoint",
)
async def create_webhook_endpoint(
    caller: WebhooksAdmin, request: Request, payload: WebhookEndpointCreate, response: Response
) -> WebhookEndpointWithSecret:
    """Register a receiver of the clinic's events. The URL must be https:// on a public host
    (its name is resolved now, and again at every delivery). The signing `secret` is in this
    response only: keep it to verify deliveries."""
    endpoint, secret = await service.create_endpoint(
        caller.tenant,
        payload=payload,
        outbound=_outbound(request),
        client_id=caller.principal.client_id,
    )
    caller.audit("create", RESOURCE, outcome=201, resource_id=endpoint.id)
    response.headers["Location"] = f"{PREFIX}/{endpoint.id}"
    response.headers["ETag"] = etag(endpoint.version)
    return _with_secret(endpoint, secret)


@router.get(
    "/{endpoint_id}", response_model=WebhookEndpointPublic, summary="Get a webhook endpoint"
)
async def get_webhook_endpoint(
    caller: WebhooksAdmin, request: Request, endpoint_id: uuid.UUID
) -> Response:
    """One endpoint, with its ETag (`If-None-Match` → 304); never its secret."""
    endpoint = await service.get_endpoint(caller.tenant, endpoint_id)
    caller.audit("read", RESOURCE, resource_id=endpoint.id)
    return versioned_response(request, endpoint.version, service.to_public(endpoint))


@router.patch(
    "/{endpoint_id}", response_model=WebhookEndpointPublic, summary="Change a webhook endpoint"
)
async def update_webhook_endpoint(
    caller: WebhooksAdmin,
    request: Request,
    endpoint_id: uuid.UUID,
    payload: WebhookEndpointUpdate,
    if_match: IfMatch = None,
) -> Response:
    """Change the fields sent; needs `If-Match`. `status: disabled` stops deliveries
    (`disabled_reason: manual`); `status: active` resumes them and forgets past failures."""
    current = await service.get_endpoint(caller.tenant, endpoint_id)
    url = await service.new_url(current, payload, _outbound(request))  # before any lock
    endpoint = await service.get_endpoint(caller.tenant, endpoint_id, for_update=True)
    require_if_match(request, endpoint.version)
    endpoint, changed = await service.update_endpoint(
        caller.tenant, endpoint=endpoint, changes=payload, url=url
    )
    # A change of nothing showed the endpoint, and changed nothing: a read.
    caller.audit("update" if changed else "read", RESOURCE, resource_id=endpoint.id)
    return versioned_response(request, endpoint.version, service.to_public(endpoint))


@router.delete("/{endpoint_id}", status_code=204, summary="Delete a webhook endpoint")
async def delete_webhook_endpoint(
    caller: WebhooksAdmin, request: Request, endpoint_id: uuid.UUID, if_match: IfMatch = None
) -> Response:
    """Delete the endpoint and its delivery log (nothing more is sent to it); needs
    `If-Match`."""
    endpoint = await service.get_endpoint(caller.tenant, endpoint_id, for_update=True)
    require_if_match(request, endpoint.version)
    await service.delete_endpoint(caller.tenant, endpoint=endpoint)
    caller.audit("delete", RESOURCE, outcome=204, resource_id=endpoint_id)
    return Response(status_code=204)


@router.post(
    "/{endpoint_id}/rotate-secret",
    response_model=WebhookEndpointWithSecret,
    summary="Rotate a webhook endpoint's signing secret",
)
async def rotate_webhook_secret(
    caller: WebhooksAdmin,
    request: Request,
    endpoint_id: uuid.UUID,
    payload: SecretRotation | None = None,
) -> Response:
    """A new signing `secret`, in this response only. During `overlap_seconds` (default
    86400, 24 h) deliveries carry a signature by each secret, so that receivers can switch
    without losing one; `secret_rotation` says until when."""
    rotation = payload or SecretRotation()
    endpoint = await service.get_endpoint(caller.tenant, endpoint_id, for_update=True)
    secret = await service.rotate_secret(
        caller.tenant,
        endpoint=endpoint,
        overlap_seconds=rotation.overlap_seconds,
        outbound=_outbound(request),
    )
    caller.audit("update", RESOURCE, resource_id=endpoint.id)
    return versioned_response(request, endpoint.version, _with_secret(endpoint, secret))


@router.post(
    "/{endpoint_id}/test",
    status_code=202,
    response_model=WebhookDeliveryPublic,
    summary="Send a test ping to a webhook endpoint",
)
async def test_webhook_endpoint(
    caller: WebhooksAdmin, endpoint_id: uuid.UUID
) -> WebhookDeliveryPublic:
    """Queue a `ping` event to the endpoint (sent and signed like any delivery, also to a
    disabled endpoint); follow it in the delivery log."""
    endpoint = await service.get_endpoint(caller.tenant, endpoint_id)
    delivery = await service.send_ping(caller.tenant, endpoint=endpoint)
    caller.audit("update", RESOURCE, outcome=202, resource_id=endpoint.id)
    return service.delivery_public(delivery)


@router.get(
    "/{endpoint_id}/deliveries",
    response_model=Page[WebhookDeliveryPublic],
    summary="List a webhook endpoint's deliveries",
)
async def list_webhook_deliveries(
    *,
    caller: WebhooksAdmin,
    endpoint_id: uuid.UUID,
    status: Annotated[DeliveryStatus | None, Query(description="only deliveries in it")] = None,
    pager: Pager,
) -> Page[WebhookDeliveryPublic]:
    """The endpoint's delivery log, newest first: each event's attempts, last status code and
    latency, and when the next attempt is due."""
    endpoint = await service.get_endpoint(caller.tenant, endpoint_id)
    read = partial(service.list_deliveries, caller.tenant, endpoint, status)
    context = f"{DELIVERY}:{endpoint.id}:{status}"
    return await pager.page(caller, DELIVERY, read, service.delivery_public, context=context)


@router.post(
    "/{endpoint_id}/deliveries/{delivery_id}/resend",
    status_code=202,
    response_model=WebhookDeliveryPublic,
    summary="Send a delivery again",
)
async def resend_webhook_delivery(
    caller: WebhooksAdmin, endpoint_id: uuid.UUID, delivery_id: uuid.UUID
) -> WebhookDeliveryPublic:
    """Make the delivery due again now (`pending`; its attempts so far are counted on), e.g.
    after a receiver's outage outlasted the retries."""
    endpoint = await service.get_endpoint(caller.tenant, endpoint_id)
    delivery = await service.resend(caller.tenant, endpoint=endpoint, delivery_id=delivery_id)
    caller.audit("update", DELIVERY, outcome=202, resource_id=delivery.id)
    return service.delivery_public(delivery)
