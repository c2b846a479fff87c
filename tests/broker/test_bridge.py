"""Many sites: each site's broker bridges aufruf/<site>/# out to a central broker
(broker_config/bridge.conf.example, central.conf.example, central.acl.example),
with three real Mosquitto instances on loopback."""

from __future__ import annotations

import os
import ssl
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from brokers import BridgedSite, Central, bridge_conf  # noqa: E402
from probe import Probe  # noqa: E402

from aufruf.config import EXAMPLE_SITE  # noqa: E402

PASSWORDS = {"jc-mitte": "mitte-secret-1", "jc-nord": "nord-secret-2", "reader-stats": "reader-secret-3"}


def central_reader(central: Central) -> Probe:
    """A statistics client on the central broker (TLS, user reader-stats), subscribed to all sites."""
    p = Probe(central.port, "central", "reader-stats", PASSWORDS["reader-stats"],
              subscriptions=("aufruf/#",), connect=False)
    p.client.tls_set(ca_certs=central.ca_file, tls_version=ssl.PROTOCOL_TLS_CLIENT)
    p.client.connect("127.0.0.1", central.port, keepalive=10)
    p.client.loop_start()
    assert p.wait_connected(), p.connect_result
    p.client.subscribe("aufruf-bridge/#", qos=1)  # outside any site root (Probe would prefix it)
    return p


@pytest.fixture
def office(tmp_path):
    central = Central(tmp_path, PASSWORDS)
    sites = {}
    text = EXAMPLE_SITE.read_text(encoding="utf-8")
    for sid in ("jc-mitte", "jc-nord"):
        (tmp_path / sid).mkdir()
        bridge = bridge_conf(sid, "127.0.0.1", central.port, PASSWORDS[sid], central.ca_file)
        sites[sid] = BridgedSite(tmp_path / sid, text.replace('id = "jc-mitte"', f'id = "{sid}"', 1), bridge)
        assert sites[sid].site_id == sid
    probes: list[Probe] = []
    yield central, sites, probes
    for p in probes:
        p.close()
    for s in sites.values():
        s.stop()
    central.stop()


def board(marker: str) -> dict:
    return {"v": 1, "calls": [{"number": "K001", "desk": "1", "at": 1}], "waiting": {"K": 0, "N": 0},
            "updated_at": 1, "marker": marker}


def test_central_sees_both_sites_and_a_site_runs_on_while_central_is_down(office):
    central, sites, probes = office
    reader = central_reader(central)
    probes.append(reader)
    for sid in sites:
        reader.wait_for(f"aufruf-bridge/{sid}/state", lambda b: b == 1, timeout=10)
    ctl = {sid: s.probe("controller-main", subscriptions=("kiosk/+/request",)) for sid, s in sites.items()}
    probes.extend(ctl.values())
    for sid, p in ctl.items():
        p.publish("board", board(f"{sid}-1"), retain=True)
    for sid in sites:
        got = reader.wait_for(f"aufruf/{sid}/board", lambda b: b.get("marker") == f"{sid}-1")
        assert got["calls"][0]["number"] == "K001"

    # the line to the central broker goes down: the site carries on unchanged
    reader.close()
    probes.remove(reader)
    central.stop()
    mitte = sites["jc-mitte"]
    display = mitte.probe("display-hall", subscriptions=("board",))
    kiosk = mitte.probe("kiosk-entrance", subscriptions=())
    probes += [display, kiosk]
    kiosk.publish("kiosk/entrance/request", {"v": 1, "id": "r-outage", "service": "K"})
    ctl["jc-mitte"].wait_for("kiosk/entrance/request", lambda b: b["id"] == "r-outage")
    ctl["jc-mitte"].publish("board", board("during-outage"), retain=True, qos=0)  # as the controller does
    display.wait_for("board", lambda b: b.get("marker") == "during-outage")

    # the central broker returns: the bridge reconnects and delivers what it kept
    central.start()
    reader = central_reader(central)
    probes.append(reader)
    reader.wait_for("aufruf/jc-mitte/board", lambda b: b.get("marker") == "during-outage", timeout=15)
    reader.wait_for("aufruf/jc-mitte/kiosk/entrance/request", lambda b: b.get("id") == "r-outage", timeout=5)
    # the other site's retained board survived the central restart (central persistence)
    reader.wait_for("aufruf/jc-nord/board", lambda b: b.get("marker") == "jc-nord-1")


def test_a_site_cannot_write_into_another_sites_tree_on_central(office):
    central, sites, probes = office
    reader = central_reader(central)
    probes.append(reader)
    # the jc-nord bridge login, used directly, may not publish for jc-mitte
    spoof = Probe(central.port, "jc-mitte", "jc-nord", PASSWORDS["jc-nord"], subscriptions=(), connect=False)
    spoof.client.tls_set(ca_certs=central.ca_file, tls_version=ssl.PROTOCOL_TLS_CLIENT)
    spoof.client.connect("127.0.0.1", central.port, keepalive=10)
    spoof.client.loop_start()
    probes.append(spoof)
    assert spoof.wait_connected(), spoof.connect_result
    assert spoof.wait_ack(spoof.publish("board", board("spoof"))) == (False, "Not authorized")
    ok, reason = spoof.wait_ack(spoof.publish("aufruf/jc-nord/board", board("own")))
    assert ok, reason
    reader.wait_for("aufruf/jc-nord/board", lambda b: b.get("marker") == "own")
    assert not [b for b in reader.all("aufruf/jc-mitte/board") if b.get("marker") == "spoof"]
