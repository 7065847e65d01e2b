"""Registration of a webhook URL: only https to a public host; every refused address is
refused in every literal form, and a name for every address it resolves to."""

from __future__ import annotations

from ipaddress import ip_address

import pytest

from dmi_api.webhooks.url_policy import (
    MAX_URL_LENGTH,
    WebhookUrlError,
    check_webhook_url,
    check_webhook_url_resolving,
    vetted_addresses,
)

# IPv4 and IPv6 loopback in every form a resolver or a browser reads: refused unless the
# development setting allows loopback.
LOOPBACK_HOSTS = [
    "127.0.0.1",
    "127.0.0.2",
    "127.255.255.254",
    "2130706433",
    "0177.0.0.1",
    "0177.0000.0000.0001",
    "0x7f.0.0.1",
    "0x7F.0x0.0x0.0x1",
    "0x7f000001",
    "017700000001",
    "127.1",
    "127.0.1",
    "0x7f.1",
    "0177.0x0.1",
    "127.0.0.1.",
    "[::1]",
    "[0:0:0:0:0:0:0:1]",
]
DOTTED_WITH_LEADING_ZEROS = {"0177.0.0.1", "0177.0000.0000.0001"}
# Refused always, the development setting or not.
REFUSED_HOSTS = [
    # private, shared (CGNAT), link-local (metadata), special
    "10.0.0.1",
    "012.0.0.1",
    "0xa.1",
    "167772161",
    "172.16.0.1",
    "192.168.1.1",
    "3232235777",
    "169.254.169.254",
    "2852039166",
    "0xa9.0xfe.0xa9.0xfe",
    "0251.0376.0251.0376",
    "100.64.0.1",
    "100.127.255.254",
    "192.0.0.1",
    "192.0.2.1",
    "198.18.0.1",
    "0.0.0.0",  # noqa: S104 (a host to refuse, not a bind)
    "0",
    "0.1.2.3",
    "255.255.255.255",
    "224.0.0.1",
    "239.255.255.250",
    "240.0.0.1",
    # IPv6, and IPv4 embedded in IPv6 (loopback included: allowed only as itself)
    "[::]",
    "[::ffff:127.0.0.1]",
    "[::ffff:7f00:1]",
    "[::ffff:10.0.0.1]",
    "[::ffff:169.254.169.254]",
    "[::ffff:0:7f00:1]",
    "[::127.0.0.1]",
    "[::a00:1]",
    "[64:ff9b::127.0.0.1]",
    "[64:ff9b::a9fe:a9fe]",
    "[64:ff9b:1::5db8:d822]",
    "[2002:7f00:1::]",
    "[2002:a9fe:a9fe::1]",
    "[2001:0:4136:e378:8000:63bf:3fff:fdd2]",
    "[fe80::1]",
    "[fe80::1%25eth0]",
    "[fc00::1]",
    "[fd00:ec2::254]",
    "[fec0::1]",
    "[ff02::1]",
    "[2001:db8::1]",
]
PUBLIC = [
    ("https://93.184.216.34/hook", "https://93.184.216.34/hook"),
    (
        "https://[2606:2800:220:1:248:1893:25c8:1946]/",
        "https://[2606:2800:220:1:248:1893:25c8:1946]/",
    ),
    ("https://1572395042/", "https://93.184.216.34/"),
    ("https://0x5d.0xb8.0xd8.0x22:8443/x", "https://93.184.216.34:8443/x"),
    ("https://[::ffff:93.184.216.34]/", "https://[::ffff:93.184.216.34]/"),
    ("https://[64:ff9b::5db8:d822]/", "https://[64:ff9b::5db8:d822]/"),
    ("HTTPS://Receiver.Example.COM:443/in?x=1#frag", "https://receiver.example.com/in?x=1"),
]


async def _assert_refused(url: str, *, allow_loopback: bool) -> None:
    """Both checks refuse the URL as an address, with a detail that does not repeat it."""
    with pytest.raises(WebhookUrlError) as caught:
        check_webhook_url(url, allow_loopback=allow_loopback)
    assert caught.value.code == "address_not_allowed", caught.value.detail
    with pytest.raises(WebhookUrlError) as resolving:
        await check_webhook_url_resolving(url, allow_loopback=allow_loopback)
    assert resolving.value.code == "address_not_allowed"
    assert url.split("//")[1].split(":8443")[0] not in caught.value.detail


@pytest.mark.parametrize("host", LOOPBACK_HOSTS)
async def test_loopback_is_refused_in_every_form(host: str) -> None:
    await _assert_refused(f"https://{host}:8443/hook", allow_loopback=False)
    if host in DOTTED_WITH_LEADING_ZEROS:  # httpx (the delivery client) cannot read these
        with pytest.raises(WebhookUrlError, match="not a valid"):
            check_webhook_url(f"https://{host}:8443/hook", allow_loopback=True)
    else:
        assert check_webhook_url(f"https://{host}:8443/hook", allow_loopback=True)


@pytest.mark.parametrize("host", REFUSED_HOSTS)
@pytest.mark.parametrize("allow_loopback", [False, True])
async def test_a_refused_address_is_refused_in_every_form(host: str, allow_loopback: bool) -> None:
    await _assert_refused(f"https://{host}:8443/hook", allow_loopback=allow_loopback)


@pytest.mark.parametrize(("url", "normalised"), PUBLIC)
async def test_a_public_address_is_accepted_without_the_network(url: str, normalised: str) -> None:
    assert check_webhook_url(url, allow_loopback=False) == normalised
    if "example.com" not in url.lower():  # a literal address is never looked up
        assert await check_webhook_url_resolving(url, allow_loopback=False) == normalised


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://93.184.216.34/", "scheme_not_allowed"),
        ("http://receiver.example.com/", "scheme_not_allowed"),
        ("ftp://93.184.216.34/", "scheme_not_allowed"),
        ("file:///etc/passwd", "scheme_not_allowed"),
        ("javascript:alert(1)", "scheme_not_allowed"),
        ("receiver.example.com/hook", "scheme_not_allowed"),
        ("https://user:pw@receiver.example.com/", "userinfo_not_allowed"),
        ("https://user@93.184.216.34/", "userinfo_not_allowed"),
        ("https:///hook", "host_missing"),
        ("https://receiver.example.com/" + "a" * MAX_URL_LENGTH, "url_too_long"),
        ("https://receiver example.com/", "url_invalid"),
        (" https://receiver.example.com/", "url_invalid"),
        ("https://receiver.example.com\\@10.0.0.1/", "url_invalid"),
        ("https://08.0.0.1/", "url_invalid"),
        ("https://1.2.3.4.5/", "url_invalid"),
        ("https://1.2.3.256/", "url_invalid"),
        ("https://0x100000000/", "url_invalid"),
        ("https://receiver.123/", "url_invalid"),
        ("https://[zz]/", "url_invalid"),
        ("https://[::1/", "url_invalid"),
        ("https://-bad-.example.com/", "url_invalid"),
        ("https://receiver.example.com:0/", "url_invalid"),
        ("https://receiver.example.com:65536/", "url_invalid"),
        ("https://93.184.216.34:99999/", "url_invalid"),
        ("https://93.184.216.34:-1/", "url_invalid"),
        # Within the limit as sent; past it percent-encoded, as it is stored and called.
        ("https://93.184.216.34/" + "\u00e9" * 1000, "url_too_long"),
        ("https://93.184.216.34/?q=" + '"' * 1000, "url_too_long"),
        ("https://localhost/", "localhost_not_allowed"),
        ("https://LOCALHOST./", "localhost_not_allowed"),
        ("https://foo.localhost/", "localhost_not_allowed"),
        ("https://a.b.localhost:8443/hook", "localhost_not_allowed"),
    ],
)
def test_a_bad_url_is_refused_with_its_code(url: str, code: str) -> None:
    with pytest.raises(WebhookUrlError) as caught:
        check_webhook_url(url, allow_loopback=False)
    assert caught.value.code == code


def test_the_ports_at_either_end_are_accepted() -> None:
    for port in (1, 65535):
        url = f"https://93.184.216.34:{port}/"
        assert check_webhook_url(url, allow_loopback=False) == url


def test_the_longest_url_allowed_is_accepted() -> None:
    url = "https://receiver.example.com/"
    url += "a" * (MAX_URL_LENGTH - len(url))
    assert check_webhook_url(url, allow_loopback=False) == url


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://127.9.9.9/",
        "http://2130706433:8080/",
        "http://[::1]:8080/",
        "http://localhost:8080/",
        "https://127.0.0.1/",
        "https://localhost/",
    ],
)
async def test_development_may_allow_loopback_and_http_to_it(url: str) -> None:
    assert check_webhook_url(url, allow_loopback=True).startswith(url.split(":")[0])
    await check_webhook_url_resolving(url, allow_loopback=True)
    with pytest.raises(WebhookUrlError):
        check_webhook_url(url, allow_loopback=False)


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://10.0.0.1/", "address_not_allowed"),
        ("https://10.1.2.3/", "address_not_allowed"),
        ("http://169.254.169.254/latest/meta-data/", "address_not_allowed"),
        ("http://192.168.0.1/", "address_not_allowed"),
        ("http://[fe80::1]/", "address_not_allowed"),
        ("http://0.0.0.0:8080/", "address_not_allowed"),  # Linux dials loopback for it
        ("http://93.184.216.34/", "scheme_not_allowed"),
        ("http://receiver.example.com/", "scheme_not_allowed"),
    ],
)
def test_allowing_loopback_allows_nothing_else(url: str, code: str) -> None:
    with pytest.raises(WebhookUrlError) as caught:
        check_webhook_url(url, allow_loopback=True)
    assert caught.value.code == code


async def test_a_name_is_refused_for_the_addresses_it_resolves_to() -> None:
    # `localhost` resolves through /etc/hosts; the name rule is bypassed here on purpose.
    with pytest.raises(WebhookUrlError) as caught:
        await vetted_addresses("localhost", 443, allow_loopback=False)
    assert caught.value.code == "address_not_allowed"
    addresses = await vetted_addresses("localhost", 443, allow_loopback=True)
    assert addresses
    assert all(address.is_loopback for address in addresses)


async def test_a_name_that_does_not_resolve_is_refused() -> None:
    # RFC 6761: no name under .invalid resolves.
    with pytest.raises(WebhookUrlError) as caught:
        await check_webhook_url_resolving("https://receiver.invalid/", allow_loopback=True)
    assert caught.value.code == "host_unresolvable"


async def test_literal_hosts_of_every_form_are_vetted_at_dial_time_too() -> None:
    assert await vetted_addresses("0x7f.1", 80, allow_loopback=True) == [ip_address("127.0.0.1")]
    with pytest.raises(WebhookUrlError):
        await vetted_addresses("fe80::1%25eth0", 80, allow_loopback=True)


def test_a_refusal_is_a_422_pointing_at_url() -> None:
    with pytest.raises(WebhookUrlError) as caught:
        check_webhook_url("https://169.254.169.254/", allow_loopback=False)
    problem = caught.value.validation_error()
    assert problem.status == 422
    assert problem.extensions["errors"] == [
        {
            "location": "body",
            "pointer": "#/url",
            "detail": caught.value.detail,
            "code": "address_not_allowed",
        }
    ]
    assert "169.254" not in caught.value.detail
