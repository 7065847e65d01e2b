"""The CapabilityStatement: exactly what this FHIR API serves."""

from __future__ import annotations

from typing import Any

from dmi_api.fhir.media import FHIR_JSON, FHIR_VERSION

# Each resource: its search parameters (name, FHIR type, what it matches).
_LAST_UPDATED = ("_lastUpdated", "date", "gt, ge, lt or le and a date or an instant; twice")
RESOURCES: dict[str, list[tuple[str, str, str]]] = {
    "Patient": [
        ("_id", "token", "the Patient's id (comma-separated: any of them)"),
        ("identifier", "token", "the clinic's MRN: `[system|]value`"),
        _LAST_UPDATED,
    ],
    "Encounter": [
        ("_id", "token", "the Encounter's id (comma-separated: any of them)"),
        ("patient", "reference", "the child: `Patient/{id}` or `{id}`"),
        ("subject", "reference", "the same as `patient`"),
        ("date", "date", "the session's start: gt, ge, lt or le and a date or an instant; twice"),
        _LAST_UPDATED,
    ],
    "Practitioner": [
        ("_id", "token", "the Practitioner's id (comma-separated: any of them)"),
        ("identifier", "token", "the clinic's practitioner number: `[system|]value`"),
        _LAST_UPDATED,
    ],
}


def capability_statement(base: str, software_version: str, date: str) -> dict[str, Any]:
    """The server's CapabilityStatement (`GET /fhir/R4/metadata`)."""
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": date,
        "kind": "instance",
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
                "resource": [
                    {
                        "type": name,
                        "interaction": [{"code": "read"}, {"code": "search-type"}],
                        "versioning": "versioned",
                        "readHistory": False,
                        "searchParam": [
                            {"name": param, "type": kind, "documentation": doc}
                            for param, kind, doc in params
                        ]
                        + [
                            {
                                "name": "_count",
                                "type": "number",
                                "documentation": "entries per page (1 to 200, default 50)",
                            }
                        ],
                    }
                    for name, params in RESOURCES.items()
                ],
            }
        ],
    }
