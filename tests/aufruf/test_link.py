"""The MQTT link against a real Mosquitto: login, status and will, queueing while away, ACL."""

import threading

from aufruf import config, link, protocol
from aufruf.errors import LinkError

import pytest
from probe import wait_until


def make_link(site, role="kiosk", device="entrance", **kw):
    return link.MqttLink(site.cfg.broker, site.site_id, role, device, **kw)


def test_status_retained_and_will_marks_offline(site):
    probe = site.probe()
    lk = make_link(site, status_extra=lambda: {"printer": "ok"})
    lk.start()
    assert lk.wait_connected(5)
    st = probe.wait_for("status/kiosk/entrance", lambda b: b["online"])
    assert st["printer"] == "ok" and isinstance(st["at"], int)
    # a crash (no clean disconnect) -> the broker publishes the will
    lk.client._sock.close()  # the process vanishes without DISCONNECT
    lk._stopped.set()
    lk.client.loop_stop()
    probe.wait_for("status/kiosk/entrance", lambda b: b["online"] is False, timeout=lk.broker.keepalive_s * 2)


def test_publishes_while_broker_away_are_sent_in_order_after_reconnect(site):
    lk = make_link(site, role="controller", device="main")
    lk.start()
    assert lk.wait_connected(5)
    site.stop()
    for _ in range(50):
        if not lk.is_connected():
            break
        threading.Event().wait(0.1)
    assert not lk.is_connected()
    delivered = []
    for i in range(20):
        call = protocol.CallEvent(f"c{i}", f"K{i + 1:03d}", "1", "K", 1_795_600_000_000 + i)
        lk.publish(protocol.Topics(site.site_id).call, call,
                   on_delivered=lambda ok, r, i=i: delivered.append((i, ok)))
    site.start()
    probe = site.probe(subscriptions=("call",))
    probe.wait_for("call", lambda b: b["id"] == "c19", timeout=40)
    assert [b["number"] for b in probe.all("call")] == [f"K{i + 1:03d}" for i in range(20)]
    # every one acknowledged by the broker, in order, once
    wait_until(lambda: len(delivered) == 20, timeout=10, what="all 20 acknowledged")
    assert delivered == [(i, True) for i in range(20)]
    lk.stop()


def test_acl_refusal_reported_with_mqtt5(site):
    lk = make_link(site)
    lk.start()
    assert lk.wait_connected(5)
    result = []
    done = threading.Event()
    lk.publish(protocol.Topics(site.site_id).command("3"), protocol.Command("x", "next"),
               on_delivered=lambda ok, reason: (result.append((ok, reason)), done.set()))
    assert done.wait(5)
    assert result[0][0] is False and "authori" in result[0][1].lower()
    lk.stop()


def test_wrong_password_is_refused(site):
    lk = make_link(site, password="wrong")
    lk.start()
    assert not lk.wait_connected(2)
    assert lk.last_refusal and "authori" in lk.last_refusal.lower()
    lk.stop(mark_offline=False)


def test_missing_credentials_name_the_file(site, tmp_path):
    broker = config.Broker(credentials_dir=str(tmp_path / "nowhere"))
    with pytest.raises(LinkError, match="kiosk-entrance"):
        link.MqttLink(broker, site.site_id, "kiosk", "entrance")


def test_an_unreachable_broker_is_logged_once_not_silently_retried(site, caplog):
    site.stop()
    lk = make_link(site, role="display", device="hall")
    with caplog.at_level("WARNING", logger="aufruf.link"):
        lk.start()
        try:
            assert not lk.wait_connected(2.5)            # paho retries after 1 s, 2 s, ...
        finally:
            lk.stop(mark_offline=False)
    said = [r.getMessage() for r in caplog.records if "cannot reach the broker" in r.getMessage()]
    assert len(said) == 1 and "is Mosquitto running?" in said[0]
