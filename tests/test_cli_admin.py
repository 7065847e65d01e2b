"""Operator commands against a real database: clinics, clients, keys, demo credentials."""

from __future__ import annotations

import asyncio
import gc
import io
import json
import logging
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable
from contextlib import closing, redirect_stderr, redirect_stdout
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from dmi_api.auth.scopes import ALL_SCOPES
from dmi_api.cli import main as cli_main
from dmi_api.cli_admin import CommandError, create_demo_tenant, owner_settings
from dmi_api.config import Settings, get_settings
from dmi_api.db import create_engine, create_sessionmaker
from dmi_api.models import Assessment, SessionRecord
from dmi_api.services.session_record_views import DOCUMENTS_FORM
from dmi_api.tenant_scope import bind_settings
from tests.conftest import build_test_app
from tests.support.forge import new_rsa_pem, rsa_public_jwk
from tests.support.migrated_sqlite import migrated_sqlite
from tests.support.records import seed_child, seed_practitioner
from tests.support.setup_script import SetUp, dmi_api, service_env
from tests.support.tenants import TenantClient, bearer, mint_token
from tests.test_migrations import scratch_url  # noqa: F401 (a fixture)


@pytest.fixture
def sqlite_env(tmp_path: Path) -> dict[str, str]:
    url = migrated_sqlite(tmp_path / "cli.db")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DMI_")}
    return env | {"DMI_DATABASE_URL": url, "DMI_ISSUER": "http://testserver"}


def cli(env: dict[str, str], *args: str, process: bool = False) -> subprocess.CompletedProcess[str]:
    """`dmi-api <args>` with `env` as its whole environment, run in this process through the
    console script's entry point (`cli.main`): a subprocess spent 1-2 s of CPU starting the
    interpreter and importing the package, far more than the command's own work.

    `process=True` runs `python -m dmi_api.cli` instead, where the process is the subject: the
    console script's start-up (`test_clinic_client_lifecycle`), and `worker`, which lowers the
    process's CPU priority, freezes the collector, configures logging, handles signals.

    In this process an exception `main` lets escape (which a subprocess would print as a
    traceback) raises here: the test fails with it. What a fresh process's logging would print
    to stderr (WARNING and above, no handler configured) is in `stderr` as there.
    """
    if process:
        return dmi_api(env, *args)
    before, environ, threads = _process_state(), dict(os.environ), set(threading.enumerate())
    out, err = io.StringIO(), io.StringIO()
    last_resort = logging.StreamHandler(err)  # `logging.lastResort`'s stream, level, format
    last_resort.setLevel(logging.WARNING)
    logging.root.addHandler(last_resort)
    os.environ.clear()
    os.environ.update(env)
    try:
        with redirect_stdout(out), redirect_stderr(err):
            try:
                code = cli_main(list(args))
            except SystemExit as exc:  # argparse's usage errors (2), --help (0)
                if isinstance(exc.code, str):
                    print(exc.code, file=sys.stderr)
                code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    finally:
        os.environ.clear()
        os.environ.update(environ)
        logging.root.removeHandler(last_resort)
    for thread in set(threading.enumerate()) - threads:
        thread.join(timeout=5)  # a connection's or an executor's, closing
    left = [t.name for t in set(threading.enumerate()) - threads]  # an engine not disposed
    assert (_process_state(), left) == (before, []), f"dmi-api {' '.join(args)} left state"
    return subprocess.CompletedProcess(["dmi-api", *args], code, out.getvalue(), err.getvalue())


def _process_state() -> tuple[object, ...]:
    """What a command run in this process must leave as it found it, for the tests after it."""
    return (
        os.getcwd(),
        list(sys.path),
        list(logging.root.handlers),
        logging.root.level,
        logging.root.manager.disable,
        {name: signal.getsignal(name) for name in (signal.SIGINT, signal.SIGTERM)},
        asyncio.get_event_loop_policy(),
        gc.get_freeze_count(),
        os.getpriority(os.PRIO_PROCESS, 0),
        get_settings.cache_info().currsize,
    )


@pytest.mark.own_database
def test_clinic_client_lifecycle(sqlite_env: dict[str, str], tmp_path: Path) -> None:
    """Its first command and a refused one run as the console script in subprocesses
    (`process=True`): they prove that `python -m dmi_api.cli` starts and exits with the
    command's code, 0 and 1; every other command runs `cli.main` in this process."""
    clinic = cli(
        sqlite_env, "clinics", "create", "--name", "Sunrise Therapy", "--json", process=True
    )
    assert clinic.returncode == 0, clinic.stderr
    clinic_id = json.loads(clinic.stdout)["clinic_id"]

    created = cli(
        sqlite_env,
        "clients",
        "create",
        "--clinic",
        clinic_id,
        "--name",
        "EHR",
        "--scopes",
        "children:read clients:admin",
        "--json",
    )
    assert created.returncode == 0, created.stderr
    client = json.loads(created.stdout)
    assert set(client) == {
        *("client_id", "client_secret", "clinic_id", "scopes", "rate_limit_per_minute")
    }
    assert client["rate_limit_per_minute"] is None  # the service default
    assert client["clinic_id"] == clinic_id
    assert client["scopes"] == "children:read clients:admin"

    async def token_status(secret: str) -> int:
        settings = Settings(
            database_url=SecretStr(sqlite_env["DMI_DATABASE_URL"]), issuer="http://testserver"
        )
        app = build_test_app(settings)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as http:
            response = await http.post(
                "/oauth/token",
                data={"grant_type": "client_credentials"},
                auth=(client["client_id"], secret),
            )
        await app.state.engine.dispose()
        return response.status_code

    assert asyncio.run(token_status(client["client_secret"])) == 200

    rotated = cli(sqlite_env, "clients", "rotate-secret", client["client_id"], "--json")
    assert rotated.returncode == 0, rotated.stderr
    new_secret = json.loads(rotated.stdout)["client_secret"]
    assert asyncio.run(token_status(client["client_secret"])) == 401
    assert asyncio.run(token_status(new_secret)) == 200

    limited = cli(sqlite_env, "clients", "set-rate-limit", client["client_id"], "600", "--json")
    assert limited.returncode == 0, limited.stderr
    assert json.loads(limited.stdout)["rate_limit_per_minute"] == 600
    listed = cli(sqlite_env, "clients", "list", "--clinic", clinic_id, "--json")
    assert [c["rate_limit_per_minute"] for c in json.loads(listed.stdout)] == [600]
    refused = cli(sqlite_env, "clients", "set-rate-limit", client["client_id"], "0", process=True)
    assert refused.returncode == 1
    assert "invalid rate limit" in refused.stderr
    reset = cli(
        sqlite_env,
        "clients",
        "set-rate-limit",
        client["client_id"],
        "default",
        "--json",
    )
    assert json.loads(reset.stdout)["rate_limit_per_minute"] is None

    disabled = cli(sqlite_env, "clients", "disable", client["client_id"])
    assert disabled.returncode == 0, disabled.stderr
    assert asyncio.run(token_status(new_secret)) == 401

    jwks_file = tmp_path / "jwks.json"
    jwks_file.write_text(json.dumps({"keys": [rsa_public_jwk(new_rsa_pem(), "k1")]}))
    jwt_client = cli(
        sqlite_env,
        "clients",
        "create",
        "--clinic",
        clinic_id,
        "--name",
        "app",
        "--scopes",
        "children:read",
        "--jwks",
        str(jwks_file),
        "--json",
    )
    assert jwt_client.returncode == 0, jwt_client.stderr
    assert json.loads(jwt_client.stdout)["client_secret"] is None


@pytest.mark.own_database
def test_operator_mistakes_are_messages(sqlite_env: dict[str, str]) -> None:
    unknown = cli(
        sqlite_env,
        "clients",
        "create",
        "--clinic",
        "00000000-0000-4000-8000-000000000000",
        "--name",
        "x",
        "--scopes",
        "children:read",
    )
    assert unknown.returncode == 1
    assert "no such clinic" in unknown.stderr
    assert "Traceback" not in unknown.stderr
    bad_scope = cli(
        sqlite_env, "clients", "create", "--clinic", "x", "--name", "x", "--scopes", "god"
    )
    assert bad_scope.returncode == 1
    assert "Traceback" not in bad_scope.stderr


@pytest.mark.own_database
@pytest.mark.parametrize("name", ["", "   ", "a" * 201])
def test_a_clinic_name_out_of_bounds_is_refused(sqlite_env: dict[str, str], name: str) -> None:
    """An empty name made a nameless clinic; 201 characters one on SQLite and a 140-line
    traceback on PostgreSQL (the column holds 200)."""
    refused = cli(sqlite_env, "clinics", "create", "--name", name)
    assert refused.returncode == 1
    assert refused.stderr.count("\n") == 1, refused.stderr
    assert "1 to 200 characters" in refused.stderr
    assert cli(sqlite_env, "clinics", "list").stdout == "no clinics\n"


@pytest.mark.own_database
def test_keys_rotate(sqlite_env: dict[str, str]) -> None:
    first = cli(sqlite_env, "keys", "rotate", "--json")
    second = cli(sqlite_env, "keys", "rotate", "--json")
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    one, two = json.loads(first.stdout), json.loads(second.stdout)
    assert one["kid"] != two["kid"]
    # Published now, signing once every worker has loaded it: the refresh interval (60 s by
    # default), the allowed clock skew (30 s) and a second.
    switch = datetime.fromisoformat(two["signs_from"]) - datetime.now(UTC)
    assert timedelta(seconds=85) < switch <= timedelta(seconds=91)
    human = cli(sqlite_env, "keys", "rotate")
    assert "tokens are signed with it from" in human.stdout


@pytest.mark.own_database
def test_keys_rotate_refuses_a_secret_key_the_servers_do_not_have(
    sqlite_env: dict[str, str], tmp_path: Path
) -> None:
    """Run with another DMI_SECRET_KEY (a typo, a host not yet given the new one), it published
    a key the servers cannot decrypt: once it began signing, every server's token endpoint and
    JWKS answered 500."""
    assert cli(sqlite_env, "keys", "rotate").returncode == 0
    other = sqlite_env | {"DMI_SECRET_KEY": "not-the-secret-the-servers-have-0123456789"}
    refused = cli(other, "keys", "rotate")
    assert refused.returncode == 1
    assert refused.stderr.count("\n") == 1, refused.stderr
    assert refused.stderr.startswith("dmi-api: DMI_SECRET_KEY")
    assert "not-the-secret" not in refused.stderr
    with closing(sqlite3.connect(tmp_path / "cli.db")) as db:
        assert db.execute("SELECT count(*) FROM signing_key").fetchone() == (1,)
    assert cli(sqlite_env, "keys", "rotate").returncode == 0


@pytest.mark.own_database
def test_keys_rotate_prints_the_exact_switch(sqlite_env: dict[str, str], tmp_path: Path) -> None:
    """`--json` gives the stored `signs_from`, not truncated to the second (a script that waited
    for a truncated moment got tokens of the old key for up to a second); the text gives the
    whole second at or after it."""
    rotated = cli(sqlite_env, "keys", "rotate", "--json")
    human = cli(sqlite_env, "keys", "rotate")
    assert rotated.returncode == human.returncode == 0, rotated.stderr + human.stderr
    with closing(sqlite3.connect(tmp_path / "cli.db")) as db:
        rows = db.execute("SELECT kid, signs_from FROM signing_key").fetchall()
    stored = {kid: datetime.fromisoformat(moment).replace(tzinfo=UTC) for kid, moment in rows}
    printed = json.loads(rotated.stdout)
    assert datetime.fromisoformat(printed["signs_from"]) == stored[printed["kid"]]
    said = re.search(r"new key (\S+); tokens are signed with it from (\S+) ", human.stdout)
    assert said is not None, human.stdout
    ahead = datetime.fromisoformat(said[2]) - stored[said[1]]
    assert timedelta(0) <= ahead < timedelta(seconds=1)


Cli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def run(sqlite_env: dict[str, str]) -> Cli:
    """`dmi-api` in this process on the test's database (`sqlite_env`), or with `env`."""

    def invoke(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return cli(env or sqlite_env, *args)

    return invoke


def _token_status(database_url: str, client_id: str, secret: str) -> int:
    async def attempt() -> int:
        app = build_test_app(Settings(database_url=SecretStr(database_url)))
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as http:
            response = await http.post(
                "/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
            )
        await app.state.engine.dispose()
        return response.status_code

    return asyncio.run(attempt())


@pytest.mark.own_database
class TestClinicsList:
    def test_lists_every_clinic(self, run: Cli) -> None:
        assert run("clinics", "list").stdout.strip() == "no clinics"
        ids = [
            json.loads(run("clinics", "create", "--name", name, "--json").stdout)["clinic_id"]
            for name in ("North", "South")
        ]
        listed = run("clinics", "list", "--json")
        assert listed.returncode == 0, listed.stderr
        assert [(c["clinic_id"], c["name"]) for c in json.loads(listed.stdout)] == list(
            zip(ids, ["North", "South"], strict=True)
        )
        assert f"{ids[1]}  South" in run("clinics", "list").stdout

    def test_postgresql_needs_the_owner(self) -> None:
        settings = Settings(database_url=SecretStr("postgresql+asyncpg://svc@127.0.0.1/dmi"))
        with pytest.raises(CommandError, match="DMI_MIGRATION_DATABASE_URL"):
            owner_settings(settings)
        owner = "postgresql+asyncpg://owner@127.0.0.1/dmi"
        with_owner = settings.model_copy(update={"migration_database_url": SecretStr(owner)})
        assert owner_settings(with_owner).database_url_value == owner


@pytest.mark.own_database
class TestClientsList:
    def test_lists_a_clinics_clients_without_secrets(self, run: Cli) -> None:
        clinics = [
            json.loads(run("clinics", "create", "--name", n, "--json").stdout) for n in ("A", "B")
        ]
        made = [
            json.loads(
                run(
                    "clients", "create", "--clinic", clinics[0]["clinic_id"],
                    "--name", name, "--scopes", "children:read", "--json",
                ).stdout
            )
            for name in ("EHR", "Mobile")
        ]  # fmt: skip
        run("clients", "create", "--clinic", clinics[1]["clinic_id"], "--name", "B1",
            "--scopes", "children:read")  # fmt: skip
        run("clients", "disable", made[1]["client_id"])

        listed = run("clients", "list", "--clinic", clinics[0]["clinic_id"], "--json")
        assert listed.returncode == 0, listed.stderr
        rows = json.loads(listed.stdout)
        assert [(r["client_id"], r["name"], r["active"]) for r in rows] == [
            (made[0]["client_id"], "EHR", True),
            (made[1]["client_id"], "Mobile", False),
        ]
        assert all("secret" not in key for row in rows for key in row)
        text = run("clients", "list", "--clinic", clinics[0]["clinic_id"]).stdout
        assert made[0]["client_secret"] not in text
        assert "disabled" in text

    def test_unknown_clinic(self, run: Cli) -> None:
        unknown = run("clients", "list", "--clinic", "00000000-0000-4000-8000-000000000000")
        assert unknown.returncode == 1
        assert "no such clinic" in unknown.stderr


@pytest.mark.own_database
class TestAllScopes:
    def test_client_with_every_scope(self, run: Cli) -> None:
        clinic = json.loads(run("clinics", "create", "--name", "C", "--json").stdout)
        created = run(
            "clients", "create", "--clinic", clinic["clinic_id"], "--name", "All",
            "--all-scopes", "--json",
        )  # fmt: skip
        assert created.returncode == 0, created.stderr
        assert json.loads(created.stdout)["scopes"] == " ".join(sorted(ALL_SCOPES))

    def test_scopes_or_all_scopes_not_both(self, run: Cli) -> None:
        both = run(
            "clients", "create", "--clinic", "x", "--name", "x",
            "--scopes", "children:read", "--all-scopes",
        )  # fmt: skip
        neither = run("clients", "create", "--clinic", "x", "--name", "x")
        assert both.returncode == neither.returncode == 2
        assert "not allowed with argument" in both.stderr
        assert "one of the arguments --scopes --all-scopes is required" in neither.stderr


@pytest.mark.own_database
class TestDemo:
    def test_creates_then_rotates_the_demo_client(
        self, run: Cli, sqlite_env: dict[str, str]
    ) -> None:
        url = sqlite_env["DMI_DATABASE_URL"]
        first = run("demo", "--json")
        assert first.returncode == 0, first.stderr
        created = json.loads(first.stdout)
        assert created["action"] == "created_client"

        again = run("demo")
        assert again.returncode == 0, again.stderr
        assert "cannot be shown again" in again.stdout
        assert "previous secret no longer works" in again.stdout
        assert f"client_id:     {created['client_id']}" in again.stdout
        new_secret = again.stdout.split("client_secret:")[1].split()[0]
        assert _token_status(url, created["client_id"], created["client_secret"]) == 401
        assert _token_status(url, created["client_id"], new_secret) == 200

        exported = run("demo", "--env")
        lines = dict(
            line.removeprefix("export ").split("=", 1) for line in exported.stdout.splitlines()
        )
        assert lines["CLIENT_ID"] == created["client_id"]
        assert lines["DMI_URL"] == "http://testserver"
        assert _token_status(url, created["client_id"], lines["CLIENT_SECRET"]) == 200

    def test_serve_demo_tenant_is_found_again(self, run: Cli, sqlite_env: dict[str, str]) -> None:
        url = sqlite_env["DMI_DATABASE_URL"]
        made = asyncio.run(create_demo_tenant(Settings(database_url=SecretStr(url))))
        assert made is not None
        shown = json.loads(run("demo", "--json").stdout)
        assert (shown["clinic_id"], shown["client_id"]) == (made["clinic_id"], made["client_id"])
        assert shown["action"] == "rotated_secret"

    def test_refused_in_production(self, run: Cli) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DMI_")} | {
            "DMI_ENV": "production",
            "DMI_DATABASE_URL": "postgresql+asyncpg://svc@127.0.0.1:1/dmi",
            "DMI_SECRET_KEY": "x" * 40,
            "DMI_ISSUER": "https://api.example.org",
        }
        refused = run("demo", env=env)
        assert refused.returncode == 1
        assert "refused in production" in refused.stderr


@pytest.mark.postgres_only
class TestOnPostgresql:
    """The new commands on a database set up the README's way (RLS binds the service role)."""

    def test_lists_and_demo(self, setup_databases: tuple[SetUp, SetUp]) -> None:
        a, _ = setup_databases
        env = service_env(a)
        demo = cli(env, "demo", "--json")
        assert demo.returncode == 0, demo.stderr
        shown = json.loads(demo.stdout)
        again = json.loads(cli(env, "demo", "--json").stdout)
        assert (again["client_id"], again["action"]) == (shown["client_id"], "rotated_secret")

        clinics = json.loads(cli(env, "clinics", "list", "--json").stdout)
        assert (shown["clinic_id"], "Demo Clinic") in [(c["clinic_id"], c["name"]) for c in clinics]
        clients = cli(env, "clients", "list", "--clinic", shown["clinic_id"], "--json")
        assert clients.returncode == 0, clients.stderr  # as the service role, bound to the clinic
        assert [c["client_id"] for c in json.loads(clients.stdout)] == [shown["client_id"]]

        url = env["DMI_DATABASE_URL"]
        ids = _unmarked_records(url, shown["clinic_id"], shown["client_id"])
        marked = cli(env, "sessions", "mark-documents", "--clinic", shown["clinic_id"], "--json")
        assert marked.returncode == 0, marked.stderr  # as the service role, bound to the clinic
        assert json.loads(marked.stdout)["marked"] == 2
        marks = asyncio.run(_marks(url, shown["clinic_id"], ids))
        assert [form for form, _, _ in marks] == [DOCUMENTS_FORM, DOCUMENTS_FORM, None]

        without_owner = {k: v for k, v in env.items() if k != "DMI_MIGRATION_DATABASE_URL"}
        refused = cli(without_owner, "clinics", "list")
        assert refused.returncode == 1
        assert "DMI_MIGRATION_DATABASE_URL" in refused.stderr


def _clinic_and_client(run: Cli) -> tuple[str, str]:
    """A clinic and an all-scopes client of it, made by the CLI: their ids."""
    clinic_id: str = json.loads(run("clinics", "create", "--name", "C", "--json").stdout)[
        "clinic_id"
    ]
    made = run("clients", "create", "--clinic", clinic_id, "--name", "x", "--all-scopes", "--json")
    client_id: str = json.loads(made.stdout)["client_id"]
    return clinic_id, client_id


def _scored_under_an_older_rule(database_url: str, clinic_id: str, client_id: str) -> str:
    """A final AIMS assessment of the clinic recorded as its window alone, its stored scores
    then put back as the r2 rule computed them (no window credit): the id."""

    async def make() -> str:
        app = build_test_app(Settings(database_url=SecretStr(database_url)))
        tenant = TenantClient(uuid.UUID(clinic_id), uuid.UUID(client_id), None, ())
        try:
            child = await seed_child(app, tenant)
            assessor = await seed_practitioner(app, tenant)
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://testserver"
            ) as http:
                created = await http.post(
                    "/v1/assessments",
                    json={
                        "child_id": str(child.id),
                        "assessor_id": str(assessor.id),
                        "instrument": "aims",
                        "performed_on": "2024-09-01",
                        "status": "final",
                        "items": {f"prone-{n}": 1 for n in range(6, 10)},
                    },
                    headers=bearer(await mint_token(app, tenant, scopes=["assessments:write"])),
                )
            assert created.status_code == 201, created.text
            assessment_id: str = created.json()["id"]
            old = {"prone": {"raw": 4, "max": 21}, "supine": {"raw": 0, "max": 9}}
            async with app.state.sessionmaker() as db:
                await bind_settings(db, clinic_id=tenant.clinic_id)
                row = await db.get(Assessment, (tenant.clinic_id, uuid.UUID(assessment_id)))
                assert row is not None
                scores = dict(row.scores or {})
                scores.update(rule="aims@piper-darrah-1994-r2", total=4, positions=old)
                row.scores = scores
                await db.commit()
            return assessment_id
        finally:
            await app.state.engine.dispose()

    return asyncio.run(make())


async def _stored_rows(
    database_url: str, model: type[Any], clinic_id: str, ids: list[str]
) -> list[Any]:
    """The clinic's rows of `model` with these ids, as stored now (key: `models.tenant_keys`)."""
    engine = create_engine(Settings(database_url=SecretStr(database_url)))
    try:
        async with create_sessionmaker(engine)() as db:
            await bind_settings(db, clinic_id=uuid.UUID(clinic_id))
            keys = [(uuid.UUID(clinic_id), uuid.UUID(found)) for found in ids]
            rows = [await db.get(model, key) for key in keys]
            assert None not in rows
            return rows
    finally:
        await engine.dispose()


async def _stored(
    database_url: str, clinic_id: str, assessment_id: str
) -> tuple[int, dict[str, Any]]:
    [row] = await _stored_rows(database_url, Assessment, clinic_id, [assessment_id])
    return row.version, dict(row.scores or {})


@pytest.mark.own_database
class TestAssessmentsRescore:
    def test_scores_computed_under_an_older_rule_are_computed_again(
        self, run: Cli, sqlite_env: dict[str, str]
    ) -> None:
        url = sqlite_env["DMI_DATABASE_URL"]
        clinic_id, client_id = _clinic_and_client(run)
        assessment_id = _scored_under_an_older_rule(url, clinic_id, client_id)
        before, _ = asyncio.run(_stored(url, clinic_id, assessment_id))

        rescored = run("assessments", "rescore", "--clinic", clinic_id, "--json")
        assert rescored.returncode == 0, rescored.stderr
        assert json.loads(rescored.stdout) == {"clinic_id": clinic_id, "rescored": 1}
        version, scores = asyncio.run(_stored(url, clinic_id, assessment_id))
        assert scores["rule"] == "aims@piper-darrah-1994-r3"
        assert scores["positions"]["prone"]["raw"] == 9  # 4 observed + 5 credited
        assert scores["total"] == 9
        assert version == before + 1  # kept as a new version, like any change
        # Nothing left to change: a second run rescores nothing.
        again = run("assessments", "rescore", "--clinic", clinic_id, "--json")
        assert json.loads(again.stdout)["rescored"] == 0
        unknown = run("assessments", "rescore", "--clinic", str(uuid.uuid4()))
        assert unknown.returncode == 1
        assert "no such clinic" in unknown.stderr


def _unmarked_records(database_url: str, clinic_id: str, client_id: str) -> list[str]:
    """Three session records of the clinic, as stored before `documents_form` was kept (no
    mark); the last one's notes of an older shape (keys missing): their ids."""

    async def make() -> list[str]:
        app = build_test_app(Settings(database_url=SecretStr(database_url)))
        tenant = TenantClient(uuid.UUID(clinic_id), uuid.UUID(client_id), None, ())
        try:
            child = await seed_child(app, tenant)
            headers = bearer(await mint_token(app, tenant, scopes=["sessions:write"]))
            ids = []
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://testserver"
            ) as http:
                for day in (1, 2, 3):
                    created = await http.post(
                        "/v1/session-records",
                        json={
                            "child_id": str(child.id),
                            "type": "home_practice",
                            "setting": "home",
                            "started_at": f"2025-03-0{day}T09:00:00Z",
                            "duration_minutes": 20,
                            "notes": {"plan": "Sit with support."},
                        },
                        headers=headers,
                    )
                    assert created.status_code == 201, created.text
                    ids.append(created.json()["id"])
            async with app.state.sessionmaker() as db:
                await bind_settings(db, clinic_id=tenant.clinic_id)
                for record_id in ids:
                    row = await db.get(SessionRecord, (tenant.clinic_id, uuid.UUID(record_id)))
                    assert row is not None
                    assert row.documents_form == DOCUMENTS_FORM  # as every write marks it
                    row.documents_form = None
                    if record_id == ids[-1]:
                        row.notes = {"plan": "Older."}
                await db.commit()
            return ids
        finally:
            await app.state.engine.dispose()

    return asyncio.run(make())


async def _marks(database_url: str, clinic_id: str, ids: list[str]) -> list[tuple[Any, ...]]:
    rows = await _stored_rows(database_url, SessionRecord, clinic_id, ids)
    return [(row.documents_form, row.version, row.updated_at) for row in rows]


@pytest.mark.own_database
class TestSessionsMarkDocuments:
    def test_marks_what_is_the_apis_form_in_batches(
        self, run: Cli, sqlite_env: dict[str, str]
    ) -> None:
        url = sqlite_env["DMI_DATABASE_URL"]
        clinic_id, client_id = _clinic_and_client(run)
        ids = _unmarked_records(url, clinic_id, client_id)
        before = asyncio.run(_marks(url, clinic_id, ids))
        assert [form for form, _, _ in before] == [None, None, None]

        marked = run("sessions", "mark-documents", "--clinic", clinic_id, "--batch", "2", "--json")
        assert marked.returncode == 0, marked.stderr
        assert json.loads(marked.stdout) == {"clinic_id": clinic_id, "marked": 2}
        after = asyncio.run(_marks(url, clinic_id, ids))
        assert [form for form, _, _ in after] == [DOCUMENTS_FORM, DOCUMENTS_FORM, None]
        # Not a change of the records: their versions and update times stay.
        assert [(v, u) for _, v, u in after] == [(v, u) for _, v, u in before]

        again = run("sessions", "mark-documents", "--clinic", clinic_id, "--json")
        assert json.loads(again.stdout)["marked"] == 0
        for bad in ("0", "100001"):
            refused = run("sessions", "mark-documents", "--clinic", clinic_id, "--batch", bad)
            assert refused.returncode == 1
            assert "--batch" in refused.stderr
        unknown = run("sessions", "mark-documents", "--clinic", str(uuid.uuid4()))
        assert unknown.returncode == 1
        assert "no such clinic" in unknown.stderr


@pytest.mark.own_database
@pytest.mark.parametrize(
    "args", [["migrate"], ["clinics", "create", "--name", "X"], ["keys", "rotate"], ["worker"]]
)
def test_an_unreachable_database_is_one_line_not_a_traceback(args: list[str]) -> None:
    from tests.support.ports import free_port

    url = f"postgresql+asyncpg://dmi:pw-should-not-leak@127.0.0.1:{free_port()}/dmi"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DMI_")}
    # The worker in a process of its own: it lowers the process's priority, freezes the
    # collector, configures logging.
    result = cli(env | {"DMI_DATABASE_URL": url}, *args, process=args == ["worker"])
    assert result.returncode == 1
    # One line (after the worker's start-up log line), not a traceback.
    assert "Traceback" not in result.stderr
    last = result.stderr.splitlines()[-1]
    assert last.startswith("dmi-api: cannot use the database"), result.stderr
    assert "Connect call failed" in last
    assert "pw-should-not-leak" not in result.stdout + result.stderr


@pytest.mark.postgres_only
async def test_a_worker_on_a_database_not_migrated_says_to_migrate(
    scratch_url: str,  # noqa: F811 (the fixture)
    tmp_path: Path,
) -> None:
    """It printed pgqueuer's traceback, ending 'Please run pgq install': the wrong advice (our
    migrations install the job tables; tables made by hand then conflict with them)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DMI_")}
    env |= {"DMI_DATABASE_URL": scratch_url, "DMI_EXPORT_DIR": str(tmp_path)}
    result = await asyncio.to_thread(cli, env, "worker", process=True)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "pgq install" not in result.stderr
    assert result.stderr.splitlines()[-1].endswith("run `dmi-api migrate`"), result.stderr


def test_a_file_error_is_not_called_a_database_error(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DMI_")}
    result = cli(env, "openapi", "--output", str(tmp_path / "a-file" / "openapi.json"))
    assert result.returncode == 1
    assert "database" not in result.stderr
    # One line naming the file and the system's reason, not a traceback.
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(f"dmi-api: {tmp_path / 'a-file'}"), result.stderr
    assert "Not a directory" in result.stderr or "File exists" in result.stderr


@pytest.mark.own_database
@pytest.mark.parametrize(
    "args",
    [
        ["clinics", "create", "--name", "X"],
        ["keys", "rotate"],
        ["clients", "list", "--clinic", str(uuid.UUID(int=1))],
    ],
)
def test_a_database_not_migrated_says_to_migrate(args: list[str], tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DMI_")}
    url = f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    result = cli(env | {"DMI_DATABASE_URL": url, "DMI_MIGRATION_DATABASE_URL": url}, *args)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("dmi-api: ")
    assert "run `dmi-api migrate`" in result.stderr
