"""Settings: the production profile refuses development secrets and SQLite."""

from __future__ import annotations

import pytest

from dmi_api.cli import main
from dmi_api.config import DEVELOPMENT_SECRET_KEY, ConfigurationError, Settings, load_settings

STRONG_SECRET = "s" * 48
PG_URL = "postgresql+asyncpg://app:pw-should-not-leak@db.internal:5432/dmi"


def test_defaults_are_the_embedded_development_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DMI_ENV", "DMI_DATABASE_URL", "DMI_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert settings.env == "development"
    assert settings.database_url_value == "sqlite+aiosqlite:///./dmi.db"
    assert settings.max_body_bytes == 1_048_576
    assert settings.cors_origins == []


@pytest.mark.parametrize(
    ("environment", "reason"),
    [
        ({"DMI_SECRET_KEY": STRONG_SECRET}, "PostgreSQL"),
        ({"DMI_DATABASE_URL": PG_URL}, "DMI_SECRET_KEY"),
        ({"DMI_DATABASE_URL": PG_URL, "DMI_SECRET_KEY": DEVELOPMENT_SECRET_KEY}, "DMI_SECRET_KEY"),
        ({"DMI_DATABASE_URL": PG_URL, "DMI_SECRET_KEY": "short"}, "DMI_SECRET_KEY"),
        ({"DMI_DATABASE_URL": PG_URL, "DMI_SECRET_KEY": STRONG_SECRET}, "DMI_ISSUER"),
        (
            {
                "DMI_DATABASE_URL": PG_URL,
                "DMI_SECRET_KEY": STRONG_SECRET,
                "DMI_ISSUER": "https://api.clinic.example",
                "DMI_WEBHOOK_ALLOW_LOOPBACK": "true",
            },
            "DMI_WEBHOOK_ALLOW_LOOPBACK",
        ),
    ],
)
def test_production_refuses_development_setup(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], reason: str
) -> None:
    monkeypatch.setenv("DMI_ENV", "production")
    for name in ("DMI_DATABASE_URL", "DMI_SECRET_KEY", "DMI_ISSUER", "DMI_WEBHOOK_ALLOW_LOOPBACK"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError) as caught:
        load_settings()
    message = str(caught.value)
    assert reason in message
    assert "pw-should-not-leak" not in message
    assert "short" not in message


def test_production_accepts_a_hardened_setup(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DMI_ENV", "production")
    monkeypatch.setenv("DMI_DATABASE_URL", PG_URL)
    monkeypatch.setenv("DMI_SECRET_KEY", STRONG_SECRET)
    monkeypatch.setenv("DMI_ISSUER", "https://api.clinic.example")
    settings = load_settings()
    assert settings.env == "production"
    assert "pw-should-not-leak" not in repr(settings)
    assert STRONG_SECRET not in repr(settings)


def test_cli_refuses_to_start_and_says_why(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DMI_ENV", "production")
    monkeypatch.delenv("DMI_DATABASE_URL", raising=False)
    monkeypatch.delenv("DMI_SECRET_KEY", raising=False)
    assert main(["migrate"]) == 2
    assert "production profile refused" in capsys.readouterr().err


def test_cors_origins_from_a_comma_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DMI_CORS_ORIGINS", "https://a.example, https://b.example")
    assert load_settings().cors_origins == ["https://a.example", "https://b.example"]


def test_wildcard_cors_origin_is_refused() -> None:
    with pytest.raises(ValueError, match="wildcard"):
        Settings(cors_origins=["*"])


def test_development_may_allow_webhooks_to_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DMI_ENV", raising=False)
    monkeypatch.delenv("DMI_WEBHOOK_ALLOW_LOOPBACK", raising=False)
    assert load_settings().webhook_allow_loopback is False
    monkeypatch.setenv("DMI_WEBHOOK_ALLOW_LOOPBACK", "true")
    assert load_settings().webhook_allow_loopback is True


@pytest.mark.parametrize(
    ("value", "accepted"), [("1", True), ("3650", True), ("0", False), ("3651", False)]
)
def test_event_retention_days_is_bounded(
    monkeypatch: pytest.MonkeyPatch, value: str, accepted: bool
) -> None:
    monkeypatch.delenv("DMI_EVENT_RETENTION_DAYS", raising=False)
    assert load_settings().event_retention_days == 30
    monkeypatch.setenv("DMI_EVENT_RETENTION_DAYS", value)
    if accepted:
        assert load_settings().event_retention_days == int(value)
    else:
        with pytest.raises(ConfigurationError, match="DMI_EVENT_RETENTION_DAYS"):
            load_settings()


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        ("redis://127.0.0.1:6379/0", True),
        ("rediss://:pw-should-not-leak@cache.internal:6380/1", True),
        ("unix:///run/redis.sock", True),
        ("http://:pw-should-not-leak@cache.internal:6379", False),
        ("127.0.0.1:6379", False),
    ],
)
def test_redis_url_is_a_redis_url_and_never_echoed(
    monkeypatch: pytest.MonkeyPatch, value: str, accepted: bool
) -> None:
    monkeypatch.setenv("DMI_REDIS_URL", value)
    if accepted:
        assert load_settings().redis_url_value == value
        assert "pw-should-not-leak" not in repr(load_settings())
    else:
        with pytest.raises(ConfigurationError, match="DMI_REDIS_URL") as refused:
            load_settings()
        assert "pw-should-not-leak" not in str(refused.value)


@pytest.mark.parametrize("name", ["DMI_DATABASE_URL", "DMI_MIGRATION_DATABASE_URL"])
@pytest.mark.parametrize(
    "value",
    [
        "garbage",
        "postgresql://app:pw-should-not-leak@db.internal:5432/dmi",
        "mysql+aiomysql://app:pw-should-not-leak@db.internal/dmi",
        "sqlite:///./dmi.db",
        "postgresql+asyncpg://app:pw-should-not-leak@db.internal:port/dmi",
    ],
)
def test_a_database_url_the_service_cannot_use_stops_it_at_start(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError, match=name) as refused:
        load_settings()
    assert "pw-should-not-leak" not in str(refused.value)
    assert main(["migrate"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert name in err
    assert "pw-should-not-leak" not in err


@pytest.mark.parametrize(
    "value", ["https://app.clinic.example/", "app.clinic.example", "https://app.example/path"]
)
def test_a_cors_origin_a_browser_never_sends_is_refused(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    # An origin is scheme://host[:port]: one with a path or a trailing slash, or without its
    # scheme, never equals a browser's Origin header, and CORS stayed closed without a word.
    monkeypatch.setenv("DMI_CORS_ORIGINS", f"https://ok.example, {value}")
    with pytest.raises(ConfigurationError, match="DMI_CORS_ORIGINS"):
        load_settings()


@pytest.mark.parametrize("value", ["", " "])
def test_an_empty_host_is_refused_not_every_interface(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    """`DMI_HOST=` (an env file's line left empty, meaning "the default") reached uvicorn as "",
    which listens on every interface, IPv4 and IPv6: the API open to the network while the README
    says 127.0.0.1. `serve --host ""` did the same."""
    monkeypatch.setenv("DMI_HOST", value)
    with pytest.raises(ConfigurationError, match="DMI_HOST"):
        load_settings()
    assert main(["serve"]) == 2
    assert "DMI_HOST" in capsys.readouterr().err
    monkeypatch.delenv("DMI_HOST")
    with pytest.raises(SystemExit) as refused:
        main(["serve", "--host", value])
    assert refused.value.code == 2
    assert "--host" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DMI_PORT", "eighty"),
        ("DMI_DB_POOL_SIZE", "0"),
        ("DMI_LOG_LEVEL", "debug"),
        ("DMI_ENV", "prod"),
        ("DMI_DIRECT_READS", "maybe"),
        ("DMI_DB_APP_ROLE", "bad;role"),
        ("DMI_DATABASE_URL", "postgres://app:pw-should-not-leak@db.internal/dmi"),
        ("DMI_REDIS_URL", "http://:pw-should-not-leak@cache.internal:6379"),
    ],
)
def test_a_bad_setting_is_named_as_the_operator_set_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], name: str, value: str
) -> None:
    """The refusal named the field (`port: Input should be a valid integer`), not the variable
    the operator set and would search their environment for (DMI_PORT)."""
    monkeypatch.setenv(name, value)
    assert main(["migrate"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith(f"dmi-api: invalid configuration: {name}: "), err
    assert "pw-should-not-leak" not in err


@pytest.mark.parametrize(
    "value", ["10.0.0.0/33", "10.0.0.1/24", "10.0.0.300", "172.16.0.0/12;10.0.0.1", "127.0.0.1,*"]
)
def test_a_proxy_address_uvicorn_would_not_match_is_refused(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    """uvicorn keeps an entry it cannot read as an address or network as a literal name that no
    peer address ever equals: a typo (10.0.0.1/24 for 10.0.0.0/24) trusted no proxy, without a
    word, and every client behind it came from the proxy's address (one rate limit, one token
    request quota, wrong audit addresses)."""
    monkeypatch.setenv("DMI_FORWARDED_ALLOW_IPS", value)
    with pytest.raises(ConfigurationError, match="DMI_FORWARDED_ALLOW_IPS"):
        load_settings()


@pytest.mark.parametrize(
    "value", ["127.0.0.1", "*", "10.0.0.0/8, 192.168.1.5", "::1,fd00::/8", "10.0.0.0/8,"]
)
def test_proxy_addresses_and_networks_are_accepted(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("DMI_FORWARDED_ALLOW_IPS", value)
    assert load_settings().forwarded_allow_ips == value
