"""What every check gets (`Run`) and gives back (`Verdict`), and the writes checks share."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench.scale.api import bearer, child_body, token
from bench.scale.cluster import Cluster


@dataclass
class Run:
    """The cluster, one HTTP client, and every row the checks created (by resource)."""

    cluster: Cluster
    http: httpx.AsyncClient
    written: dict[str, set[str]] = field(default_factory=dict)

    async def admin_token(self, base_url: str | None = None) -> str:
        """A token of the all-scopes client, issued by `base_url` (the load balancer's)."""
        return await token(self.http, base_url or self.cluster.lb, self.cluster.admin)

    def wrote(self, resource: str, row_id: str) -> None:
        """Note a row a check created (the export check expects every one of them)."""
        self.written.setdefault(resource, set()).add(row_id)

    async def create(
        self, base_url: str, resource: str, body: dict[str, Any], access_token: str
    ) -> str:
        """POST a row of `resource` (`children`, `milestones`) through `base_url`; its id."""
        response = await self.http.post(
            f"{base_url}/v1/{resource}", json=body, headers=bearer(access_token)
        )
        if response.status_code != 201:
            raise RuntimeError(f"POST /v1/{resource}: {response.status_code} {response.text}")
        row_id = str(response.json()["id"])
        self.wrote(resource, row_id)
        return row_id

    async def create_children(
        self, tag: str, count: int, targets: list[str], access_token: str, at_once: int = 10
    ) -> dict[str, str]:
        """`count` children, the i-th through `targets[i % len(targets)]`, `at_once` in flight
        at a time: the base URL each was created through, by id."""
        made: dict[str, str] = {}
        for first in range(0, count, at_once):
            numbers = range(first, min(count, first + at_once))
            urls = [targets[n % len(targets)] for n in numbers]
            ids = await asyncio.gather(
                *(
                    self.create(url, "children", child_body(tag, n), access_token)
                    for n, url in zip(numbers, urls, strict=True)
                )
            )
            made.update(zip(ids, urls, strict=True))
        return made

    def name_of(self, base_url: str) -> str:
        """`A`, `B` or `HAProxy`: how a summary names a base URL."""
        for name in self.cluster.replicas:
            if self.cluster.url(name) == base_url:
                return name.upper()
        return "HAProxy"


@dataclass
class Verdict:
    """A check's figures (one line) and what it found wrong (none: PASS)."""

    summary: str
    problems: list[str] = field(default_factory=list)

    def expect(self, condition: bool, problem: str) -> None:
        """Note `problem` unless `condition` holds."""
        if not condition:
            self.problems.append(problem)

    @property
    def passed(self) -> bool:
        """Whether nothing was wrong."""
        return not self.problems


@dataclass(frozen=True)
class Check:
    """A named check: it drives the cluster and judges what it observed."""

    name: str
    run: Callable[[Run], Awaitable[Verdict]]
