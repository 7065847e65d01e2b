"""Scores computed from an assessment's items and entered values, one versioned rule per instrument.

Inputs have already passed the API's validation (`dmi_api.schemas.instruments`), so nothing is
checked again here. Computed values are rounded half up to 2 decimals (`rounding.half_up`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dmi_api.clinical.ages import Age
from dmi_api.clinical.dirfloortime import score_fedc
from dmi_api.clinical.scoring_aims import AimsNorms, score_aims
from dmi_api.clinical.scoring_common import score_of
from dmi_api.clinical.scoring_gmfm import score_gmfm66, score_gmfm88
from dmi_api.clinical.scoring_hine import score_hine
from dmi_api.clinical.scoring_pdms import PDMS_RULES, score_pdms

__all__ = ["AimsNorms", "score_assessment"]

# -r2: bands start on the calendar birthday (were years of 365.25 days, a day late).
GMFCS_RULE = "gmfcs-er@2007-r2"
GMFCS_ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV", 5: "V"}
# Upper bounds in completed years of the GMFCS-E&R bands; the last band is open.
GMFCS_BANDS = ((2, "<2"), (4, "2-4"), (6, "4-6"), (12, "6-12"), (18, "12-18"))
FEAS_RULE = "feas@raw-total"
UNSCORED = frozenset({"dmi_evaluation", "custom"})


def score_assessment(
    *,
    instrument: str,
    items: Mapping[str, object],
    entered: Mapping[str, object],
    goal_dimensions: Sequence[str],
    age: Age | None,
    aims_norms: AimsNorms | None = None,
) -> dict[str, Any] | None:
    """The JSON-ready `scores` of one assessment, or None for an instrument without scoring."""
    if instrument in UNSCORED:
        return None
    if instrument == "gmfm88":
        return score_gmfm88(items=items, goal_dimensions=goal_dimensions)
    if instrument == "gmfm66":
        return score_gmfm66(items=items, entered=entered)
    if instrument == "aims":
        return score_aims(items=items, entered=entered, age=age, aims_norms=aims_norms)
    if instrument == "hine":
        return score_hine(items=items, age=age)
    if instrument in PDMS_RULES:
        return score_pdms(PDMS_RULES[instrument], items=items, entered=entered)
    if instrument == "gmfcs":
        return _score_gmfcs(entered=entered, age=age)
    if instrument == "feas":
        return _score_feas(items=items)
    if instrument == "fedc":
        return score_fedc(entered)
    raise ValueError(f"No scoring rule for instrument {instrument!r}")


def _score_gmfcs(*, entered: Mapping[str, object], age: Age | None) -> dict[str, Any]:
    level = score_of(entered.get("level"))
    return {
        "rule": GMFCS_RULE,
        "level": level,
        "level_roman": None if level is None else GMFCS_ROMAN[level],
        "age_band": None if age is None else gmfcs_age_band(age),
    }


def gmfcs_age_band(age: Age) -> str:
    """The GMFCS-E&R age band of `age`: a band starts on the birthday (calendar years)."""
    # The E&R asks for corrected age under 2 years; `effective_years` counts from the
    # term-equivalent date exactly when the clinic's correction rule applies. Before term
    # (a negative corrected age) the child falls in "<2".
    for upper_years, band in GMFCS_BANDS:
        if age.effective_years < upper_years:
            return band
    return ">=18"


def _score_feas(*, items: Mapping[str, object]) -> dict[str, Any]:
    scores = [s for s in (score_of(v) for v in items.values()) if s is not None]
    return {"rule": FEAS_RULE, "total": sum(scores), "items_tested": len(scores)}
