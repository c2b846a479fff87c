"""One process per device id: the local lock, the retained status, and readiness meaning subscribed."""

import os
import signal
import socket
import subprocess
import sys

import pytest

from aufruf import instance, link
from aufruf.instance import InstanceError
from probe import wait_until
from sites import REPO


def aufruf(*args, env_extra=None):
    env = dict(os.environ, PYTHONPATH=str(REPO), SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy",
               GPIOZERO_PIN_FACTORY="mock", **(env_extra or {}))
    return subprocess.Popen([sys.executable, "-m", "aufrufcli", *args], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize("role,extra", [("display", ["--windowed", "--size", "320x180"]), ("kiosk", [])])
def test_a_second_process_with_the_same_id_is_refused_and_names_the_first(site, tmp_path, role, extra):
    device = "hall" if role == "display" else "entrance"
    probe = site.probe()
    env = {"AUFRUF_LOCK_DIR": str(tmp_path / "locks")}
    first = aufruf(role, "--config", str(site.config_path), "--id", device, *extra, env_extra=env)
    try:
        probe.wait_for(f"status/{role}/{device}", lambda b: b.get("online") is True, timeout=20)
        second = aufruf(role, "--config", str(site.config_path), "--id", device, *extra, env_extra=env)
        out, err = second.communicate(timeout=20)
        assert second.returncode == 1
        assert f"{role} {device} is already running on {socket.gethostname()}, pid {first.pid}" in err
        assert first.poll() is None                      # the first one was not knocked off
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=15)
    # once the first has stopped, the id is free again (lock released, status offline)
    instance.claim(site.cfg, role, device, directory=tmp_path / "locks").release()


def test_a_live_status_from_another_machine_refuses_a_stale_one_or_our_own_does_not(site, tmp_path):
    probe = site.probe()
    now = link.now_ms()
    live = {"v": 1, "online": True, "at": now, "instance": "abc", "host": "pi-hall", "pid": 812}
    probe.wait_ack(probe.publish("status/display/hall", live, retain=True))
    with pytest.raises(InstanceError, match="display hall is already running on pi-hall, pid 812"):
        instance.claim(site.cfg, "display", "hall", directory=tmp_path)
    # refused without keeping the lock
    for status in ({**live, "at": now - 10 * 60_000},                 # stale: a machine that died long ago
                   {**live, "host": socket.gethostname()},            # this machine, lock free: a dead predecessor
                   {"v": 1, "online": False}):
        probe.wait_ack(probe.publish("status/display/hall", status, retain=True))
        instance.claim(site.cfg, "display", "hall", directory=tmp_path).release()


def test_local_lock_names_its_holder(tmp_path):
    held = instance.lock("mitte", "display", "hall", tmp_path, "localhost:1883")
    try:
        with pytest.raises(InstanceError, match=f"already running on {socket.gethostname()}, pid {os.getpid()}"):
            instance.lock("mitte", "display", "hall", tmp_path, "localhost:1883")
        instance.lock("mitte", "display", "hall", tmp_path, "localhost:1884").release()   # another broker
    finally:
        held.release()
    instance.lock("mitte", "display", "hall", tmp_path, "localhost:1883").release()


def test_ready_means_every_subscription_acknowledged(site):
    """CONNACK alone is not ready: with the broker frozen before it can SUBACK, the link is not ready."""
    got = []
    frozen = []

    def freeze():
        if not frozen:
            os.kill(site.mosquitto.proc.pid, signal.SIGSTOP)   # the SUBSCRIBE is still in paho's buffer
            frozen.append(True)
    lk = link.MqttLink(site.cfg.broker, site.site_id, "display", "hall", subscriptions=(f"aufruf/{site.site_id}/call",),
                       handler=lambda t, p, r: got.append(p), on_connect=freeze)
    lk.start()
    try:
        wait_until(lambda: lk.is_connected(), 5, "CONNACK")
        assert not lk.wait_connected(0.5)                       # connected, but not subscribed yet
        os.kill(site.mosquitto.proc.pid, signal.SIGCONT)
        assert lk.wait_connected(5)
        probe = site.probe()
        probe.wait_ack(probe.publish("call", {"v": 1, "first": True}))
        wait_until(lambda: got, 5, "the first message after ready")
    finally:
        os.kill(site.mosquitto.proc.pid, signal.SIGCONT)
        lk.stop()
