"""Webhooks with two job workers: each event caused by writes spread over both replicas and the
load balancer reaches the receiver exactly once, signed, and the delivery log agrees; then every
delivery is resent at once (a job each, which both workers compete for) and each arrives
exactly once more."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from bench.scale.api import bearer, pages
from bench.scale.checking import Run, Verdict
from bench.scale.receiver import Delivery

EVENTS = 50
EVENT_TYPE = "child.created"
DELIVERY_TIMEOUT = 30.0
STRAGGLERS_SECONDS = 1.0  # listened for after the last expected delivery: a late duplicate


@dataclass
class Endpoint:
    """The registered endpoint, and the token of the client managing it."""

    id: str
    etag: str
    access_token: str


async def _register(run: Run, access_token: str) -> Endpoint:
    response = await run.http.post(
        f"{run.cluster.lb}/v1/webhook-endpoints",
        json={"url": run.cluster.receiver.url, "event_types": [EVENT_TYPE]},
        headers=bearer(access_token),
    )
    if response.status_code != 201:
        raise RuntimeError(f"POST /v1/webhook-endpoints: {response.status_code} {response.text}")
    run.cluster.receiver.secret = response.json()["secret"]
    return Endpoint(response.json()["id"], response.headers["etag"], access_token)


async def _remove(run: Run, endpoint: Endpoint) -> None:
    """Delete the endpoint: the checks after this one write without deliveries."""
    response = await run.http.delete(
        f"{run.cluster.lb}/v1/webhook-endpoints/{endpoint.id}",
        headers={**bearer(endpoint.access_token), "If-Match": endpoint.etag},
    )
    if response.status_code != 204:
        raise RuntimeError(f"DELETE the endpoint: {response.status_code} {response.text}")


async def _events_of(run: Run, children: set[str], access_token: str) -> set[str]:
    """The ids of the `child.created` events of `children`, once the feed shows them all."""
    deadline = time.monotonic() + 10
    found: set[str] = set()
    while time.monotonic() < deadline:
        url = f"{run.cluster.lb}/v1/events"
        found = {
            event["id"]
            async for event in pages(run.http, url, access_token, {"type": EVENT_TYPE})
            if event["resource"]["id"] in children
        }
        if len(found) == len(children):
            break
        await asyncio.sleep(0.2)
    return found


async def _arrivals(run: Run, expected: set[str], times: int) -> list[Delivery]:
    """Everything that reached the receiver once each expected event arrived `times` times (or
    the timeout passed), plus the stragglers of a second more."""
    deadline = time.monotonic() + DELIVERY_TIMEOUT
    while time.monotonic() < deadline:
        arrived = Counter(d.webhook_id for d in run.cluster.receiver.received())
        if all(arrived[event] >= times for event in expected):
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(STRAGGLERS_SECONDS)
    return run.cluster.receiver.received()


async def _log(run: Run, endpoint: Endpoint) -> list[dict[str, Any]]:
    url = f"{run.cluster.lb}/v1/webhook-endpoints/{endpoint.id}/deliveries"
    return [entry async for entry in pages(run.http, url, endpoint.access_token, {})]


async def _resend_all(run: Run, endpoint: Endpoint, log: list[dict[str, Any]]) -> Counter[int]:
    """Every delivery made due again, through A and B in turn, all at once: the statuses."""
    urls = [run.cluster.url("a"), run.cluster.url("b")]
    headers = bearer(endpoint.access_token)
    responses = await asyncio.gather(
        *(
            run.http.post(
                f"{urls[n % 2]}/v1/webhook-endpoints/{endpoint.id}/deliveries/{entry['id']}/resend",
                headers=headers,
            )
            for n, entry in enumerate(log)
        )
    )
    return Counter(response.status_code for response in responses)


def _senders(run: Run, deliveries: list[Delivery]) -> str:
    names = {worker.process.pid: worker.name for worker in run.cluster.workers}
    counts = Counter(names.get(d.sender_pid or 0, "unknown") for d in deliveries)
    return ", ".join(f"{name} {count}" for name, count in sorted(counts.items()))


def _latency(deliveries: list[Delivery]) -> str:
    """The median and the longest time from an event to its delivery."""
    times = sorted(d.latency_ms for d in deliveries)
    if not times:
        return "none"
    return f"p50 {times[len(times) // 2]:.0f} ms, max {times[-1]:.0f} ms"


@dataclass
class Observed:
    """What the check saw, phase by phase."""

    through: Counter[str]  # children created, by the base URL's name
    expected: set[str]  # the events they caused
    first: list[Delivery]  # deliveries after the writes
    resent: Counter[int]  # the resend requests' statuses
    second: list[Delivery]  # deliveries after the resends
    log: list[dict[str, Any]]  # the delivery log at the end
    alive: int  # job workers still running


def _judge(run: Run, seen: Observed) -> Verdict:
    every = seen.first + seen.second
    per_event = Counter(d.webhook_id for d in every)
    duplicates = sum(n - 2 for n in per_event.values() if n > 2)
    early = sum(n - 1 for n in Counter(d.webhook_id for d in seen.first).values() if n > 1)
    missing = {event for event in seen.expected if per_event[event] < 2}
    twice = sum(per_event[event] == 2 for event in seen.expected)
    unexpected = set(per_event) - seen.expected
    unsigned = sum(not d.signature_ok for d in every)
    outcomes = Counter(entry["status"] for entry in seen.log)
    attempts = Counter(entry["attempts"] for entry in seen.log)
    through = ", ".join(f"{name} {count}" for name, count in sorted(seen.through.items()))
    verdict = Verdict(
        f"{sum(seen.through.values())} children created through {through} → "
        f"{len(seen.expected)} {EVENT_TYPE} events → {len(seen.first)} deliveries (event to "
        f"arrival {_latency(seen.first)}), sent by {_senders(run, seen.first)}; all resent "
        f"through A and B at once ({dict(seen.resent)}) → {len(seen.second)} more, sent by "
        f"{_senders(run, seen.second)}; {twice} of {len(seen.expected)} events arrived exactly "
        f"twice in all: {early + duplicates} duplicates, {len(missing)} missing, {len(unexpected)} "
        f"unexpected, {unsigned} badly signed; delivery log {dict(outcomes)}, attempts "
        f"{dict(attempts)}; job workers alive: {seen.alive}"
    )
    verdict.expect(len(seen.expected) == EVENTS, f"the feed shows {len(seen.expected)} events")
    verdict.expect(not missing, f"{len(missing)} events not delivered once and once again")
    verdict.expect(early == 0, f"{early} events delivered twice before the resend")
    verdict.expect(duplicates == 0, f"{duplicates} events delivered more than twice in all")
    verdict.expect(not unexpected, f"{len(unexpected)} deliveries of events not caused here")
    verdict.expect(unsigned == 0, f"{unsigned} deliveries without a valid signature")
    verdict.expect(seen.resent == {202: EVENTS}, f"resends answered {dict(seen.resent)}")
    verdict.expect(outcomes == {"succeeded": EVENTS}, f"delivery log: {dict(outcomes)}")
    verdict.expect(attempts == {2: EVENTS}, f"attempts in the log: {dict(attempts)}")
    verdict.expect(seen.alive == len(run.cluster.workers), "a job worker exited")
    return verdict


async def webhooks(run: Run) -> Verdict:
    """`EVENTS` children created through A, B and HAProxy in turn: every event delivered once;
    every delivery resent: each delivered once more."""
    endpoint = await _register(run, await run.admin_token())
    targets = [run.cluster.url("a"), run.cluster.url("b"), run.cluster.lb]
    made = await run.create_children("webhooks", EVENTS, targets, endpoint.access_token)
    expected = await _events_of(run, set(made), endpoint.access_token)
    first = await _arrivals(run, expected, times=1)
    resent = await _resend_all(run, endpoint, await _log(run, endpoint))
    every = await _arrivals(run, expected, times=2)
    log = await _log(run, endpoint)
    await _remove(run, endpoint)
    seen = Observed(
        through=Counter(run.name_of(url) for url in made.values()),
        expected=expected,
        first=first,
        resent=resent,
        second=every[len(first) :],
        log=log,
        alive=sum(worker.process.poll() is None for worker in run.cluster.workers),
    )
    return _judge(run, seen)
