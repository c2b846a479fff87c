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


class Owner:
    """A thread that drives a ``network_thread=False`` link as the controller's worker does:
    ``poll`` with a long wait, so only a wake (or arriving data) makes it write."""

    WAIT_S = 30.0

    def __init__(self, lk):
        self.lk = lk
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="owner", daemon=True)
        self.thread.start()

    def _run(self):
        while not self._stop.is_set():
            self.lk.poll(self.WAIT_S)

    def stop(self):
        self._stop.set()
        self.lk.wake()
        self.thread.join(5)
        assert not self.thread.is_alive()


@pytest.fixture(params=["paho thread", "owner's thread"])
def network(request):
    """Both ways a link's network runs: started and stopped as a device does."""
    started = []

    def start(lk):
        lk.start()
        if lk.driven:
            started.append(Owner(lk))

    def stop(lk):
        for o in started:
            o.stop()
        lk.stop()
    return request.param == "paho thread", start, stop


def test_publishes_while_broker_away_are_sent_in_order_after_reconnect(site, network):
    thread, start, stop = network
    lk = make_link(site, role="controller", device="main", network_thread=thread)
    start(lk)
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
    stop(lk)


def test_a_link_driven_by_its_owner_reads_writes_and_is_woken_by_other_threads(site):
    topics = protocol.Topics(site.site_id)
    got = []

    def handler(topic, payload, retained):  # runs on the owner: answers from there, as the controller does
        got.append(threading.get_ident())
        lk.publish(topics.reply("1"), protocol.CommandReply(protocol.Command.from_json(payload).id, "K001"))
    lk = make_link(site, role="controller", device="main", network_thread=False,
                   subscriptions=(topics.all_commands,), handler=handler)
    owner = Owner(lk)
    lk.start()                                       # a wake: the owner connects at once, not after 30 s
    assert lk.wait_connected(5)
    probe = site.probe(subscriptions=("desk/+/reply", "call", "status/controller/main"))
    probe.publish("desk/1/command", protocol.Command("c1", "next").to_json(), raw=True)
    assert probe.wait_for("desk/1/reply", lambda b: b["id"] == "c1", timeout=5)["ticket"] == "K001"
    assert got == [owner.thread.ident]
    # another thread's publish wakes the owner out of its 30 s wait
    lk.publish(topics.call, protocol.CallEvent("x1", "K001", "1", "K", 1_795_600_000_000))
    probe.wait_for("call", lambda b: b["id"] == "x1", timeout=5)
    owner.stop()
    lk.stop()                                        # the owner has stopped: stop writes the rest itself
    probe.wait_for("status/controller/main", lambda b: b["online"] is False, timeout=5)


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


def test_an_unreachable_broker_is_logged_once_not_silently_retried(site, caplog, network):
    thread, start, stop = network
    site.stop()
    lk = make_link(site, role="display", device="hall", network_thread=thread)
    with caplog.at_level("WARNING", logger="aufruf.link"):
        start(lk)
        try:
            assert not lk.wait_connected(2.5)            # retried after 1 s, 2 s, ...
        finally:
            stop(lk)
    said = [r.getMessage() for r in caplog.records if "cannot reach the broker" in r.getMessage()]
    assert len(said) == 1 and "is Mosquitto running?" in said[0]
