"""What TLS costs on the site broker: connect time and request/reply round trip, plain vs TLS.

    python benchmarks/broker_tls.py [--n 300]

Starts a Mosquitto with the provisioned production config (``aufruf provision
--tls``) on loopback; a "kiosk" client publishes a request, a "controller"
client answers on the ticket topic, both QoS 1 with TCP_NODELAY, MQTT 5.
Prints median and p99 per listener. On a LAN between Pis add the network's
own round trip.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from aufruf import config, provision  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def client(port: int, user: str, pw: str, ca: str | None, on_message=None) -> tuple[mqtt.Client, float]:
    c = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=MQTTProtocolVersion.MQTTv5)
    c.username_pw_set(user, pw)
    c.on_socket_open = lambda cl, ud, s: s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if ca:
        c.tls_set(ca_certs=ca, tls_version=ssl.PROTOCOL_TLS_CLIENT)
    up = threading.Event()
    c.on_connect = lambda *a: up.set()
    if on_message:
        c.on_message = on_message
    t0 = time.perf_counter()
    c.connect("127.0.0.1", port)
    c.loop_start()
    if not up.wait(5):
        raise SystemExit(f"no connection to {port}")
    return c, (time.perf_counter() - t0) * 1000


def run(port: int, ca: str | None, creds: Path, site: str, n: int) -> dict[str, float]:
    root = f"aufruf/{site}/"
    ctl, _ = client(port, "controller-main", (creds / "controller-main").read_text().strip(), ca)
    ctl.on_message = lambda c, u, m: c.publish(root + "kiosk/entrance/ticket", m.payload, qos=1)
    ctl.subscribe(root + "kiosk/entrance/request", qos=1)
    got = threading.Event()
    connects = []
    for _ in range(5):
        k, ms = client(port, "kiosk-entrance", (creds / "kiosk-entrance").read_text().strip(), ca)
        connects.append(ms)
        k.disconnect()
        k.loop_stop()
    kiosk, _ = client(port, "kiosk-entrance", (creds / "kiosk-entrance").read_text().strip(), ca,
                      on_message=lambda *a: got.set())
    kiosk.subscribe(root + "kiosk/entrance/ticket", qos=1)
    time.sleep(0.3)
    rtts = []
    for i in range(n):
        got.clear()
        t0 = time.perf_counter()
        kiosk.publish(root + "kiosk/entrance/request", f'{{"v":1,"id":"b{i}","service":"K"}}', qos=1)
        if not got.wait(5):
            raise SystemExit("no answer")
        rtts.append((time.perf_counter() - t0) * 1000)
    for c in (kiosk, ctl):
        c.disconnect()
        c.loop_stop()
    rtts.sort()
    return {"connect_ms": statistics.median(connects), "median_ms": statistics.median(rtts),
            "p99_ms": rtts[int(len(rtts) * 0.99) - 1]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=300)
    args = ap.parse_args()
    mosq = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        cfg = config.load(Path(__file__).resolve().parent.parent / "examples" / "site.toml")
        plain, tls = free_port(), free_port()
        provision.provision(cfg, d, port=plain, bind="127.0.0.1", tls=True, tls_port=tls,
                            tls_hosts=("127.0.0.1",), run_as="root" if os.geteuid() == 0 else None)
        proc = subprocess.Popen([mosq, "-c", str(d / "mosquitto.conf")], stderr=subprocess.DEVNULL)
        try:
            time.sleep(0.5)
            for name, port, ca in (("plain", plain, None), ("tls", tls, str(d / "tls" / "ca.crt"))):
                r = run(port, ca, d / "credentials", cfg.site_id, args.n)
                print(f"{name:5s}  connect {r['connect_ms']:6.2f} ms   request->reply median {r['median_ms']:5.2f} ms"
                      f"   p99 {r['p99_ms']:5.2f} ms   (n={args.n})")
        finally:
            proc.terminate()
            proc.wait(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
