"""The typed models: generated from the repository's `openapi/openapi.json` (a fresh generation
must match the committed module), what the resources answer is parsed into them, and what a
newer server answers too (values added since)."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from dmi_api_client import DmiClient, models
from dmi_api_client import operations as ops
from dmi_api_client.paging import Pager
from dmi_api_client.requests import ApiRequest

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


def test_values_a_newer_server_adds_do_not_fail_an_answer(dmi: DmiClient) -> None:
    # A newer server adds event types (README: webhooks' `*` takes "types added later"),
    # statuses, and scoring rules' versions (`dmi-api assessments rescore`). What it answers
    # then, as the client parses it: the unknown value is kept, the answer is not refused, and
    # the change feed moves on past it instead of failing at the same page for ever.
    child = dmi.children.create(
        {"given_name": "Ada", "family_name": "Newer", "birth_date": "2024-01-05", "sex": "female"}
    )
    answer = dmi.transport.send(ops.CHILDREN.get(child.id)).json()
    answer |= {"status": "transferred", "sex": "intersex"}
    newer = ops.CHILDREN.adapter.validate_python(answer)
    assert (newer.status, newer.sex) == ("transferred", "intersex")

    feed = ops.events({"resource_id": child.id})
    deadline = time.monotonic() + 20
    while not (page := dmi.transport.send(_request(feed)).json())["data"]:
        assert time.monotonic() < deadline, "the child's event never showed in the feed"
        time.sleep(0.2)
    page["data"][0]["type"] = "child.merged"
    parsed = feed.accept(page)
    assert [e.type for e in parsed.data] == ["child.merged"]
    assert feed.cursor == page["next_cursor"]

    practitioner = dmi.practitioners.create({"name": "Kim Lo", "discipline": "PT"})
    assessment = dmi.assessments.create(
        {
            "child_id": str(child.id),
            "assessor_id": str(practitioner.id),
            "instrument": "gmfm88",
            "status": "final",
            "performed_on": str(date.today()),
            "items": {"1": 3},
        }
    )
    answer = dmi.transport.send(ops.ASSESSMENTS.get(assessment.id)).json()
    answer["scores"]["rule"] = "gmfm88@3rd-ed-r4"
    rescored = ops.ASSESSMENTS.adapter.validate_python(answer)
    assert isinstance(rescored, models.GMFM88Assessment)  # still told apart by `instrument`
    assert rescored.scores is not None
    assert rescored.scores.rule == "gmfm88@3rd-ed-r4"


def _request(pager: Pager[models.EventPublic]) -> ApiRequest:
    request = pager.request()
    assert request is not None
    return request
