"""The CapabilityStatement: exactly what this FHIR API serves."""

from __future__ import annotations

from typing import Any

from dmi_api.fhir.media import FHIR_JSON, FHIR_VERSION

# The Bulk Data Access IG's operations, as served (`routers/fhir_exports.py`).
BULK_DATA = "http://hl7.org/fhir/uv/bulkdata/OperationDefinition"
SYSTEM_EXPORT = [{"name": "export", "definition": f"{BULK_DATA}/export"}]
PATIENT_EXPORT = [{"name": "export", "definition": f"{BULK_DATA}/patient-export"}]
# The IG's own statement, which a Bulk Data server names as one it instantiates.
BULK_DATA_SERVER = "http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/bulk-data"


def _resource(name: str, params: list[tuple[str, str, str]]) -> dict[str, Any]:
    """One type's entry: read and search, its search parameters (and Patient's `$export`)."""
    entry: dict[str, Any] = {
        "type": name,
        "interaction": [{"code": "read"}, {"code": "search-type"}],
        "versioning": "versioned",
        "readHistory": False,
        # `If-None-Match` and `If-Modified-Since` (`routers/fhir_resources.py`).
        "conditionalRead": "full-support",
        "searchParam": [
            {"name": param, "type": kind, "documentation": doc} for param, kind, doc in params
        ]
        + [
            {
                "name": "_count",
                "type": "number",
                "documentation": "entries per page (default 50; more than 200 is 200 a page; "
                "0 is _summary=count)",
            },
            {
                "name": "_summary",
                "type": "token",
                "documentation": "count: the number of matches in Bundle.total, no entries; "
                "false: the whole resources (no other summary is served)",
            },
        ],
    }
    if name == "Patient":
        entry["operation"] = PATIENT_EXPORT
    return entry


def capability_statement(
    base: str, software_version: str, date: str, resources: dict[str, list[tuple[str, str, str]]]
) -> dict[str, Any]:
    """The server's CapabilityStatement (`GET /fhir/R4/metadata`); `resources`: each type
    served and its search parameters (name, FHIR type, what it matches)."""
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": date,
        "kind": "instance",
        "instantiates": [BULK_DATA_SERVER],
        "software": {"name": "dmi-api", "version": software_version},
        "implementation": {"description": "dmi-api FHIR R4 (read-only)", "url": base},
        "fhirVersion": FHIR_VERSION,
        "format": [FHIR_JSON, "json"],
        "rest": [
            {
                "mode": "server",
                "security": {
                    "cors": False,
                    "service": [
                        {
                            "coding": [
                                {
                                    "system": "http://terminology.hl7.org/CodeSystem/"
                                    "restful-security-service",
                                    "code": "SMART-on-FHIR",
                                }
                            ]
                        }
                    ],
                    "description": "OAuth2 bearer tokens (client credentials: client_secret "
                    "or private_key_jwt); the same scopes as the JSON API.",
                },
                "resource": [_resource(name, params) for name, params in resources.items()],
                "operation": SYSTEM_EXPORT,
            }
        ],
    }
