"""`make scale-check` (bench/scale) runs beside the suite, not in it: these keep its parts honest
(the HAProxy configuration, its stats, the receiver's signature check and its attribution of
a delivery to the process that sent it, the command line)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from standardwebhooks import Webhook

from bench.scale import haproxy
from bench.scale.checks import CHECKS
from bench.scale.checks_writes import most_in_flight
from bench.scale.receiver import running_receiver, socket_inode
from dmi_api.webhooks.secrets import new_secret

REPO = Path(__file__).resolve().parent.parent


def test_haproxy_config_balances_both_replicas_with_health_checks(tmp_path: Path) -> None:
    backends = [haproxy.Backend("a", 8001), haproxy.Backend("b", 8002)]
    config = haproxy.render_config(8000, backends, tmp_path / "haproxy.sock")
    assert "bind 127.0.0.1:8000" in config
    assert "balance roundrobin" in config
    assert "uri /readyz" in config
    assert "server a 127.0.0.1:8001 check" in config
    assert "server b 127.0.0.1:8002 check" in config
    assert f"stats socket {tmp_path / 'haproxy.sock'}" in config
    if shutil.which("haproxy") or Path("/usr/sbin/haproxy").exists():  # HAProxy's own judgement
        path = tmp_path / "haproxy.cfg"
        path.write_text(config)
        checked = subprocess.run(
            [haproxy.binary(), "-c", "-f", str(path)], capture_output=True, text=True, check=False
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr


def test_haproxy_stats_name_the_servers_of_the_backend() -> None:
    stats = (
        "# pxname,svname,qcur,stot,status,\n"
        "api,FRONTEND,,57,OPEN,\n"
        "replicas,a,0,21,UP,\n"
        "replicas,b,0,20,DOWN,\n"
        "replicas,BACKEND,0,41,UP,\n"
    )
    assert haproxy.parse_stats(stats) == {
        "a": haproxy.ServerStat("UP", 21),
        "b": haproxy.ServerStat("DOWN", 20),
    }
    with pytest.raises(ValueError, match="not HAProxy stats"):
        haproxy.parse_stats("Unknown command\n")


def test_socket_inode_is_read_from_proc_net_tcp() -> None:
    table = (
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
        "timeout inode\n"
        "   0: 0100007F:1F40 0100007F:A000 01 00000000:00000000 00:00000000 00000000     0"
        "        0 111 1 0000000000000000 20 4 30 10 -1\n"
        "   1: 0100007F:A000 0100007F:1F40 01 00000000:00000000 00:00000000 00000000     0"
        "        0 222 1 0000000000000000 20 4 30 10 -1\n"
    )
    assert socket_inode(table, 0xA000, 0x1F40) == 222  # the sender's end, not the receiver's
    assert socket_inode(table, 0x1F40, 0xA000) == 111
    assert socket_inode(table, 1, 2) is None


def test_receiver_checks_signatures_and_finds_the_sending_process() -> None:
    secret = new_secret()
    body = b'{"id": "e1", "type": "child.created", "occurred_at": "2026-11-28T00:00:00+00:00"}'
    with running_receiver() as receiver:
        receiver.senders = [os.getpid()]
        receiver.secret = secret
        for signer in (secret, new_secret()):  # the endpoint's secret, then another
            now = datetime.now(UTC)
            headers = {
                "webhook-id": "e1",
                "webhook-timestamp": str(int(now.timestamp())),
                "webhook-signature": Webhook(signer).sign("e1", now, body.decode()),
            }
            assert httpx.post(receiver.url, content=body, headers=headers).status_code == 204
        good, forged = receiver.received()
    assert (good.webhook_id, good.event_type, good.signature_ok) == ("e1", "child.created", True)
    assert not forged.signature_ok
    assert good.sender_pid == forged.sender_pid == os.getpid()


def test_most_in_flight_counts_overlapping_requests() -> None:
    assert most_in_flight([]) == 0
    assert most_in_flight([(0, 1), (2, 3)]) == 1
    assert most_in_flight([(0, 5), (1, 2), (1.5, 6), (5.5, 7)]) == 3


def test_command_line_lists_the_checks() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.scale", "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    names = [check.name for check in CHECKS]
    assert len(set(names)) == len(names)
    assert ",".join(names) in done.stdout.replace("\n", "").replace(" ", "")
    unknown = subprocess.run(
        [sys.executable, "-m", "bench.scale", "--checks", "idempotency,nope"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert unknown.returncode == 2
    assert "unknown checks: nope" in unknown.stderr
