"""The resources of `AsyncDmiClient`: `resources`, awaited (the same requests from
`operations`, the same parsing; only the sending, sleeping and file writing differ)."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Any, Generic, TypeVar

from dmi_api_client import models
from dmi_api_client import operations as ops
from dmi_api_client.atransport import AsyncTransport as Transport
from dmi_api_client.errors import PreconditionFailedError
from dmi_api_client.operations import Id, Tagged
from dmi_api_client.paging import Page, Pager
from dmi_api_client.requests import ApiRequest, Body, ETagLike, ParamValue, change

T = TypeVar("T")


async def iterate(transport: Transport, pager: Pager[T]) -> AsyncIterator[T]:
    """Every item of every page, fetching each page when the previous one is used up."""
    while (request := pager.request()) is not None:
        for item in pager.accept((await transport.send(request)).json()).data:
            yield item


class Readable(Generic[T]):
    """A resource that lists and reads."""

    def __init__(self, transport: Transport, spec: ops.Spec[T]) -> None:
        self._t, self._spec = transport, spec

    def list(self, **params: ParamValue) -> AsyncIterator[T]:
        """Every item matching the filters (`updated_since`, `status`, `sort`, `limit` as page
        size...), following `next_cursor` page by page."""
        return iterate(self._t, self._spec.pager(params))

    async def page(self, **params: ParamValue) -> Page[T]:
        """One page (pass `cursor=page.next_cursor` for the next)."""
        pager = self._spec.pager(params)
        request = pager.request()
        assert request is not None
        return pager.accept((await self._t.send(request)).json())

    async def get(self, resource_id: Id) -> T:
        return self._spec.parse(await self._t.send(self._spec.get(resource_id)))

    async def get_tagged(self, resource_id: Id) -> Tagged[T]:
        """The representation with its ETag, for a conditional change."""
        return self._spec.tagged(await self._t.send(self._spec.get(resource_id)))


class Changeable(Readable[T]):
    """A resource changed and deleted conditionally (`If-Match`)."""

    async def update(self, resource_id: Id, patch: Body, *, if_match: ETagLike) -> T:
        """PATCH the version `if_match` names (ETag or version); `PreconditionFailedError` (412) if
        it changed since."""
        return self._spec.parse(await self._t.send(self._spec.update(resource_id, patch, if_match)))

    async def modify(
        self,
        resource_id: Id,
        change: Callable[[T], Body | Awaitable[Body | None] | None],
        *,
        attempts: int = 3,
    ) -> T:
        """Read, compute a patch from the current representation with `change` (None: nothing
        to do), PATCH it conditionally; on 412 read again and retry, `attempts` times at most."""
        for attempt in range(1, attempts + 1):
            current = await self.get_tagged(resource_id)
            patch = change(current.value)
            if inspect.isawaitable(patch):
                patch = await patch
            if patch is None:
                return current.value
            try:
                return await self.update(resource_id, patch, if_match=current.etag)
            except PreconditionFailedError:
                if attempt == attempts:
                    raise
        raise ValueError("attempts must be at least 1")

    async def delete(self, resource_id: Id, *, if_match: ETagLike) -> None:
        await self._t.send(self._spec.delete(resource_id, if_match))


class Records(Changeable[T]):
    """A resource of the records API: also created with `Idempotency-Key`, and versioned."""

    async def create(self, body: Body, *, idempotency_key: str | None = None) -> T:
        """Create; every attempt of this call sends the same `Idempotency-Key` (a new one
        unless given), so a retried POST creates one row."""
        return self._spec.parse(await self._t.send(self._spec.create(body, idempotency_key)))

    def versions(
        self, resource_id: Id, **params: ParamValue
    ) -> AsyncIterator[models.VersionPublic]:
        """Every version, oldest first."""
        return iterate(self._t, self._spec.versions(resource_id, params))


class Children(Records[models.ChildPublic]):
    async def progress(self, child_id: Id, **params: ParamValue) -> models.ProgressReport:
        """The progress report (`from_`, `to`): GMFM series, milestones, adherence, sessions."""
        return ops.PROGRESS.parse(await self._t.send(ops.PROGRESS.request(child_id, params)))

    async def progress_chart(self, child_id: Id, **params: ParamValue) -> bytes:
        """The progress report's chart, as SVG."""
        return (await self._t.send(ops.chart(self._spec, child_id, "progress", params))).content

    async def support_progression(
        self, child_id: Id, **params: ParamValue
    ) -> models.SupportProgression:
        return ops.SUPPORT.parse(await self._t.send(ops.SUPPORT.request(child_id, params)))

    async def milestone_windows(
        self, child_id: Id, **params: ParamValue
    ) -> list[models.MilestoneWindow]:
        return ops.WINDOWS.parse(await self._t.send(ops.WINDOWS.request(child_id, params)))

    async def due(self, child_id: Id) -> models.ChildDue:
        """The instruments due for this child, and when."""
        return ops.CHILD_DUE.parse(await self._t.send(ops.CHILD_DUE.request(child_id, {})))

    async def upsert_by_external_id(
        self,
        external_id: str,
        body: Body,
        *,
        if_match: ETagLike | None = None,
        idempotency_key: str | None = None,
    ) -> models.ChildPublic:
        """Create or replace the child with this EHR id (`if_match` to replace)."""
        request = ops.upsert_child(external_id, body, if_match, idempotency_key)
        return self._spec.parse(await self._t.send(request))


class Prescriptions(Records[models.PrescriptionPublic]):
    async def adherence(self, prescription_id: Id, **params: ParamValue) -> models.AdherenceReport:
        """How much of the prescribed home programme was done (`from_`, `to`)."""
        return ops.ADHERENCE.parse(
            await self._t.send(ops.ADHERENCE.request(prescription_id, params))
        )

    async def block_summary(self, prescription_id: Id) -> models.BlockSummary:
        return ops.BLOCKS.parse(await self._t.send(ops.BLOCKS.request(prescription_id, {})))


class Due:
    """What falls due across the clinic."""

    def __init__(self, transport: Transport) -> None:
        self._t = transport

    def list(self, **params: ParamValue) -> AsyncIterator[models.ClinicDueItem]:
        """Every item due before `before` (a date, required), page by page."""
        return iterate(self._t, ops.clinic_due(params))


class SessionRecords(Records[models.SessionRecordPublic]):
    async def sign(
        self, record_id: Id, body: Body, *, if_match: ETagLike
    ) -> models.SessionRecordPublic:
        return self._spec.parse(await self._t.send(ops.sign(record_id, body, if_match)))

    async def amend(
        self, record_id: Id, body: Body, *, idempotency_key: str | None = None
    ) -> models.AmendmentPublic:
        response = await self._t.send(ops.amend(record_id, body, idempotency_key))
        return models.AmendmentPublic.model_validate_json(response.content)

    async def batch(
        self, items: Sequence[models.BatchItem | Mapping[str, Any]]
    ) -> list[models.BatchResult]:
        """Upload records in batches of 100 (`operations.batch_item` makes an item); one
        result per item, in order: created, replayed, or refused alone with its problem (its
        `index` and pointers are places in `items`, whichever request carried it)."""
        results: list[models.BatchResult] = []
        for request in ops.batches(items):
            answer = ops.BATCH.validate_json((await self._t.send(request)).content)
            results += ops.batch_results(answer, len(results))
        return results


class Events:
    """The change-event feed (`events:read`)."""

    def __init__(self, transport: Transport) -> None:
        self._t = transport

    def list(self, **params: ParamValue) -> AsyncIterator[models.EventPublic]:
        """The events from `cursor` (or the oldest kept) until the feed is caught up."""
        return iterate(self._t, ops.events(params))

    async def page(self, **params: ParamValue) -> Page[models.EventPublic]:
        """One page; its `next_cursor` is where to poll from next, even when it is empty."""
        pager = ops.events(params)
        request = pager.request()
        assert request is not None
        return pager.accept((await self._t.send(request)).json())


class AuditEvents:
    """The clinic's audit trail (`audit:read`), newest first."""

    def __init__(self, transport: Transport) -> None:
        self._t = transport

    def list(self, **params: ParamValue) -> AsyncIterator[models.AuditEventPublic]:
        return iterate(self._t, ops.audit_events(params))


class Clients(Readable[models.ClientPublic]):
    """The clinic's API clients (`clients:admin`)."""

    async def create(self, body: Body) -> models.ClientCreated:
        """Register a client; the answer holds its secret, once."""
        response = await self._t.send(self._spec.create_unkeyed(body))
        return ops.CLIENT_CREATED.validate_json(response.content)

    async def update(self, client_id: Id, patch: Body) -> models.ClientPublic:
        return self._spec.parse(await self._t.send(self._spec.update(client_id, patch, None)))

    async def rotate_secret(self, client_id: Id) -> models.ClientSecret:
        response = await self._t.send(ops.action(f"{self._spec.item(client_id)}/rotate-secret"))
        return ops.CLIENT_SECRET.validate_json(response.content)


class WebhookEndpoints(Changeable[models.WebhookEndpointPublic]):
    """Webhook endpoints (`webhooks:admin`); their signing secret is shown on creation and
    rotation only."""

    async def create(self, body: Body) -> models.WebhookEndpointWithSecret:
        response = await self._t.send(self._spec.create_unkeyed(body))
        return ops.WEBHOOK_WITH_SECRET.validate_json(response.content)

    async def rotate_secret(
        self, endpoint_id: Id, body: Body | None = None
    ) -> models.WebhookEndpointWithSecret:
        response = await self._t.send(
            ops.action(f"{self._spec.item(endpoint_id)}/rotate-secret", body)
        )
        return ops.WEBHOOK_WITH_SECRET.validate_json(response.content)

    async def test(self, endpoint_id: Id) -> None:
        """Queue a `ping` delivery."""
        await self._t.send(ops.action(f"{self._spec.item(endpoint_id)}/test"))

    def deliveries(
        self, endpoint_id: Id, **params: ParamValue
    ) -> AsyncIterator[models.WebhookDeliveryPublic]:
        return iterate(self._t, ops.deliveries(endpoint_id, params))

    async def resend(self, endpoint_id: Id, delivery_id: Id) -> None:
        path = f"{self._spec.item(endpoint_id)}/deliveries/{delivery_id}/resend"
        await self._t.send(ops.action(path))


class ClinicSettings:
    """The clinic's settings (`settings:read`, `settings:write`)."""

    def __init__(self, transport: Transport) -> None:
        self._t = transport

    async def get_tagged(self) -> Tagged[models.ClinicSettingsPublic]:
        response = await self._t.send(ApiRequest("GET", ops.SETTINGS_PATH))
        return Tagged(
            ops.SETTINGS.validate_json(response.content), response.headers.get("etag", "")
        )

    async def put(self, body: Body, *, if_match: ETagLike) -> models.ClinicSettingsPublic:
        request = change("PUT", ops.SETTINGS_PATH, body, if_match=if_match)
        return ops.SETTINGS.validate_json((await self._t.send(request)).content)
