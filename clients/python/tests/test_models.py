"""The typed models: generated from the repository's `openapi/openapi.json` (a fresh generation
must match the committed module), and what the resources answer is parsed into them."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

from dmi_api_client import DmiClient, models

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "generate_models.py"


def test_committed_models_match_the_openapi_document() -> None:
    check = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert check.returncode == 0, check.stderr


def test_answers_are_parsed_into_the_models(dmi: DmiClient) -> None:
    practitioner = dmi.practitioners.create(
        models.PractitionerCreate(name="Lee Park", discipline="OT")
    )
    assert isinstance(practitioner, models.PractitionerPublic)
    child = dmi.children.create(
        {
            "given_name": "Ana",
            "family_name": "Typed",
            "birth_date": str(date.today() - timedelta(days=120)),
            "sex": "female",
            "gestational_age_weeks": 32,
        }
    )
    assert child.age is not None
    assert child.age.corrected_days is not None
    assessment = dmi.assessments.create(
        {
            "child_id": str(child.id),
            "assessor_id": str(practitioner.id),
            "instrument": "gmfm88",
            "status": "final",
            "performed_on": str(date.today()),
            "items": {"1": 3, "2": 3, "3": 2},
        }
    )
    assert isinstance(assessment, models.GMFM88Assessment)  # the union, discriminated
    assert assessment.scores is not None
    assert isinstance(dmi.assessments.get(assessment.id), models.GMFM88Assessment)

    # The reports under a child are typed too.
    report = dmi.children.progress(
        child.id, from_=date.today() - timedelta(days=30), to=date.today() + timedelta(days=1)
    )
    assert isinstance(report, models.ProgressReport)
    assert [p.total_percent for p in report.gmfm88_series] == [assessment.scores.total_percent]
    assert dmi.children.progress_chart(child.id).lstrip().startswith(b"<svg")
    assert all(
        isinstance(w, models.MilestoneWindow) for w in dmi.children.milestone_windows(child.id)
    )
    assert isinstance(dmi.children.due(child.id), models.ChildDue)
    assert all(
        isinstance(item, models.ClinicDueItem)
        for item in dmi.due.list(before=date.today() + timedelta(days=400), limit=5)
    )
