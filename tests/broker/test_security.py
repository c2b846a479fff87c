"""Broker security against a real Mosquitto with the provisioned production config:
who may log in, who may publish and read what (the ACL of PROTOCOL.md), and TLS."""

from __future__ import annotations

import dataclasses
import os
import socket
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from brokers import TlsSite, try_connect  # noqa: E402

from aufruf import link  # noqa: E402

NOT_AUTHORIZED = "Not authorized"


def refused_and_allowed(site, user: str, refused: list[str], allowed: str):
    """Publish each refused topic then the allowed one as ``user``; return PUBACK results
    and what a controller subscribed to everything received."""
    watcher = site.probe("controller-main", subscriptions=("#",))
    start = watcher.mark()
    p = site.probe(user, subscriptions=())
    results = {t: p.wait_ack(p.publish(t, {"v": 1, "id": "x1", "probe": t})) for t in refused}
    ok_result = p.wait_ack(p.publish(allowed, {"v": 1, "id": "x2", "probe": allowed}))
    # the allowed message comes after all refused ones from the same client: once it is
    # seen, anything the broker let through would have been seen too
    watcher.wait_for(allowed, lambda b: b.get("probe") == allowed, start=start)
    seen = {t for t, _, _ in watcher.messages[start:]}
    return results, ok_result, seen


def test_anonymous_login_refused(site):
    assert try_connect(site.port, None, None) == NOT_AUTHORIZED


def test_wrong_password_refused_right_one_accepted(site):
    assert try_connect(site.port, "kiosk-entrance", "not-the-password") in (
        "Bad user name or password", NOT_AUTHORIZED)
    assert try_connect(site.port, "no-such-user", site.password("kiosk-entrance")) in (
        "Bad user name or password", NOT_AUTHORIZED)
    assert try_connect(site.port, "kiosk-entrance", site.password("kiosk-entrance")) == "Success"


def test_kiosk_cannot_announce_or_command(site):
    refused = ["call", "board", "queue", "desk/1/command", "desk/3/command", "desk/1/reply", "desk/1/state",
               "kiosk/entrance/ticket", "status/controller/main", "status/display/hall",
               "aufruf/other-site/kiosk/entrance/request"]
    results, ok, seen = refused_and_allowed(site, "kiosk-entrance", refused, "kiosk/entrance/request")
    assert ok == (True, "Success")
    assert {t: r for t, r in results.items() if r != (False, NOT_AUTHORIZED)} == {}
    assert seen == {"kiosk/entrance/request"}


def test_keypad_3_commands_only_desk_3(site):
    results, ok, seen = refused_and_allowed(
        site, "keypad-3", ["desk/2/command", "desk/1/command", "desk/3/state", "call", "board",
                           "kiosk/entrance/request", "status/keypad/2"], "desk/3/command")
    assert ok == (True, "Success")
    assert all(r == (False, NOT_AUTHORIZED) for r in results.values()), results
    assert seen == {"desk/3/command"}


def test_display_publishes_only_its_status(site):
    results, ok, seen = refused_and_allowed(
        site, "display-hall", ["call", "board", "queue", "status/kiosk/entrance", "status/controller/main",
                               "status/display/other", "desk/1/command", "kiosk/entrance/request"],
        "status/display/hall")
    assert ok == (True, "Success")
    assert all(r == (False, NOT_AUTHORIZED) for r in results.values()), results
    assert seen == {"status/display/hall"}


def test_controller_confined_to_its_site(site):
    p = site.probe("controller-main", subscriptions=())
    assert p.wait_ack(p.publish("aufruf/other-site/board", {"v": 1})) == (False, NOT_AUTHORIZED)
    ok, reason = p.wait_ack(p.publish("board", {"v": 1, "calls": []}))
    assert ok, reason  # "No matching subscribers" is a success code too


TWO_KIOSKS = """
[[kiosks]]
id = "side"
footer = { de = "Bitte warten.", en = "Please wait." }

[[kiosks.buttons]]
service = "K"
pin = 5

[kiosks.printer]
connection = "dummy"
"""


def test_kiosk_cannot_read_another_kiosks_tickets(site_factory):
    from aufruf.config import EXAMPLE_SITE
    text = EXAMPLE_SITE.read_text(encoding="utf-8").replace("[[displays]]", TWO_KIOSKS + "\n[[displays]]", 1)
    s = site_factory(text)
    assert {k.id for k in s.cfg.kiosks} == {"entrance", "side"}
    entrance = s.probe("kiosk-entrance", subscriptions=("kiosk/entrance/ticket", "queue"))
    nosy = s.probe("kiosk-side", subscriptions=("kiosk/entrance/ticket", "kiosk/+/ticket", "#", "queue"))
    ctl = s.probe("controller-main", subscriptions=())
    ctl.publish("kiosk/entrance/ticket", {"v": 1, "id": "r1", "ok": False, "error": "closed"})
    ctl.publish("queue", {"v": 1, "services": {}, "updated_at": 1})
    entrance.wait_for("kiosk/entrance/ticket", lambda b: b["id"] == "r1")
    # the queue update comes after the ticket: once the nosy kiosk has it, the ticket
    # would have arrived before it had the broker delivered it
    nosy.wait_for("queue")
    assert [t for t, _, _ in nosy.messages if "ticket" in t] == []
    # and it can't read the controller's view of other devices either
    assert {t for t, _, _ in nosy.messages} <= {"queue", "status/controller/main", "status/kiosk/side"}


@pytest.fixture
def tls_site(tmp_path):
    s = TlsSite(tmp_path)
    yield s
    s.stop()


def test_tls_listener_with_site_ca(tls_site):
    s = tls_site
    pw = s.password("kiosk-entrance")
    assert try_connect(s.tls_port, "kiosk-entrance", pw, ca_file=s.ca_file) == "Success"
    # the TLS listener still wants a password
    assert try_connect(s.tls_port, None, None, ca_file=s.ca_file) == NOT_AUTHORIZED
    # a client that does not trust the site CA (system store only) refuses the broker
    assert try_connect(s.tls_port, "kiosk-entrance", pw, tls_insecure_ca=True).startswith("ssl: CERTIFICATE_VERIFY")
    # a plain MQTT client on the TLS port gets no CONNACK
    assert try_connect(s.tls_port, "kiosk-entrance", pw, timeout=3) != "Success"
    # the plain LAN listener is still there
    assert try_connect(s.port, "kiosk-entrance", pw) == "Success"


def test_tls_plain_bytes_on_tls_port_are_dropped(tls_site):
    # a raw MQTT CONNECT on the TLS port: the broker hangs up without an MQTT answer
    connect = bytes([0x10, 0x10, 0x00, 0x04]) + b"MQTT" + bytes([0x04, 0x02, 0x00, 0x3c, 0x00, 0x04]) + b"test"
    with socket.create_connection(("127.0.0.1", tls_site.tls_port), timeout=3) as sock:
        sock.sendall(connect)
        try:
            data = sock.recv(64)
        except ConnectionResetError:
            data = b""
    assert not data.startswith(b"\x20"), "a CONNACK came back on the TLS port"


def test_device_link_connects_over_tls(tls_site):
    s = tls_site
    broker = dataclasses.replace(s.cfg.broker, port=s.tls_port, tls=True, ca_file=s.ca_file)
    watcher = s.probe("controller-main", subscriptions=("status/#",))
    lk = link.MqttLink(broker, s.site_id, "kiosk", "entrance")
    lk.start()
    try:
        assert lk.wait_connected(5)
        watcher.wait_for("status/kiosk/entrance", lambda b: b["online"] is True)
    finally:
        lk.stop()
