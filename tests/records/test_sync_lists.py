"""A mirror kept by the README's list sync (records API, "Lists"): page in the default order,
keep the newest `updated_at` seen, start the next run with `updated_since` a minute before it.
Rows changed and deleted while a run pages are seen (some twice), on both serving paths."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.support.clinics import Clinic
from tests.support.sessions import create, if_match

CHILDREN, RECORDS = "/v1/children", "/v1/session-records"
Mirror = dict[str, tuple[int, bool]]  # id: (version, deleted)


class Run:
    """One sync run of a list, a page at a time."""

    def __init__(self, client: httpx.AsyncClient, clinic: Clinic, url: str, since: str | None):
        self.client, self.clinic, self.url = client, clinic, url
        self.params: dict[str, Any] = {"limit": 2, **({"updated_since": since} if since else {})}
        if url == CHILDREN:  # not the clinic's seeded children
            self.params["family_name"] = "Sync"
        self.cursor: str | None = None
        self.done = False
        self.newest: datetime | None = None

    async def page(self, mirror: Mirror) -> None:
        params = {**self.params, **({"cursor": self.cursor} if self.cursor else {})}
        response = await self.client.get(self.url, params=params, headers=self.clinic.headers)
        assert response.status_code == 200, response.text
        body = response.json()
        for row in body["data"]:
            kept = mirror.get(row["id"])
            if kept is None or kept[0] < row["version"]:
                mirror[row["id"]] = (row["version"], row["deleted_at"] is not None)
            stamp = datetime.fromisoformat(row["updated_at"])
            self.newest = stamp if self.newest is None else max(self.newest, stamp)
        self.cursor = body["next_cursor"]
        self.done = self.cursor is None

    async def rest(self, mirror: Mirror) -> None:
        while not self.done:
            await self.page(mirror)

    def next_since(self) -> str:
        assert self.newest is not None
        return (self.newest - timedelta(minutes=1)).isoformat()


async def server_state(client: httpx.AsyncClient, clinic: Clinic, url: str) -> Mirror:
    found: Mirror = {}
    await Run(client, clinic, url, "2000-01-01T00:00:00+00:00").rest(found)
    return found


async def delete(client: httpx.AsyncClient, clinic: Clinic, url: str, row: dict[str, Any]) -> None:
    response = await client.delete(f"{url}/{row['id']}", headers=if_match(clinic, row))
    assert response.status_code == 204, response.text


async def child(client: httpx.AsyncClient, clinic: Clinic, n: int) -> dict[str, Any]:
    body = {"given_name": f"C{n}", "family_name": "Sync", "birth_date": "2024-03-01", "sex": "male"}
    return await clinic.post(client, CHILDREN, **body)


@pytest.mark.usefixtures("serving_path")
@pytest.mark.parametrize("url", [CHILDREN, RECORDS])
async def test_changes_while_paging_reach_the_mirror(
    client: httpx.AsyncClient, clinic: Clinic, url: str
) -> None:
    if url == CHILDREN:
        rows = [await child(client, clinic, n) for n in range(6)]
    else:
        rows = [await create(client, clinic, duration_minutes=30 + n) for n in range(6)]
    mirror: Mirror = {}
    first = Run(client, clinic, url, None)  # the first run: live rows
    await first.page(mirror)
    seen = [row for row in rows if row["id"] in mirror]
    unseen = [row for row in rows if row["id"] not in mirror]
    # While it pages: a row it has is changed, one it has not reached is deleted, another
    # changed, and a new one is made.
    changes = {"duration_minutes": 55} if url == RECORDS else {"status": "on_hold"}
    await clinic.patch(client, f"{url}/{seen[0]['id']}", seen[0]["version"], **changes)
    await delete(client, clinic, url, unseen[0])
    await clinic.patch(client, f"{url}/{unseen[1]['id']}", unseen[1]["version"], **changes)
    await (child(client, clinic, 9) if url == CHILDREN else create(client, clinic))
    await first.rest(mirror)
    # The row changed behind the cursor came again in the same run.
    assert mirror[seen[0]["id"]][0] == seen[0]["version"] + 1
    second = Run(client, clinic, url, first.next_since())
    await second.rest(mirror)
    assert mirror == {
        key: value
        for key, value in (await server_state(client, clinic, url)).items()
        if key in mirror or not value[1]
    }
    assert mirror[unseen[0]["id"]][1] is True  # the tombstone came
