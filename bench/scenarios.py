"""The measured scenarios and their inputs: id lists, the POST body, a fresh token."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import httpx

from bench.config import BenchConfig, asyncpg_dsn

ID_SAMPLE = 10_000  # ids per list; wrk cycles through them


@dataclass(frozen=True)
class Scenario:
    """One wrk script and the id list it cycles through (None: a fixed request)."""

    name: str
    ids: str | None
    authorized: bool = True


BASELINE = Scenario("baseline", "children", authorized=False)
SCENARIOS = (
    Scenario("get_child", "children"),
    Scenario("list_children", None),
    Scenario("list_child_sessions", "session_children"),
    Scenario("post_session", None),
    Scenario("get_progress", "progress_children"),
)

# $1 clinic, $2 the child POST requests write to (left out: its history grows with every run),
# $3-$4 the session window, $5 how many: a random sample of live children.
_CHILDREN = """
SELECT c.id FROM child c
WHERE c.clinic_id = $1 AND c.deleted_at IS NULL AND c.id <> $2 AND $3::timestamptz < $4
ORDER BY random() LIMIT $5
"""
_SESSION_CHILDREN = """
SELECT c.id FROM child c
WHERE c.clinic_id = $1 AND c.deleted_at IS NULL AND c.id <> $2
  AND EXISTS (SELECT 1 FROM session_record s WHERE s.clinic_id = $1 AND s.child_id = c.id
              AND s.deleted_at IS NULL AND s.started_at >= $3 AND s.started_at < $4)
ORDER BY random() LIMIT $5
"""
_PROGRESS_CHILDREN = """
SELECT c.id FROM child c
WHERE c.clinic_id = $1 AND c.deleted_at IS NULL AND c.id <> $2
  AND EXISTS (SELECT 1 FROM session_record s WHERE s.clinic_id = $1 AND s.child_id = c.id
              AND s.deleted_at IS NULL AND s.started_at >= $3 AND s.started_at < $4)
  AND EXISTS (SELECT 1 FROM assessment a WHERE a.clinic_id = $1 AND a.child_id = c.id
              AND a.deleted_at IS NULL AND a.status = 'final')
ORDER BY random() LIMIT $5
"""
ID_QUERIES = {
    "children": _CHILDREN,
    "session_children": _SESSION_CHILDREN,
    "progress_children": _PROGRESS_CHILDREN,
}


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Inputs:
    """Files and values the Lua scripts read (through the environment)."""

    directory: Path
    session_from: str
    session_to: str

    def env(self, scenario: Scenario) -> dict[str, str]:
        """The environment of one scenario's wrk process."""
        env = {
            "BENCH_TOKEN_FILE": str(self.directory / "token"),
            "BENCH_BODY_FILE": str(self.directory / "post_session.json"),
            "BENCH_FROM": self.session_from,
            "BENCH_TO": self.session_to,
        }
        if scenario.ids:
            env["BENCH_IDS_FILE"] = str(self.directory / f"{scenario.ids}.txt")
        return env


def _post_body(marker: dict[str, Any]) -> dict[str, Any]:
    supports = ("trunk", "pelvis", "thighs", "knees", "ankles")
    return {
        "child_id": marker["post_child_id"],
        "practitioner_id": marker["practitioner_id"],
        "type": "dmi",
        "setting": "clinic",
        "started_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "duration_minutes": 50,
        "caregiver_present": True,
        "exercises": [
            {
                "exercise_id": exercise_id,
                "repetitions": 5 + n % 5,
                "sets": 1 + n % 3,
                "support_point": supports[n % len(supports)],
                "response": ("none", "partial", "full")[n % 3],
            }
            for n, exercise_id in enumerate(marker["exercise_ids"][:10])
        ],
        "notes": {"subjective": "Slept well.", "plan": "Move the hold to the thighs."},
    }


async def write_inputs(config: BenchConfig, marker: dict[str, Any]) -> Inputs:
    """Random id lists (as the owner), the POST body and the session date window."""
    directory = config.state_dir / "run"
    directory.mkdir(parents=True, exist_ok=True)
    today = datetime.combine(datetime.now(UTC).date(), time(), tzinfo=UTC)
    start, end = today - timedelta(days=365), today + timedelta(days=1)
    clinic, post_child = uuid.UUID(marker["clinic_id"]), uuid.UUID(marker["post_child_id"])
    conn = await asyncpg.connect(asyncpg_dsn(config.owner_url))
    try:
        for name, query in ID_QUERIES.items():
            rows = await conn.fetch(query, clinic, post_child, start, end, ID_SAMPLE)
            if not rows:
                raise RuntimeError(f"no ids for {name}: is the database seeded?")
            text = "".join(f"{row['id']}\n" for row in rows)
            (directory / f"{name}.txt").write_text(text, encoding="utf-8")
    finally:
        await conn.close()
    body = json.dumps(_post_body(marker))
    (directory / "post_session.json").write_text(body, encoding="utf-8")
    return Inputs(directory, _iso(start), _iso(end))


def fetch_token(base_url: str, marker: dict[str, Any], inputs: Inputs) -> None:
    """A fresh access token (client_credentials, HTTP Basic) into the token file."""
    response = httpx.post(
        f"{base_url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(marker["client_id"], marker["client_secret"]),
        timeout=10,
    )
    response.raise_for_status()
    (inputs.directory / "token").write_text(response.json()["access_token"], encoding="utf-8")
