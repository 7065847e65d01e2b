"""The parts every direct statement shares: the caller's authorization and its audit event.

Parameters $1..$6 are the same in every statement (`common_args`); a statement's own follow.
`auth` has one row when the client is active in its clinic (with the clinic's rule settings,
NULL for the defaults) and none otherwise; the audit event is inserted in the same statement,
from the row(s) of the source named, so it commits (or not) with the read it describes.
"""

from __future__ import annotations

import uuid
from typing import Any

from dmi_api.auth.principal import Principal
from dmi_api.request_context import current_client_ip, current_request_id
from dmi_api.rule_values import RuleSettings, from_values

AUTH_CTE = (
    "auth AS (SELECT s.preterm_below_weeks, s.correct_until_months, s.time_zone,"
    " s.crawling_expected,"
    # The audit event's values, typed here so that a statement that writes none still has them.
    " $3::uuid AS event_id, $4::text AS token_jti, $5::text AS request_id, $6::text AS source_ip"
    " FROM api_client AS c LEFT JOIN clinic_settings AS s ON s.clinic_id = c.clinic_id"
    " WHERE c.id = $1::uuid AND c.clinic_id = $2::uuid AND c.active)"
)


# The clinic's rule settings in a statement's row (`clinic_rules` reads them).
RULE_COLUMNS = (
    "auth.preterm_below_weeks AS rule_preterm_below_weeks,"
    " auth.correct_until_months AS rule_correct_until_months,"
    " auth.time_zone AS rule_time_zone, auth.crawling_expected AS rule_crawling_expected"
)


def clinic_rules(record: Any) -> RuleSettings:
    """The clinic's rules of a child's ages, local dates and milestone windows, from a row
    with `RULE_COLUMNS`."""
    return from_values(
        preterm_below_weeks=record["rule_preterm_below_weeks"],
        correct_until_months=record["rule_correct_until_months"],
        aims_norms=None,  # no direct statement reports AIMS percentiles
        time_zone=record["rule_time_zone"],
        crawling_expected=record["rule_crawling_expected"],
    )


# Every direct statement starts so (`DirectDb.fetch` refuses any other).
STATEMENT_PREFIX = f"WITH {AUTH_CTE}"
COMMON_PARAMETERS = 6


def audit_cte(
    *,
    action: str,
    resource_type: str,
    source: str,
    resource_id: str,
    child_id: str | None = None,
    outcome: int = 200,
) -> str:
    """`logged AS (INSERT ...)`: one audit event per row of `source` (its SQL expressions).

    Every argument is a constant of the calling module, never a request's text.
    """
    return (
        "logged AS (INSERT INTO audit_event (id, occurred_at, clinic_id, client_id, token_jti,"
        " action, resource_type, resource_id, child_id, outcome, request_id, source_ip)"
        f" SELECT $3::uuid, now(), $2::uuid, $1::uuid::text, $4::text, '{action}',"
        f" '{resource_type}', {resource_id}::text, {child_id or resource_id}::uuid, {outcome:d},"
        " $5::text, $6::text"
        f" FROM {source})"
    )


def common_args(principal: Principal) -> list[Any]:
    """$1..$6: client, clinic, the audit event's id, the token's jti, request id, source IP."""
    return [
        principal.client_id,
        principal.clinic_id,
        uuid.uuid4(),
        principal.token_jti,
        current_request_id(),
        current_client_ip(),
    ]
