"""/fhir/R4 as FHIR's RESTful API (http.html) says a server answers, whatever the type: `Vary`
on every response (the body depends on `Accept` and `Prefer`), FHIR ids (case-sensitive
`[A-Za-z0-9\\-\\.]{1,64}`) in reads, `_id` and references, and conditional reads."""

from __future__ import annotations

from datetime import datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement

from tests.exports.support import ASYNC, relative, run_export
from tests.fhir.test_clinical_resources import Records, records
from tests.fhir.test_patients import BASE, fhir, outcome
from tests.records.conftest import Headers
from tests.support.clinics import Clinic

EVERY_SCOPE = (
    "children:read",
    "practitioners:read",
    "assessments:read",
    "milestones:read",
    "prescriptions:read",
    "sessions:read",
    "export:read",
)


def _ids(mine: Records, clinic: Clinic) -> dict[str, str]:
    """One resource id of each type served."""
    child = mine.child["id"]
    return {
        "Patient": child,
        "RelatedPerson": f"{child}.caregiver.0",
        "Practitioner": clinic.practitioner_id,
        "Condition": mine.condition_id,
        "Observation": mine.milestone["id"],
        "QuestionnaireResponse": mine.assessment["id"],
        "CarePlan": mine.prescription_id,
        "ServiceRequest": mine.item_id,
        "Encounter": mine.session["id"],
        "Procedure": f"{mine.session['id']}.exercise.0",
    }


def _varies_on_accept(response: httpx.Response) -> None:
    named = {v.strip().lower() for v in response.headers.get("vary", "").split(",")}
    assert "accept" in named, (response.request.method, response.request.url, response.status_code)


class TestVary:
    async def test_every_fhir_response_varies_on_accept(
        self, app: FastAPI, client: httpx.AsyncClient, clinic: Clinic, headers_for: Headers
    ) -> None:
        # The representation (JSON, or 406) depends on Accept: a cache in front of the API
        # must not hand one client's answer to another that asked differently.
        mine = await records(client, clinic)
        headers = await headers_for(clinic.tenant, *EVERY_SCOPE)
        patient = f"{BASE}/Patient/{mine.child['id']}"
        read = await client.get(patient, headers=headers)
        answers = [
            await client.get(f"{BASE}/metadata"),
            await client.head(f"{BASE}/metadata"),
            read,
            await client.head(patient, headers=headers),
            await client.get(f"{BASE}/Patient?_count=1", headers=headers),
            await client.get(patient, headers={**headers, "Accept": "application/fhir+xml"}),
            await client.get(patient),  # 401
            await client.get(
                f"{BASE}/Patient/00000000-0000-4000-8000-000000000009", headers=headers
            ),
            await client.get(f"{BASE}/Patient?name=x", headers=headers),  # 400
            await client.post(f"{BASE}/Patient", headers=headers, json={}),  # 405
            await client.get(patient, headers={**headers, "If-None-Match": read.headers["etag"]}),
        ]
        kick_off = await client.get(f"{BASE}/$export", headers={**headers, **ASYNC})
        answers.append(kick_off)
        location = relative(kick_off.headers["Content-Location"])
        answers.append(await client.get(location, headers=headers))  # 202, running
        assert await run_export(app, clinic.tenant.clinic_id, location) == "completed"
        done = await client.get(location, headers=headers)
        answers.append(done)
        answers.append(await client.get(relative(done.json()["output"][0]["url"]), headers=headers))
        answers.append(await client.delete(location, headers=headers))
        for response in answers:
            _varies_on_accept(response)


# Valid FHIR ids that are none of ours: not a UUID, an upper-case UUID (ids are case-sensitive),
# 64 characters.
NOT_OURS = ["Abc-1.x", "A" * 64, "urn-uuid-1", "0"]


class TestIds:
    @pytest.mark.parametrize("other", NOT_OURS)
    async def test_a_valid_id_that_is_none_of_ours_is_404_on_every_type(
        self, client: httpx.AsyncClient, clinic: Clinic, headers_for: Headers, other: str
    ) -> None:
        mine = await records(client, clinic)
        headers = await headers_for(clinic.tenant, *EVERY_SCOPE)
        for kind, own in _ids(mine, clinic).items():
            for wanted in (other, own.upper()):
                body = outcome(await client.get(f"{BASE}/{kind}/{wanted}", headers=headers), 404)
                assert body["issue"][0]["code"] == "not-found", kind
                found = fhir(await client.get(f"{BASE}/{kind}?_id={wanted}", headers=headers))
                assert found["entry"] == [], (kind, wanted)
            # With one of ours, only ours is found.
            both = fhir(await client.get(f"{BASE}/{kind}?_id={other},{own}", headers=headers))
            assert [e["resource"]["id"] for e in both["entry"]] == [own], kind

    @pytest.mark.parametrize("bad", ["a_b", "a b", "A" * 65, "x/y", "é"])
    async def test_an_invalid_id_is_400_on_every_type(
        self, client: httpx.AsyncClient, clinic: Clinic, headers_for: Headers, bad: str
    ) -> None:
        headers = await headers_for(clinic.tenant, *EVERY_SCOPE)
        mine = await records(client, clinic)
        for kind in _ids(mine, clinic):
            if "/" not in bad:  # `x/y` is another path: no route
                outcome(await client.get(f"{BASE}/{kind}/{bad}", headers=headers), 400)
            response = await client.get(f"{BASE}/{kind}", params={"_id": bad}, headers=headers)
            outcome(response, 400)

    async def test_a_patient_reference_to_none_of_ours_matches_nothing(
        self, client: httpx.AsyncClient, clinic: Clinic, headers_for: Headers
    ) -> None:
        mine = await records(client, clinic)
        headers = await headers_for(clinic.tenant, *EVERY_SCOPE)
        child = mine.child["id"]
        for kind in _ids(mine, clinic):
            if kind in ("Patient", "Practitioner"):
                continue
            for name in ("patient", "subject"):
                ours = fhir(await client.get(f"{BASE}/{kind}?{name}={child}", headers=headers))
                Bundle.model_validate(ours)
                for other in (*NOT_OURS, child.upper()):
                    for value in (other, f"Patient/{other}"):
                        response = await client.get(
                            f"{BASE}/{kind}", params={name: value}, headers=headers
                        )
                        assert fhir(response)["entry"] == [], (kind, name, value)
                for bad in ("a_b", "Patient/", "Practitioner/x", "A" * 65):
                    response = await client.get(
                        f"{BASE}/{kind}", params={name: bad}, headers=headers
                    )
                    outcome(response, 400)


class TestConditionalRead:
    async def test_if_none_match_and_if_modified_since_answer_304(
        self, client: httpx.AsyncClient, clinic: Clinic, headers_for: Headers
    ) -> None:
        # FHIR http.html, "read": ETag `W/"versionId"` and Last-Modified; a client that holds
        # the version gets 304 without a body (If-None-Match first, RFC 9110 §13.2.2).
        mine = await records(client, clinic)
        headers = await headers_for(clinic.tenant, *EVERY_SCOPE)
        for kind, own in _ids(mine, clinic).items():
            url = f"{BASE}/{kind}/{own}"
            read = await client.get(url, headers=headers)
            body = fhir(read)
            version = body["meta"]["versionId"]
            assert read.headers["etag"] == f'W/"{version}"', kind
            updated = datetime.fromisoformat(body["meta"]["lastUpdated"].replace("Z", "+00:00"))
            modified = parsedate_to_datetime(read.headers["last-modified"])
            assert modified == updated.replace(microsecond=0), kind
            for tag in (f'W/"{version}"', f'"{version}"', f'W/"0", W/"{version}"', "*"):
                for method in ("GET", "HEAD"):
                    response = await client.request(
                        method, url, headers={**headers, "If-None-Match": tag}
                    )
                    assert response.status_code == 304, (kind, tag, method)
                    assert response.content == b""
                    assert response.headers["etag"] == read.headers["etag"]
                    _varies_on_accept(response)
            assert fhir(await client.get(url, headers={**headers, "If-None-Match": 'W/"0"'}))
            since = read.headers["last-modified"]
            not_modified = await client.get(url, headers={**headers, "If-Modified-Since": since})
            assert not_modified.status_code == 304, kind
            before = format_datetime(modified - timedelta(seconds=1), usegmt=True)
            fhir(await client.get(url, headers={**headers, "If-Modified-Since": before}))
            fhir(await client.get(url, headers={**headers, "If-Modified-Since": "yesterday"}))
            # If-None-Match decides when both are sent.
            both = {"If-None-Match": 'W/"0"', "If-Modified-Since": since}
            fhir(await client.get(url, headers={**headers, **both}))

    async def test_an_if_modified_since_past_any_calendar_is_ignored(
        self, client: httpx.AsyncClient, clinic: Clinic, headers_for: Headers
    ) -> None:
        mine = await records(client, clinic)
        headers = await headers_for(clinic.tenant, *EVERY_SCOPE)
        kind, own = next(iter(_ids(mine, clinic).items()))
        since = "Mon, 01 Jan 99999999999 00:00:00 GMT"  # a year no datetime holds
        fhir(
            await client.get(
                f"{BASE}/{kind}/{own}", headers={**headers, "If-Modified-Since": since}
            )
        )

    async def test_a_deleted_resource_is_410_not_304(
        self, client: httpx.AsyncClient, clinic: Clinic, headers_for: Headers
    ) -> None:
        mine = await records(client, clinic)
        headers = await headers_for(clinic.tenant, "practitioners:read")
        created = await client.post(
            "/v1/practitioners",
            json={"name": "Ana Ruiz", "discipline": "PT"},
            headers=clinic.headers,
        )
        assert created.status_code == 201, created.text
        url = f"{BASE}/Practitioner/{created.json()['id']}"
        read = await client.get(url, headers=headers)
        fhir(read)
        deleted = await client.delete(
            f"/v1/practitioners/{created.json()['id']}",
            headers={**clinic.headers, "If-Match": created.headers["etag"]},
        )
        assert deleted.status_code == 204, deleted.text
        assert mine.child
        held = {
            "If-None-Match": read.headers["etag"],
            "If-Modified-Since": "Fri, 01 Jan 2100 00:00:00 GMT",
        }
        outcome(await client.get(url, headers={**headers, **held}), 410)


# What a search takes besides its search parameters: FHIR's format parameters, and the API's
# own paging cursor (only ever in a `link.next`).
NOT_SEARCH_PARAMETERS = {"_format", "_pretty", "_cursor"}


async def test_the_capability_statement_lists_exactly_what_each_search_takes(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Derived from the routes themselves: a parameter a search takes and the statement does not
    # list (or the reverse) is a client's broken expectation.
    body = fhir(await client.get(f"{BASE}/metadata"))
    CapabilityStatement.model_validate(body)
    [rest] = body["rest"]
    routes = {
        context.path_format: context.original_route
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute)
    }
    assert rest["resource"]
    for resource in rest["resource"]:
        route = routes[f"{BASE}/{resource['type']}"]
        taken = {param.alias for param in route.dependant.query_params} - NOT_SEARCH_PARAMETERS
        assert {p["name"] for p in resource["searchParam"]} == taken, resource["type"]
        # Reads are conditional (If-None-Match and If-Modified-Since: TestConditionalRead).
        assert resource["conditionalRead"] == "full-support", resource["type"]
        read = routes[f"{BASE}/{resource['type']}/{{id}}"]
        assert {param.alias for param in read.dependant.query_params} == {"_format", "_pretty"}


def _nanos(moment: datetime, extra: int = 0) -> str:
    """A moment as an instant with nine digits of fraction (Go's RFC3339Nano, Java's Instant),
    `extra` nanoseconds after it."""
    micros = moment.microsecond * 1000 + extra
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + f".{micros:09d}Z"


async def test_instants_finer_than_a_microsecond_are_searched(
    client: httpx.AsyncClient, clinic: Clinic, headers_for: Headers
) -> None:
    # FHIR's instant and dateTime take any number of fraction digits (`(\.[0-9]+)?`): a client
    # writing nanoseconds is answered, not refused; what is stored to the microsecond compares
    # exactly with it.
    mine = await records(client, clinic)
    headers = await headers_for(clinic.tenant, "children:read")
    patient = fhir(await client.get(f"{BASE}/Patient/{mine.child['id']}", headers=headers))
    updated = datetime.fromisoformat(patient["meta"]["lastUpdated"].replace("Z", "+00:00"))
    for bound, extra, found in (
        ("ge", 0, True),
        ("gt", 0, False),
        ("le", 0, True),
        ("lt", 0, False),
        ("ge", 1, False),  # a nanosecond after it
        ("gt", -1, True),
        ("le", -1, False),
        ("lt", 1, True),
    ):
        value = f"{bound}{_nanos(updated, extra)}"
        bundle = fhir(
            await client.get(
                f"{BASE}/Patient",
                params={"_id": mine.child["id"], "_lastUpdated": value},
                headers=headers,
            )
        )
        assert bool(bundle["entry"]) is found, value
    outcome(
        await client.get(f"{BASE}/Patient?_lastUpdated=ge2026-01-01T00:00:00.Z", headers=headers),
        400,
    )


async def test_a_date_without_prefix_or_with_eq_is_the_range_of_its_precision(
    client: httpx.AsyncClient, clinic: Clinic, headers_for: Headers
) -> None:
    # FHIR search.html, "date": no prefix is `eq`, the range the value's precision implies (a
    # day, a minute, a second, ...): `Observation?date=2025-03-04` is the day's observations.
    mine = await records(client, clinic)
    headers = await headers_for(clinic.tenant, *EVERY_SCOPE)
    child = mine.child["id"]
    scores = {f"{mine.assessment['id']}.gmfm88-total"}
    for value in ("2025-03-04", "eq2025-03-04", "eq2025-03-04T00:00:00Z"):
        bundle = fhir(
            await client.get(
                f"{BASE}/Observation",
                params={"patient": child, "date": value, "_count": 200},
                headers=headers,
            )
        )
        found = {e["resource"]["id"] for e in bundle["entry"]}
        assert scores <= found, value
        assert {r.split(".")[0] for r in found} == {mine.assessment["id"]}, value
        for link in bundle["link"]:
            assert "date=" in link["url"]
    # With another bound: a range within the day.
    both = fhir(
        await client.get(
            f"{BASE}/QuestionnaireResponse",
            params=[("date", "2025-03-04"), ("date", "ge2025-03-05")],
            headers=headers,
        )
    )
    assert both["entry"] == []
    patient = fhir(await client.get(f"{BASE}/Patient/{child}", headers=headers))
    updated = datetime.fromisoformat(patient["meta"]["lastUpdated"].replace("Z", "+00:00"))
    for value, matches in (
        (updated.strftime("%Y-%m-%d"), True),
        ((updated - timedelta(days=1)).strftime("eq%Y-%m-%d"), False),
        (updated.strftime("%Y-%m-%dT%H:%MZ"), True),  # the minute
        (updated.strftime("eq%Y-%m-%dT%H:%M:%SZ"), True),  # the second
        ((updated + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ"), False),
        (_nanos(updated), True),
        (_nanos(updated, 1), False),
    ):
        bundle = fhir(
            await client.get(
                f"{BASE}/Patient", params={"_id": child, "_lastUpdated": value}, headers=headers
            )
        )
        assert bool(bundle["entry"]) is matches, value
    for unsupported in ("ne2025-03-04", "sa2025-03-04", "ap2025-03-04"):
        response = await client.get(
            f"{BASE}/Observation", params={"date": unsupported}, headers=headers
        )
        assert outcome(response, 400)["issue"][0]["expression"][0].startswith("#/date")


async def test_a_count_above_the_page_maximum_is_served_a_page_at_most(
    client: httpx.AsyncClient, clinic: Clinic, headers_for: Headers
) -> None:
    # FHIR search.html, "_count": the server "SHALL NOT return more resources than requested,
    # but MAY return fewer": `_count=1000` (a client wanting everything) is a page of 200 at
    # most, not a 400.
    mine = await records(client, clinic)
    headers = await headers_for(clinic.tenant, *EVERY_SCOPE)
    every = fhir(await client.get(f"{BASE}/Observation?_count=200", headers=headers))
    for count in ("201", "1000", "2147483647"):
        bundle = fhir(await client.get(f"{BASE}/Observation?_count={count}", headers=headers))
        Bundle.model_validate(bundle)
        assert bundle["entry"] == every["entry"], count
    assert mine.child
    for bad in ("-1", "x", "2147483648"):  # 0 is `_summary=count`
        outcome(await client.get(f"{BASE}/Observation?_count={bad}", headers=headers), 400)


@pytest.mark.parametrize(
    ("kind", "query"),
    [
        ("Observation", "_summary=count"),
        ("Observation", "_count=0"),
        ("Condition", "_summary=count"),  # several resources a row
        ("Patient", "_count=0&_summary=count"),
        ("Encounter", "_summary=count&_count=1"),
    ],
)
async def test_summary_count_and_count_0_answer_the_number_of_matches(
    client: httpx.AsyncClient, clinic: Clinic, headers_for: Headers, kind: str, query: str
) -> None:
    # FHIR search.html: `_summary=count` answers the number of matches in `Bundle.total`, with
    # no entries; `_count=0` is the same.
    mine = await records(client, clinic)
    headers = await headers_for(clinic.tenant, *EVERY_SCOPE)
    every = fhir(await client.get(f"{BASE}/{kind}?_count=200", headers=headers))["entry"]
    assert every
    bundle = fhir(await client.get(f"{BASE}/{kind}?{query}", headers=headers))
    Bundle.model_validate(bundle)
    assert bundle["type"] == "searchset"
    assert bundle["total"] == len(every)
    assert not bundle.get("entry")
    assert [link["relation"] for link in bundle["link"]] == ["self"]
    # With the search's other parameters: `_id` of none of ours counts nothing.
    own = _ids(mine, clinic)[kind]
    for wanted, total in ((own, 1), (own.upper(), 0), ("Abc-1.x", 0)):
        counted = fhir(await client.get(f"{BASE}/{kind}?{query}&_id={wanted}", headers=headers))
        assert counted["total"] == total, wanted


async def test_other_summaries_are_refused_or_ignored_when_lenient(
    client: httpx.AsyncClient, clinic: Clinic, headers_for: Headers
) -> None:
    await records(client, clinic)
    headers = await headers_for(clinic.tenant, *EVERY_SCOPE)
    every = fhir(await client.get(f"{BASE}/Condition", headers=headers))
    assert (
        fhir(await client.get(f"{BASE}/Condition?_summary=false", headers=headers))["entry"]
        == every["entry"]
    )
    for value in ("true", "text", "data", "COUNT"):
        body = outcome(await client.get(f"{BASE}/Condition?_summary={value}", headers=headers), 400)
        assert body["issue"][0]["expression"] == ["#/_summary"]
        lenient = {**headers, "Prefer": "handling=lenient"}
        found = fhir(await client.get(f"{BASE}/Condition?_summary={value}", headers=lenient))
        assert found["entry"] == every["entry"]
        assert all("_summary" not in link["url"] for link in found["link"])


FORM = "application/x-www-form-urlencoded"


async def test_search_by_post_is_the_search_by_get(
    client: httpx.AsyncClient, clinic: Clinic, headers_for: Headers
) -> None:
    # FHIR http.html, "search": a server searching with GET SHALL also search with
    # `POST [base]/[type]/_search`, its parameters form-encoded in the body (or in the URL).
    mine = await records(client, clinic)
    headers = await headers_for(clinic.tenant, *EVERY_SCOPE)
    child = mine.child["id"]
    for kind in _ids(mine, clinic):
        by_get = fhir(await client.get(f"{BASE}/{kind}?_count=1", headers=headers))
        by_post = await client.post(f"{BASE}/{kind}/_search", data={"_count": "1"}, headers=headers)
        assert fhir(by_post)["entry"] == by_get["entry"], kind
        Bundle.model_validate(fhir(by_post))
    posted = await client.post(
        f"{BASE}/Observation/_search?_count=200",
        data={"patient": f"Patient/{child}", "date": ["ge2025-03-04", "le2025-03-04"]},
        headers=headers,
    )
    got = fhir(posted)
    assert {e["resource"]["id"].split(".")[0] for e in got["entry"]} == {mine.assessment["id"]}
    # The links are GET searches a client follows as any, naming a page token, not the
    # parameters the body kept out of the URL (tests/fhir/test_search_by_post_links.py).
    self_link = got["link"][0]["url"]
    assert "/Observation?_page=" in self_link
    assert child not in self_link
    again = fhir(await client.get(self_link.removeprefix("http://testserver"), headers=headers))
    assert again["entry"] == got["entry"]
    # The same refusals as by GET.
    outcome(await client.post(f"{BASE}/Patient/_search", data={"name": "x"}, headers=headers), 400)
    outcome(await client.post(f"{BASE}/Patient/_search", data={"_count": "1"}), 401)
    wrong = await headers_for(clinic.tenant, "sessions:read")
    outcome(await client.post(f"{BASE}/Patient/_search", data={"_count": "1"}, headers=wrong), 403)
    outcome(await client.post(f"{BASE}/Patient/_search", data={"_id": "a_b"}, headers=headers), 400)
    outcome(await client.post(f"{BASE}/Patient/_search", json={"_count": 1}, headers=headers), 415)


async def test_the_capability_statement_instantiates_bulk_data(client: httpx.AsyncClient) -> None:
    # Bulk Data IG v2, "Server Capability Documentation": a server says it is one by the IG's
    # CapabilityStatement in `instantiates` (as it declares the `export` operations).
    body = fhir(await client.get(f"{BASE}/metadata"))
    CapabilityStatement.model_validate(body)
    assert "http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/bulk-data" in body["instantiates"]


async def test_a_modifier_on_a_parameter_served_is_refused_even_when_lenient(
    client: httpx.AsyncClient, clinic: Clinic, headers_for: Headers
) -> None:
    # FHIR search.html, "Modifiers": a modifier changes the parameter's meaning, so a server
    # SHALL reject a search with a modifier it does not support: ignoring `_id:not=X` under
    # `handling=lenient` would answer exactly what the client asked to leave out.
    mine = await records(client, clinic)
    headers = await headers_for(clinic.tenant, *EVERY_SCOPE)
    lenient = {**headers, "Prefer": "handling=lenient"}
    child = mine.child["id"]
    for kind, query in (
        ("Patient", f"_id:not={child}"),
        ("Patient", "identifier:exact=MRN-1"),
        ("Observation", "patient:missing=true"),
        ("Observation", f"subject:Patient={child}"),
        ("Encounter", "date:missing=false"),
        ("Condition", "_lastUpdated:missing=true"),
    ):
        for prefer in (headers, lenient):
            body = outcome(await client.get(f"{BASE}/{kind}?{query}", headers=prefer), 400)
            assert body["issue"][0]["code"] == "invalid", (kind, query)
            assert body["issue"][0]["expression"] == [f"#/{query.split('=')[0]}"]
    # A parameter not served at all, modifier or not, is still ignored when lenient.
    every = fhir(await client.get(f"{BASE}/Patient", headers=headers))
    ignored = fhir(await client.get(f"{BASE}/Patient?name:exact=Mia", headers=lenient))
    assert ignored["entry"] == every["entry"]
