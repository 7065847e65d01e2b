"""dmi-api-client: the Python client of dmi-api (sync `DmiClient`, async `AsyncDmiClient`).

from dmi_api_client import DmiClient, ClientSecret

with DmiClient("https://dmi.example.org", ClientSecret(client_id, secret)) as dmi:
    for child in dmi.children.list(updated_since=last_sync):
        ...
"""

from dmi_api_client import models
from dmi_api_client.aclient import AsyncDmiClient
from dmi_api_client.client import DmiClient
from dmi_api_client.errors import (
    ApiError,
    AuthenticationError,
    ConflictError,
    DmiError,
    ExportFailedError,
    ForbiddenError,
    NotFoundError,
    PreconditionFailedError,
    ServiceUnavailableError,
    TooManyRequestsError,
    UnauthorizedError,
    UnprocessableEntityError,
    WebhookVerificationError,
)
from dmi_api_client.exports import ExportedFile
from dmi_api_client.operations import Tagged, batch_item
from dmi_api_client.paging import Page
from dmi_api_client.requests import new_idempotency_key
from dmi_api_client.retry import RetryPolicy
from dmi_api_client.tokens import ClientSecret, Credentials, PrivateKeyJwt
from dmi_api_client.webhooks import verify as verify_webhook

__all__ = [
    "ApiError",
    "AsyncDmiClient",
    "AuthenticationError",
    "ClientSecret",
    "ConflictError",
    "Credentials",
    "DmiClient",
    "DmiError",
    "ExportFailedError",
    "ExportedFile",
    "ForbiddenError",
    "NotFoundError",
    "Page",
    "PreconditionFailedError",
    "PrivateKeyJwt",
    "RetryPolicy",
    "ServiceUnavailableError",
    "Tagged",
    "TooManyRequestsError",
    "UnauthorizedError",
    "UnprocessableEntityError",
    "WebhookVerificationError",
    "batch_item",
    "models",
    "new_idempotency_key",
    "verify_webhook",
]
