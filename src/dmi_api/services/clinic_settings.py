"""Reading and replacing the clinic's settings of the clinical rules."""

from __future__ import annotations

import functools
import uuid
import zoneinfo

import sqlalchemy.exc as sa_exc

from dmi_api.change_events import changed_fields
from dmi_api.clinical.scoring import AimsNorms
from dmi_api.errors import FieldProblem, PreconditionFailedError, ValidationProblemError
from dmi_api.models import ClinicSettings
from dmi_api.models.columns import utcnow
from dmi_api.rule_values import rules_of_row
from dmi_api.schemas.clinic_settings import ClinicSettingsPublic, ClinicSettingsPut
from dmi_api.services import rules_in_effect
from dmi_api.services.child_results import recompute_clinic
from dmi_api.tenant_scope import Tenant


@functools.cache
def _known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def is_time_zone(name: str) -> bool:
    """Whether `name` is a time zone of the IANA database (not a file path or a local alias)."""
    if name not in _known_zones() and name != "UTC":
        return False
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def to_public(row: ClinicSettings) -> ClinicSettingsPublic:
    """The API view of the settings."""
    return ClinicSettingsPublic.model_validate(
        {
            "version": row.version,
            "preterm_below_weeks": row.preterm_below_weeks,
            "correct_until_months": row.correct_until_months,
            "aims_norms": row.aims_norms,
            "time_zone": row.time_zone,
            "crawling_expected": row.crawling_expected,
            "progress_after_sessions": row.progress_after_sessions,
            "progress_full_percent": row.progress_full_percent,
            "block_followup_weeks": row.block_followup_weeks,
            "due_schedule": row.due_schedule or {},
            "updated_at": row.updated_at if row.version else None,
        }
    )


async def get(tenant: Tenant, *, for_update: bool = False) -> ClinicSettings:
    """The clinic's settings (an unsaved row of defaults, version 0, if never changed)."""
    return await rules_in_effect.load_row(tenant, for_update=for_update)


async def _insert_first(tenant: Tenant, row: ClinicSettings) -> None:
    """Store the clinic's first settings row; another request's first (its `If-Match: "0"`
    passed too, there being no row to lock) committing meanwhile makes this one stale: 412,
    as on SQLite, where the second request finds that row."""
    try:
        async with tenant.db.begin_nested():
            tenant.add(row)
            await tenant.db.flush()
    except sa_exc.IntegrityError:
        raise PreconditionFailedError() from None


async def replace(
    tenant: Tenant, *, row: ClinicSettings, payload: ClinicSettingsPut, client_id: uuid.UUID
) -> tuple[ClinicSettings, bool]:
    """Store the settings and score every final assessment again under them; whether they
    changed (the settings they are already: the same version, nothing scored again)."""
    norms = payload.aims_norms.model_dump(mode="json") if payload.aims_norms else None
    errors: list[FieldProblem] = []
    if norms is not None:
        try:
            AimsNorms.from_json(norms)
        except ValueError as invalid:
            errors.append(FieldProblem("#/aims_norms", str(invalid), "invalid_norm_table"))
    if not is_time_zone(payload.time_zone):
        detail = "Not an IANA time zone name (e.g. `Europe/Madrid`, `UTC`)."
        errors.append(FieldProblem("#/time_zone", detail, "unknown_time_zone"))
    if errors:
        raise ValidationProblemError(errors)
    before = to_public(row).model_dump(mode="json")
    if row.version == 0:
        await _insert_first(tenant, row)
    row.preterm_below_weeks = payload.preterm_below_weeks
    row.correct_until_months = payload.correct_until_months
    row.aims_norms = norms
    row.time_zone = payload.time_zone
    row.crawling_expected = payload.crawling_expected
    row.progress_after_sessions = payload.progress_after_sessions
    row.progress_full_percent = payload.progress_full_percent
    row.block_followup_weeks = payload.block_followup_weeks
    row.due_schedule = payload.due_schedule.model_dump()
    if row.version > 0 and not changed_fields(before, to_public(row).model_dump(mode="json")):
        # The settings they are (as a clinical resource's change of nothing,
        # `history.record_change`): the same version, nothing to score again.
        return row, False
    row.version += 1
    row.updated_at = utcnow()
    await tenant.db.flush()
    rules_in_effect.remember_row(tenant.db, row)
    await recompute_clinic(tenant, rules_of_row(row), client_id=client_id)
    return row, True
