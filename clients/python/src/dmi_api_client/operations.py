"""The API's operations as data: for each resource its paths, its model, and the requests of
its operations; and how an answer becomes a model. Shared by `DmiClient` and `AsyncDmiClient`."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import httpx
from pydantic import BaseModel, TypeAdapter

from dmi_api_client import models
from dmi_api_client.paging import Pager
from dmi_api_client.requests import (
    ApiRequest,
    Body,
    ETagLike,
    ParamValue,
    change,
    encode_body,
    get,
    new_idempotency_key,
    post,
    segment,
)

T = TypeVar("T")
Id = str | uuid.UUID
BATCH_LIMIT = 100


@dataclass(frozen=True)
class Tagged(Generic[T]):
    """A representation and its `ETag` (send it back as `if_match` to change it)."""

    value: T
    etag: str


class Spec(Generic[T]):
    """A resource at `path` whose representation is `model`."""

    def __init__(self, path: str, model: Any, *, search_by_post: bool = False) -> None:
        self.path, self.search_by_post = path, search_by_post
        self.adapter: TypeAdapter[T] = TypeAdapter(model)

    def item(self, resource_id: Id) -> str:
        return f"{self.path}/{segment(resource_id)}"

    def parse(self, response: httpx.Response) -> T:
        return self.adapter.validate_json(response.content)

    def tagged(self, response: httpx.Response) -> Tagged[T]:
        return Tagged(self.parse(response), response.headers.get("etag", ""))

    def pager(self, params: Mapping[str, ParamValue]) -> Pager[T]:
        return Pager(self.path, self.adapter, params, search=self.search_by_post)

    def versions(
        self, resource_id: Id, params: Mapping[str, ParamValue]
    ) -> Pager[models.VersionPublic]:
        return Pager(
            f"{self.item(resource_id)}/versions", TypeAdapter(models.VersionPublic), params
        )

    def get(self, resource_id: Id) -> ApiRequest:
        return get(self.item(resource_id))

    def create(self, body: Body, idempotency_key: str | None) -> ApiRequest:
        return post(self.path, body, idempotency_key=idempotency_key)

    def create_unkeyed(self, body: Body) -> ApiRequest:
        """A POST without `Idempotency-Key` (the operation takes none): only 429/503 retried."""
        return post(self.path, body, keyed=False)

    # A change and a delete carry a key of their own too: resent after their answer was lost,
    # the server replays it (a resend naming the version they changed would be a 412 or 404).
    def update(self, resource_id: Id, patch: Body, if_match: ETagLike | None) -> ApiRequest:
        path, key = self.item(resource_id), new_idempotency_key()
        return change("PATCH", path, patch, if_match=if_match, idempotency_key=key)

    def delete(self, resource_id: Id, if_match: ETagLike) -> ApiRequest:
        path, key = self.item(resource_id), new_idempotency_key()
        return change("DELETE", path, None, if_match=if_match, idempotency_key=key)


# The records API: every one lists, reads, creates (with `Idempotency-Key`), changes and
# deletes (with `If-Match`) and keeps versions.
# Children are listed by `POST /v1/children/search`: their filters (names, birth dates, MRNs)
# stay out of URLs.
CHILDREN: Spec[models.ChildPublic] = Spec("/v1/children", models.ChildPublic, search_by_post=True)
PRACTITIONERS: Spec[models.PractitionerPublic] = Spec(
    "/v1/practitioners", models.PractitionerPublic
)
EXERCISES: Spec[models.ExercisePublic] = Spec("/v1/exercises", models.ExercisePublic)
PRESCRIPTIONS: Spec[models.PrescriptionPublic] = Spec(
    "/v1/prescriptions", models.PrescriptionPublic
)
MILESTONES: Spec[models.MilestonePublic] = Spec("/v1/milestones", models.MilestonePublic)
ASSESSMENTS: Spec[models.AssessmentPublic] = Spec("/v1/assessments", models.AssessmentPublic)
SESSION_RECORDS: Spec[models.SessionRecordPublic] = Spec(
    "/v1/session-records", models.SessionRecordPublic
)
# Administration.
CLIENTS: Spec[models.ClientPublic] = Spec("/v1/clients", models.ClientPublic)
CLIENT_CREATED: TypeAdapter[models.ClientCreated] = TypeAdapter(models.ClientCreated)
CLIENT_SECRET: TypeAdapter[models.ClientSecret] = TypeAdapter(models.ClientSecret)
WEBHOOK_ENDPOINTS: Spec[models.WebhookEndpointPublic] = Spec(
    "/v1/webhook-endpoints", models.WebhookEndpointPublic
)
WEBHOOK_WITH_SECRET: TypeAdapter[models.WebhookEndpointWithSecret] = TypeAdapter(
    models.WebhookEndpointWithSecret
)
DELIVERY: TypeAdapter[models.WebhookDeliveryPublic] = TypeAdapter(models.WebhookDeliveryPublic)
EVENT: TypeAdapter[models.EventPublic] = TypeAdapter(models.EventPublic)
AUDIT_EVENT: TypeAdapter[models.AuditEventPublic] = TypeAdapter(models.AuditEventPublic)
EXPORT: TypeAdapter[models.ExportPublic] = TypeAdapter(models.ExportPublic)
SETTINGS: TypeAdapter[models.ClinicSettingsPublic] = TypeAdapter(models.ClinicSettingsPublic)
BATCH: TypeAdapter[models.BatchResponse] = TypeAdapter(models.BatchResponse)
SETTINGS_PATH = "/v1/clinic-settings"


class Report(Generic[T]):
    """A read-only view under a resource (`/v1/children/{id}/progress`...) and its model."""

    def __init__(self, spec: Spec[Any], suffix: str, model: Any) -> None:
        self.spec, self.suffix = spec, suffix
        self.adapter: TypeAdapter[T] = TypeAdapter(model)

    def request(self, resource_id: Id, params: Mapping[str, ParamValue]) -> ApiRequest:
        return get(f"{self.spec.item(resource_id)}/{self.suffix}", params)

    def parse(self, response: httpx.Response) -> T:
        return self.adapter.validate_json(response.content)


PROGRESS: Report[models.ProgressReport] = Report(CHILDREN, "progress", models.ProgressReport)
SUPPORT: Report[models.SupportProgression] = Report(
    CHILDREN, "support-progression", models.SupportProgression
)
WINDOWS: Report[list[models.MilestoneWindow]] = Report(
    CHILDREN, "milestone-windows", list[models.MilestoneWindow]
)
CHILD_DUE: Report[models.ChildDue] = Report(CHILDREN, "due", models.ChildDue)
ADHERENCE: Report[models.AdherenceReport] = Report(
    PRESCRIPTIONS, "adherence", models.AdherenceReport
)
BLOCKS: Report[models.BlockSummary] = Report(PRESCRIPTIONS, "block-summary", models.BlockSummary)


def chart(
    spec: Spec[Any], resource_id: Id, name: str, params: Mapping[str, ParamValue]
) -> ApiRequest:
    """An SVG chart (`progress.svg`, `support-progression.svg`)."""
    request = get(f"{spec.item(resource_id)}/{name}.svg", params)
    return ApiRequest("GET", request.path, request.params, headers={"Accept": "image/svg+xml"})


def clinic_due(params: Mapping[str, ParamValue]) -> Pager[models.ClinicDueItem]:
    """What falls due across the clinic (`GET /v1/due`), paged."""
    return Pager("/v1/due", TypeAdapter(models.ClinicDueItem), params)


def upsert_child(
    external_id: str, body: Body, if_match: ETagLike | None, idempotency_key: str | None
) -> ApiRequest:
    """`PUT /v1/children/by-external-id`, the MRN in the body (never in the URL: proxies and
    access logs record URLs): creates (201) or replaces (200, If-Match)."""
    payload = encode_body(body)
    if payload.get("external_id", external_id) != external_id:
        raise ValueError("the body's external_id is not the one to upsert by")
    return change(
        "PUT",
        f"{CHILDREN.path}/by-external-id",
        {**payload, "external_id": external_id},
        if_match=if_match,
        idempotency_key=idempotency_key or new_idempotency_key(),
    )


def sign(record_id: Id, body: Body, if_match: ETagLike) -> ApiRequest:
    return post(f"{SESSION_RECORDS.item(record_id)}/sign", body, if_match=if_match)


def amend(record_id: Id, body: Body, idempotency_key: str | None) -> ApiRequest:
    return post(
        f"{SESSION_RECORDS.item(record_id)}/amendments", body, idempotency_key=idempotency_key
    )


def batch_item(record: Body, idempotency_key: str | None = None) -> models.BatchItem:
    """One record of a batch upload with its key (a stable one, e.g. the device's id of the
    log, makes a resend replay instead of creating it again)."""
    data = encode_body(record)
    return models.BatchItem(idempotency_key=idempotency_key or new_idempotency_key(), record=data)


def batches(items: Sequence[models.BatchItem | Mapping[str, Any]]) -> list[ApiRequest]:
    """`POST /v1/session-records/batch` requests of at most 100 items each. Every item has its
    own key, so a whole batch is resent safely: what was created is replayed."""
    requests = []
    for start in range(0, len(items), BATCH_LIMIT):
        chunk = [
            item if isinstance(item, models.BatchItem) else models.BatchItem.model_validate(item)
            for item in items[start : start + BATCH_LIMIT]
        ]
        body = models.SessionRecordBatch(items=chunk)
        requests.append(post(f"{SESSION_RECORDS.path}/batch", body, keyed=False, retry_safe=True))
    return requests


def batch_results(answer: models.BatchResponse, offset: int) -> list[models.BatchResult]:
    """The results of the batch request that began at item `offset` of the caller's list, as
    places in that list: each `index` and each problem's pointers (`#/items/3/...` of the
    request's items is `#/items/{offset + 3}/...` of the caller's)."""
    if not offset:
        return list(answer.results)
    shifted = []
    for result in answer.results:
        update: dict[str, Any] = {"index": result.index + offset}
        if result.problem is not None:
            errors = [
                {**error, "pointer": _shift(str(error.get("pointer", "")), offset)}
                for error in result.problem.get("errors") or []
            ]
            update["problem"] = {**result.problem, "errors": errors} if errors else result.problem
        shifted.append(result.model_copy(update=update))
    return shifted


def _shift(pointer: str, offset: int) -> str:
    prefix, _, rest = pointer.partition("#/items/")
    index, slash, tail = rest.partition("/")
    if prefix or not index.isdigit():
        return pointer
    return f"#/items/{int(index) + offset}{slash}{tail}"


def events(params: Mapping[str, ParamValue]) -> Pager[models.EventPublic]:
    return Pager("/v1/events", EVENT, params, feed=True)


def audit_events(params: Mapping[str, ParamValue]) -> Pager[models.AuditEventPublic]:
    return Pager("/v1/audit-events", AUDIT_EVENT, params)


def deliveries(
    endpoint_id: Id, params: Mapping[str, ParamValue]
) -> Pager[models.WebhookDeliveryPublic]:
    return Pager(f"{WEBHOOK_ENDPOINTS.item(endpoint_id)}/deliveries", DELIVERY, params)


def action(path: str, body: BaseModel | Mapping[str, Any] | None = None) -> ApiRequest:
    """A POST that acts on a resource (rotate a secret, send a test ping, resend a delivery)."""
    return post(path, body, keyed=False)
