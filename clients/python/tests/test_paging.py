"""Cursor paging through the served app's lists: every item exactly once over several pages,
sync and async; one page at a time; the change-event feed until caught up."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, date, datetime

from dmi_api_client import AsyncDmiClient, DmiClient, models
from tests.support.proxy import Proxy
from tests.support.served import Served


def _children(dmi: DmiClient, family: str, count: int) -> list[models.ChildPublic]:
    return [
        dmi.children.create(
            {
                "given_name": f"P{i}",
                "family_name": family,
                "birth_date": "2023-01-01",
                "sex": "male",
            }
        )
        for i in range(count)
    ]


def test_list_follows_cursors_over_pages(dmi: DmiClient) -> None:
    family = f"Page{uuid.uuid4().hex[:8]}"
    made = _children(dmi, family, 5)
    listed = list(dmi.children.list(family_name=family, limit=2, sort="created_at"))
    assert [c.id for c in listed] == [c.id for c in made]
    assert all(isinstance(c, models.ChildPublic) for c in listed)


def test_pages_one_at_a_time(dmi: DmiClient) -> None:
    family = f"One{uuid.uuid4().hex[:8]}"
    _children(dmi, family, 3)
    sizes = []
    page = dmi.children.page(family_name=family, limit=2)
    sizes.append(len(page.data))
    while page.next_cursor:
        page = dmi.children.page(family_name=family, limit=2, cursor=page.next_cursor)
        sizes.append(len(page.data))
    assert sizes == [2, 1]


async def test_async_list_follows_cursors(admi: AsyncDmiClient, dmi: DmiClient) -> None:
    family = f"Async{uuid.uuid4().hex[:8]}"
    made = _children(dmi, family, 3)
    listed = [c async for c in admi.children.list(family_name=family, limit=1, sort="created_at")]
    assert [c.id for c in listed] == [c.id for c in made]


def test_versions_and_the_event_feed(dmi: DmiClient) -> None:
    start = dmi.events.page(limit=1)
    # The feed from the newest position: walk it to the end first.
    cursor = start.next_cursor
    while True:
        page = dmi.events.page(cursor=cursor, limit=200)
        cursor = page.next_cursor
        if not page.has_more:
            break
    since = datetime.now(UTC)
    family = f"Feed{uuid.uuid4().hex[:8]}"
    [child] = _children(dmi, family, 1)
    changed = dmi.children.update(child.id, {"status": "on_hold"}, if_match=child.version)
    assert [v.version for v in dmi.children.versions(child.id, limit=1)] == [1, 2]
    # The feed shows a transaction's events once every older transaction of the cluster has
    # ended (README, Change events): another suite's transactions may hold it back a moment.
    mark, events = cursor, list[models.EventPublic]()
    deadline = time.monotonic() + 20
    while len(events) < 2 and time.monotonic() < deadline:
        page = dmi.events.page(cursor=cursor, limit=200)
        cursor = page.next_cursor
        events += [e for e in page.data if e.resource.id == child.id]
        if not page.has_more:
            time.sleep(0.2)
    assert [e.type for e in events] == ["child.created", "child.updated"]
    # Listing from the mark, a page of one at a time, until caught up.
    listed = [e for e in dmi.events.list(cursor=mark, limit=1) if e.resource.id == child.id]
    assert [e.id for e in listed] == [e.id for e in events]
    assert changed.updated_at >= since


async def test_children_found_by_name_keep_the_name_out_of_urls(
    served: Served, proxy: Proxy, dmi: DmiClient
) -> None:
    # A name in a URL is PHI in every proxy's and access log: the client sends the children
    # list's filters in the body of `POST /v1/children/search`, page after page.
    family = f"Url{uuid.uuid4().hex[:8]}"
    made = _children(dmi, family, 3)
    with DmiClient(proxy.url, served.secret) as client:
        listed = list(
            client.children.list(
                family_name=family, birth_date_from=date(2023, 1, 1), limit=2, sort="created_at"
            )
        )
        first = client.children.page(family_name=family, limit=2)
        second = client.children.page(family_name=family, limit=2, cursor=first.next_cursor)
    async with AsyncDmiClient(proxy.url, served.secret) as aclient:
        alisted = [c async for c in aclient.children.list(family_name=family, limit=1)]
    assert [c.id for c in listed] == [c.id for c in made]
    assert {c.id for c in [*first.data, *second.data]} == {c.id for c in made}
    assert {c.id for c in alisted} == {c.id for c in made}
    assert proxy.seen_at("POST /v1/children/search")
    assert not [s.path for s in proxy.seen if family in s.path or "2023-01-01" in s.path]
