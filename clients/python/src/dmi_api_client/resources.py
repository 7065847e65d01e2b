"""The resources of `DmiClient` (synchronous). Each method builds its request with
`operations`, sends it with the transport and parses the answer into the generated models;
`aresources` is the same, awaited."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Generic, TypeVar

from dmi_api_client import models
from dmi_api_client import operations as ops
from dmi_api_client.errors import PreconditionFailedError
from dmi_api_client.operations import Id, Tagged
from dmi_api_client.paging import Page, Pager
from dmi_api_client.requests import ApiRequest, Body, ETagLike, ParamValue, change
from dmi_api_client.transport import Transport

T = TypeVar("T")


def iterate(transport: Transport, pager: Pager[T]) -> Iterator[T]:
    """Every item of every page, fetching each page when the previous one is used up."""
    while (request := pager.request()) is not None:
        yield from pager.accept(transport.send(request).json()).data


class Readable(Generic[T]):
    """A resource that lists and reads."""

    def __init__(self, transport: Transport, spec: ops.Spec[T]) -> None:
        self._t, self._spec = transport, spec

    def list(self, **params: ParamValue) -> Iterator[T]:
        """Every item matching the filters (`updated_since`, `status`, `sort`, `limit` as page
        size...), following `next_cursor` page by page."""
        return iterate(self._t, self._spec.pager(params))

    def page(self, **params: ParamValue) -> Page[T]:
        """One page (pass `cursor=page.next_cursor` for the next)."""
        pager = self._spec.pager(params)
        request = pager.request()
        assert request is not None
        return pager.accept(self._t.send(request).json())

    def get(self, resource_id: Id) -> T:
        return self._spec.parse(self._t.send(self._spec.get(resource_id)))

    def get_tagged(self, resource_id: Id) -> Tagged[T]:
        """The representation with its ETag, for a conditional change."""
        return self._spec.tagged(self._t.send(self._spec.get(resource_id)))


class Changeable(Readable[T]):
    """A resource changed and deleted conditionally (`If-Match`)."""

    def update(self, resource_id: Id, patch: Body, *, if_match: ETagLike) -> T:
        """PATCH the version `if_match` names (ETag or version); `PreconditionFailedError` (412) if
        it changed since."""
        return self._spec.parse(self._t.send(self._spec.update(resource_id, patch, if_match)))

    def modify(
        self, resource_id: Id, change: Callable[[T], Body | None], *, attempts: int = 3
    ) -> T:
        """Read, compute a patch from the current representation with `change` (None: nothing
        to do), PATCH it conditionally; on 412 read again and retry, `attempts` times at most."""
        for attempt in range(1, attempts + 1):
            current = self.get_tagged(resource_id)
            patch = change(current.value)
            if patch is None:
                return current.value
            try:
                return self.update(resource_id, patch, if_match=current.etag)
            except PreconditionFailedError:
                if attempt == attempts:
                    raise
        raise ValueError("attempts must be at least 1")

    def delete(self, resource_id: Id, *, if_match: ETagLike) -> None:
        self._t.send(self._spec.delete(resource_id, if_match))


class Records(Changeable[T]):
    """A resource of the records API: also created with `Idempotency-Key`, and versioned."""

    def create(self, body: Body, *, idempotency_key: str | None = None) -> T:
        """Create; every attempt of this call sends the same `Idempotency-Key` (a new one
        unless given), so a retried POST creates one row."""
        return self._spec.parse(self._t.send(self._spec.create(body, idempotency_key)))

    def versions(self, resource_id: Id, **params: ParamValue) -> Iterator[models.VersionPublic]:
        """Every version, oldest first."""
        return iterate(self._t, self._spec.versions(resource_id, params))


class Children(Records[models.ChildPublic]):
    def progress(self, child_id: Id, **params: ParamValue) -> models.ProgressReport:
        """The progress report (`from_`, `to`): GMFM series, milestones, adherence, sessions."""
        return ops.PROGRESS.parse(self._t.send(ops.PROGRESS.request(child_id, params)))

    def progress_chart(self, child_id: Id, **params: ParamValue) -> bytes:
        """The progress report's chart, as SVG."""
        return self._t.send(ops.chart(self._spec, child_id, "progress", params)).content

    def support_progression(self, child_id: Id, **params: ParamValue) -> models.SupportProgression:
        return ops.SUPPORT.parse(self._t.send(ops.SUPPORT.request(child_id, params)))

    def milestone_windows(self, child_id: Id, **params: ParamValue) -> list[models.MilestoneWindow]:
        return ops.WINDOWS.parse(self._t.send(ops.WINDOWS.request(child_id, params)))

    def due(self, child_id: Id) -> models.ChildDue:
        """The instruments due for this child, and when."""
        return ops.CHILD_DUE.parse(self._t.send(ops.CHILD_DUE.request(child_id, {})))

    def upsert_by_external_id(
        self,
        external_id: str,
        body: Body,
        *,
        if_match: ETagLike | None = None,
        idempotency_key: str | None = None,
    ) -> models.ChildPublic:
        """Create or replace the child with this EHR id (`if_match` to replace)."""
        request = ops.upsert_child(external_id, body, if_match, idempotency_key)
        return self._spec.parse(self._t.send(request))


class Prescriptions(Records[models.PrescriptionPublic]):
    def adherence(self, prescription_id: Id, **params: ParamValue) -> models.AdherenceReport:
        """How much of the prescribed home programme was done (`from_`, `to`)."""
        return ops.ADHERENCE.parse(self._t.send(ops.ADHERENCE.request(prescription_id, params)))

    def block_summary(self, prescription_id: Id) -> models.BlockSummary:
        return ops.BLOCKS.parse(self._t.send(ops.BLOCKS.request(prescription_id, {})))


class Due:
    """What falls due across the clinic."""

    def __init__(self, transport: Transport) -> None:
        self._t = transport

    def list(self, **params: ParamValue) -> Iterator[models.ClinicDueItem]:
        """Every item due before `before` (a date, required), page by page."""
        return iterate(self._t, ops.clinic_due(params))


class SessionRecords(Records[models.SessionRecordPublic]):
    def sign(self, record_id: Id, body: Body, *, if_match: ETagLike) -> models.SessionRecordPublic:
        return self._spec.parse(self._t.send(ops.sign(record_id, body, if_match)))

    def amend(
        self, record_id: Id, body: Body, *, idempotency_key: str | None = None
    ) -> models.AmendmentPublic:
        response = self._t.send(ops.amend(record_id, body, idempotency_key))
        return models.AmendmentPublic.model_validate_json(response.content)

    def batch(
        self, items: Sequence[models.BatchItem | Mapping[str, Any]]
    ) -> list[models.BatchResult]:
        """Upload records in batches of 100 (`operations.batch_item` makes an item); one
        result per item, in order: created, replayed, or refused alone with its problem (its
        `index` and pointers are places in `items`, whichever request carried it)."""
        results: list[models.BatchResult] = []
        for request in ops.batches(items):
            answer = ops.BATCH.validate_json(self._t.send(request).content)
            results += ops.batch_results(answer, len(results))
        return results


class Events:
    """The change-event feed (`events:read`)."""

    def __init__(self, transport: Transport) -> None:
        self._t = transport

    def list(self, **params: ParamValue) -> Iterator[models.EventPublic]:
        """The events from `cursor` (or the oldest kept) until the feed is caught up."""
        return iterate(self._t, ops.events(params))

    def page(self, **params: ParamValue) -> Page[models.EventPublic]:
        """One page; its `next_cursor` is where to poll from next, even when it is empty."""
        pager = ops.events(params)
        request = pager.request()
        assert request is not None
        return pager.accept(self._t.send(request).json())


class AuditEvents:
    """The clinic's audit trail (`audit:read`), newest first."""

    def __init__(self, transport: Transport) -> None:
        self._t = transport

    def list(self, **params: ParamValue) -> Iterator[models.AuditEventPublic]:
        return iterate(self._t, ops.audit_events(params))


class Clients(Readable[models.ClientPublic]):
    """The clinic's API clients (`clients:admin`)."""

    def create(self, body: Body) -> models.ClientCreated:
        """Register a client; the answer holds its secret, once."""
        response = self._t.send(self._spec.create_unkeyed(body))
        return ops.CLIENT_CREATED.validate_json(response.content)

    def update(self, client_id: Id, patch: Body) -> models.ClientPublic:
        return self._spec.parse(self._t.send(self._spec.update(client_id, patch, None)))

    def rotate_secret(self, client_id: Id) -> models.ClientSecret:
        response = self._t.send(ops.action(f"{self._spec.item(client_id)}/rotate-secret"))
        return ops.CLIENT_SECRET.validate_json(response.content)


class WebhookEndpoints(Changeable[models.WebhookEndpointPublic]):
    """Webhook endpoints (`webhooks:admin`); their signing secret is shown on creation and
    rotation only."""

    def create(self, body: Body) -> models.WebhookEndpointWithSecret:
        response = self._t.send(self._spec.create_unkeyed(body))
        return ops.WEBHOOK_WITH_SECRET.validate_json(response.content)

    def rotate_secret(
        self, endpoint_id: Id, body: Body | None = None
    ) -> models.WebhookEndpointWithSecret:
        response = self._t.send(ops.action(f"{self._spec.item(endpoint_id)}/rotate-secret", body))
        return ops.WEBHOOK_WITH_SECRET.validate_json(response.content)

    def test(self, endpoint_id: Id) -> None:
        """Queue a `ping` delivery."""
        self._t.send(ops.action(f"{self._spec.item(endpoint_id)}/test"))

    def deliveries(
        self, endpoint_id: Id, **params: ParamValue
    ) -> Iterator[models.WebhookDeliveryPublic]:
        return iterate(self._t, ops.deliveries(endpoint_id, params))

    def resend(self, endpoint_id: Id, delivery_id: Id) -> None:
        path = f"{self._spec.item(endpoint_id)}/deliveries/{delivery_id}/resend"
        self._t.send(ops.action(path))


class ClinicSettings:
    """The clinic's settings (`settings:read`, `settings:write`)."""

    def __init__(self, transport: Transport) -> None:
        self._t = transport

    def get_tagged(self) -> Tagged[models.ClinicSettingsPublic]:
        response = self._t.send(ApiRequest("GET", ops.SETTINGS_PATH))
        return Tagged(
            ops.SETTINGS.validate_json(response.content), response.headers.get("etag", "")
        )

    def put(self, body: Body, *, if_match: ETagLike) -> models.ClinicSettingsPublic:
        request = change("PUT", ops.SETTINGS_PATH, body, if_match=if_match)
        return ops.SETTINGS.validate_json(self._t.send(request).content)
