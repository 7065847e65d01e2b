"""A bulk export started through one replica, polled and downloaded through the other (the
job workers and both replicas share `DMI_EXPORT_DIR`): it holds every row the run wrote."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

from bench.scale.api import bearer
from bench.scale.checking import Run, Verdict

RESOURCES = ["children", "milestones"]
OWN_CHILDREN = 10  # written here (each with a milestone), besides the other checks' rows
POLL_TIMEOUT = 60.0


async def _write(run: Run, access_token: str) -> None:
    """Children through A and B in turn, a milestone of each through the load balancer."""
    targets = [run.cluster.url("a"), run.cluster.url("b")]
    children = await run.create_children("export", OWN_CHILDREN, targets, access_token)
    await asyncio.gather(
        *(
            run.create(
                run.cluster.lb,
                "milestones",
                {"child_id": child, "milestone": "rolling", "achieved_on": "2025-01-10"},
                access_token,
            )
            for child in children
        )
    )


async def _start(run: Run, access_token: str) -> str:
    response = await run.http.post(
        f"{run.cluster.url('a')}/v1/exports",
        json={"resources": RESOURCES},
        headers=bearer(access_token),
    )
    if response.status_code != 202:
        raise RuntimeError(f"POST /v1/exports: {response.status_code} {response.text}")
    return str(response.json()["id"])


async def _poll(run: Run, export_id: str, access_token: str) -> tuple[dict[str, Any], Counter[int]]:
    """GET the export through B until it is done: its manifest, and the statuses seen."""
    seen: Counter[int] = Counter()
    deadline = time.monotonic() + POLL_TIMEOUT
    while time.monotonic() < deadline:
        response = await run.http.get(
            f"{run.cluster.url('b')}/v1/exports/{export_id}", headers=bearer(access_token)
        )
        seen[response.status_code] += 1
        if response.status_code != 202:
            manifest: dict[str, Any] = response.json()
            return manifest, seen
        await asyncio.sleep(0.1)
    raise RuntimeError(f"the export was not done after {POLL_TIMEOUT:.0f} s: {dict(seen)}")


async def _download(run: Run, url: str, access_token: str) -> dict[str, httpx.Response]:
    """A file of the manifest through B, then through A."""
    path = urlsplit(url).path
    headers = bearer(access_token)
    return {
        name: await run.http.get(f"{run.cluster.url(name)}{path}", headers=headers) for name in "ba"
    }


async def _read_files(
    run: Run, manifest: dict[str, Any], access_token: str
) -> tuple[dict[str, list[str]], list[str]]:
    """The ids of each resource's lines, and what was wrong with the files."""
    lines: dict[str, list[str]] = {}
    problems: list[str] = []
    for entry in manifest.get("output", []):
        copies = await _download(run, entry["url"], access_token)
        codes = {name: response.status_code for name, response in copies.items()}
        if set(codes.values()) != {200}:
            problems.append(f"{entry['type']}: downloads answered {codes}")
            continue
        if copies["a"].content != copies["b"].content:
            problems.append(f"{entry['type']}: A and B served different files")
        ids = [str(orjson.loads(line)["id"]) for line in copies["b"].content.splitlines() if line]
        if len(ids) != entry["count"]:
            problems.append(
                f"{entry['type']}: {len(ids)} lines, the manifest says {entry['count']}"
            )
        lines.setdefault(entry["type"], []).extend(ids)
    return lines, problems


async def export(run: Run) -> Verdict:
    """POST through A, poll through B, download through B and A; the lines are the rows."""
    access_token = await run.admin_token()
    await _write(run, access_token)
    started = time.monotonic()
    export_id = await _start(run, access_token)
    manifest, polls = await _poll(run, export_id, access_token)
    done = time.monotonic() - started
    lines, problems = await _read_files(run, manifest, access_token)
    counts = {resource: len(lines.get(resource, [])) for resource in RESOURCES}
    expected = {resource: len(run.written.get(resource, ())) for resource in RESOURCES}
    verdict = Verdict(
        f"POST /v1/exports through A → {manifest['status']} {done:.1f} s later, polled through B "
        f"({dict(polls)}); {len(manifest.get('output', []))} files downloaded through B and A; "
        f"lines {counts}, rows the run wrote {expected}",
        problems,
    )
    verdict.expect(manifest["status"] == "completed", f"the export ended {manifest['status']}")
    for resource in RESOURCES:
        got = lines.get(resource, [])
        verdict.expect(len(got) == len(set(got)), f"{resource}: a row on two lines")
        verdict.expect(
            set(got) == run.written.get(resource, set()),
            f"{resource}: the lines are not the rows written",
        )
    return verdict
