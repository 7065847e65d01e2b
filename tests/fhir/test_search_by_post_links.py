"""`POST /fhir/R4/{type}/_search` keeps its parameters out of URLs: its Bundle's links (which a
client GETs, through proxies and access logs that record URLs) name an opaque page token,
never the MRN or the other values the body searched by."""

from __future__ import annotations

import httpx

from tests.fhir.test_patients import BASE, child, fhir, outcome
from tests.records.conftest import Headers
from tests.support.tenants import TenantClient

MRN = "MRN-SECRET-7"


def _links(body: dict[str, object]) -> dict[str, str]:
    return {link["relation"]: link["url"] for link in body["link"]}  # type: ignore[attr-defined]


def _ids(body: dict[str, object]) -> list[str]:
    return [entry["resource"]["id"] for entry in body.get("entry", [])]  # type: ignore[attr-defined]


async def test_the_links_of_a_search_by_post_carry_none_of_its_values(
    client: httpx.AsyncClient,
    tenant_a: TenantClient,
    tenant_b: TenantClient,
    headers_for: Headers,
) -> None:
    writer = await headers_for(tenant_a, "children:write")
    ids = [await child(client, writer, external_id=f"{MRN}{n}") for n in range(3)]
    headers = await headers_for(tenant_a, "children:read")
    searched = {"_lastUpdated": "ge2000-01-01", "_id": ",".join(ids), "_count": "1"}
    body = fhir(await client.post(f"{BASE}/Patient/_search", data=searched, headers=headers))
    seen = _ids(body)
    pages = [body]
    while (url := _links(body).get("next")) is not None:
        body = fhir(await client.get(url.removeprefix("http://testserver"), headers=headers))
        pages.append(body)
        seen += _ids(body)
    assert sorted(seen) == sorted(ids)
    assert len(pages) == 3
    for page in pages:
        for url in _links(page).values():
            assert "2000-01-01" not in url, url
            assert ids[0] not in url, url
    # The first page's `self` link is that search again, by GET.
    again = fhir(await client.get(_links(pages[0])["self"], headers=headers))
    assert _ids(again) == _ids(pages[0])

    search = f"{BASE}/Patient/_search"
    by_mrn = fhir(await client.post(search, data={"identifier": f"{MRN}1"}, headers=headers))
    assert _ids(by_mrn) == [ids[1]]
    assert MRN not in str(by_mrn["link"])
    counted = fhir(
        await client.post(
            f"{BASE}/Patient/_search",
            data={"identifier": f"{MRN}1", "_summary": "count"},
            headers=headers,
        )
    )
    assert counted["total"] == 1
    assert MRN not in str(counted["link"])

    # A page token is the clinic's: another clinic's client following it finds nothing of A's.
    second = _links(pages[0])["next"].removeprefix("http://testserver")
    other = await headers_for(tenant_b, "children:read")
    outcome(await client.get(second, headers=other), 400)
    outcome(await client.get(f"{BASE}/Patient?_page=not-a-token", headers=headers), 400)
