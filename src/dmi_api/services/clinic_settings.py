"""Reading and replacing the clinic's settings of the clinical rules."""

from __future__ import annotations

import uuid

from dmi_api.clinical.scoring import AimsNorms
from dmi_api.errors import ValidationProblemError
from dmi_api.models import ClinicSettings
from dmi_api.models.columns import utcnow
from dmi_api.schemas.clinic_settings import ClinicSettingsPublic, ClinicSettingsPut
from dmi_api.services import rule_settings
from dmi_api.services.assessment_scores import rescore_clinic
from dmi_api.tenancy import Tenant


def to_public(row: ClinicSettings) -> ClinicSettingsPublic:
    """The API view of the settings."""
    return ClinicSettingsPublic.model_validate(
        {
            "version": row.version,
            "preterm_below_weeks": row.preterm_below_weeks,
            "correct_until_months": row.correct_until_months,
            "aims_norms": row.aims_norms,
            "updated_at": row.updated_at if row.version else None,
        }
    )


async def get(tenant: Tenant, *, for_update: bool = False) -> ClinicSettings:
    """The clinic's settings (an unsaved row of defaults, version 0, if never changed)."""
    return await rule_settings.load_row(tenant, for_update=for_update)


async def replace(
    tenant: Tenant, *, row: ClinicSettings, payload: ClinicSettingsPut, client_id: uuid.UUID
) -> ClinicSettings:
    """Store the settings and score every final assessment again under them."""
    norms = payload.aims_norms.model_dump(mode="json") if payload.aims_norms else None
    if norms is not None:
        try:
            AimsNorms.from_json(norms)
        except ValueError as invalid:
            raise ValidationProblemError(
                [
                    {
                        "location": "body",
                        "pointer": "#/aims_norms",
                        "detail": str(invalid),
                        "code": "invalid_norm_table",
                    }
                ]
            ) from None
    if row.version == 0:
        tenant.add(row)
    row.preterm_below_weeks = payload.preterm_below_weeks
    row.correct_until_months = payload.correct_until_months
    row.aims_norms = norms
    row.version += 1
    row.updated_at = utcnow()
    await tenant.db.flush()
    rule_settings.remember_row(tenant.db, row)
    await rescore_clinic(tenant, rule_settings.rules_of(row), client_id=client_id)
    return row
