"""Bulk export through the served app and `dmi-api worker`: kick off, poll as `Retry-After`
says, download every file to disk; each line is the resource as its GET returns it. Also the
FHIR `$export` and the async client, and downloads cut mid-file by the network (resumed where
they broke off, never kept short)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from dmi_api_client import AsyncDmiClient, DmiClient, ExportFailedError, RetryPolicy, models
from tests.support.proxy import Fault, Proxy
from tests.support.served import Served

FAST = RetryPolicy(attempts=4, backoff=0.05, max_backoff=0.2)


def _made_since(dmi: DmiClient, count: int) -> tuple[datetime, list[models.ChildPublic]]:
    since = datetime.now(UTC)
    family = f"X{uuid.uuid4().hex[:8]}"
    made = [
        dmi.children.create(
            {
                "given_name": f"E{i}",
                "family_name": family,
                "birth_date": "2022-06-01",
                "sex": "female",
            }
        )
        for i in range(count)
    ]
    return since, made


def _lines(path: Path | None) -> list[dict[str, object]]:
    assert path is not None
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_export_downloads_what_changed_since(dmi: DmiClient, out_dir: Path) -> None:
    since, made = _made_since(dmi, 3)
    export, files = dmi.exports.run(out_dir, resources=["children"], since=since)
    assert export.status == "completed"
    assert export.transaction_time is not None
    [children] = [f for f in files if not f.deleted]
    assert children.path is not None
    assert children.path.parent == out_dir
    rows = [models.ChildPublic.model_validate(r) for r in _lines(children.path)]
    assert {r.id for r in rows} == {c.id for c in made}
    assert children.count == len(rows)
    assert not list(out_dir.glob("*.part"))


async def test_async_export_and_fhir_export(
    admi: AsyncDmiClient, dmi: DmiClient, out_dir: Path
) -> None:
    since, made = _made_since(dmi, 2)
    _export, files = await admi.exports.run(out_dir / "v1", resources=["children"], since=since)
    assert {r["id"] for f in files for r in _lines(f.path)} == {str(c.id) for c in made}
    manifest, fhir_files = await admi.exports.fhir(out_dir / "fhir", types=["Patient"], since=since)
    assert manifest["requiresAccessToken"] is True
    patients = [r for f in fhir_files for r in _lines(f.path)]
    assert {p["id"] for p in patients} == {str(c.id) for c in made}
    assert all(p["resourceType"] == "Patient" for p in patients)


def _finished(dmi: DmiClient, count: int) -> tuple[list[models.ChildPublic], models.ExportPublic]:
    since, made = _made_since(dmi, count)
    return made, dmi.exports.wait(dmi.exports.create(["children"], since).id)


def _file_route(export: models.ExportPublic) -> tuple[str, str]:
    """The `METHOD /path` of the export's one file, and its name."""
    [output] = export.output
    path = urlsplit(output.url).path
    return f"GET {path}", path.rsplit("/", 1)[-1]


@pytest.mark.parametrize("no_length", [False, True], ids=["with-length", "read-until-close"])
def test_a_download_cut_mid_file_is_resumed_where_it_broke_off(
    served: Served, proxy: Proxy, dmi: DmiClient, out_dir: Path, no_length: bool
) -> None:
    made, export = _finished(dmi, 20)
    route, _name = _file_route(export)
    proxy.plan(route, Fault(cut=300, no_length=no_length))
    with DmiClient(proxy.url, served.secret, retry=FAST) as client:
        [got] = client.exports.download(export, out_dir)
    assert {r["id"] for r in _lines(got.path)} == {str(c.id) for c in made}
    assert [a.headers.get("range") for a in proxy.seen_at(route)] == [None, "bytes=300-"]
    assert not list(out_dir.glob("*.part"))


def test_a_download_cut_on_every_attempt_is_never_kept_short(
    served: Served, proxy: Proxy, dmi: DmiClient, out_dir: Path
) -> None:
    # A proxy that ends the body by closing the connection: nothing tells the cut from the end
    # but the manifest's line count.
    _made, export = _finished(dmi, 20)
    route, name = _file_route(export)
    proxy.plan(route, *[Fault(cut=100, no_length=True)] * FAST.attempts)
    with (
        DmiClient(proxy.url, served.secret, retry=FAST) as client,
        pytest.raises(ExportFailedError, match=name),
    ):
        client.exports.download(export, out_dir)
    assert len(proxy.seen_at(route)) == FAST.attempts
    assert not (out_dir / name).exists()


async def test_async_download_cut_mid_file_is_resumed(
    served: Served, proxy: Proxy, dmi: DmiClient, out_dir: Path
) -> None:
    made, export = _finished(dmi, 20)
    route, _name = _file_route(export)
    proxy.plan(route, Fault(cut=300), Fault(cut=200, no_length=True))
    async with AsyncDmiClient(proxy.url, served.secret, retry=FAST) as client:
        [got] = await client.exports.download(export, out_dir)
    assert {r["id"] for r in _lines(got.path)} == {str(c.id) for c in made}
    ranges = [a.headers.get("range") for a in proxy.seen_at(route)]
    assert ranges == [None, "bytes=300-", "bytes=500-"]


def test_a_kick_off_whose_answer_was_lost_is_resent_with_its_key(
    served: Served, proxy: Proxy, dmi: DmiClient, out_dir: Path
) -> None:
    since, made = _made_since(dmi, 2)
    proxy.plan("POST /v1/exports", Fault(drop=True))  # the export starts; its answer is lost
    with DmiClient(proxy.url, served.secret, retry=FAST) as client:
        export, files = client.exports.run(out_dir, resources=["children"], since=since)
    attempts = proxy.seen_at("POST /v1/exports")
    assert len(attempts) == len(proxy.forwarded_at("POST /v1/exports")) == 2
    assert len({a.headers["idempotency-key"] for a in attempts}) == 1
    assert {r["id"] for f in files for r in _lines(f.path)} == {str(c.id) for c in made}
    # The export it was told of is the one it started: no other one was left running.
    after = dmi.exports.create(["milestones"])
    assert dmi.exports.wait(after.id).id != export.id
