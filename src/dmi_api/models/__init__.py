"""Table models; importing this package registers every table on `metadata`."""

from dmi_api.models.audit import AuditEvent, UnattributedAuditEvent
from dmi_api.models.auth import AuthThrottle, SigningKey, UsedClientAssertion
from dmi_api.models.base import NAMING_CONVENTION, metadata
from dmi_api.models.bookkeeping import IdempotencyKey, ResourceVersion
from dmi_api.models.clinic_settings import ClinicSettings
from dmi_api.models.clinical_records import (
    Assessment,
    Child,
    Exercise,
    Milestone,
    Practitioner,
    Prescription,
    PrescriptionItem,
    SessionAmendment,
    SessionRecord,
)
from dmi_api.models.clinics import ApiClient, Clinic
from dmi_api.models.due_notices import DueNotice
from dmi_api.models.events import ChangeEvent
from dmi_api.models.exports import BulkExport
from dmi_api.models.webhooks import WebhookDelivery, WebhookDispatch, WebhookEndpoint

__all__ = [
    "NAMING_CONVENTION",
    "ApiClient",
    "Assessment",
    "AuditEvent",
    "AuthThrottle",
    "BulkExport",
    "ChangeEvent",
    "Child",
    "Clinic",
    "ClinicSettings",
    "DueNotice",
    "Exercise",
    "IdempotencyKey",
    "Milestone",
    "Practitioner",
    "Prescription",
    "PrescriptionItem",
    "ResourceVersion",
    "SessionAmendment",
    "SessionRecord",
    "SigningKey",
    "UnattributedAuditEvent",
    "UsedClientAssertion",
    "WebhookDelivery",
    "WebhookDispatch",
    "WebhookEndpoint",
    "metadata",
]
