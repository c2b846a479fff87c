"""Silent alarm speed: a keypad's alarm command -> the staff subscriber's ``alarm/event``, and the clear.

A provisioned Mosquitto and the real `aufruf desk` process run on loopback.
The "keypad" (user keypad-3) publishes ``{"action":"alarm"}`` on its own desk
topic; the "staff" client (staff-info) times it until the ``raised`` event
arrives (broker -> controller commits the alarm to SQLite -> broker -> staff),
then clears it with a staff command and times the ``cleared`` event.

Prints p50/p99/max of both (goal p99 <= 1000 ms: "within a second").

    python benchmarks/alarm_latency.py [--n 100]
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from harness import BenchSite, machine, summary  # noqa: E402

from aufruf import protocol  # noqa: E402


def client(site: BenchSite, user: str, subscribe: tuple[str, ...] = (), on_message=None) -> mqtt.Client:
    c = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=MQTTProtocolVersion.MQTTv5)
    c.username_pw_set(user, site.password(user))
    c.on_socket_open = lambda cl, ud, s: s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    subscribed = threading.Event()

    def on_connect(cl, *_a) -> None:
        for t in subscribe:
            cl.subscribe(t, qos=1)
        if not subscribe:
            subscribed.set()
    c.on_connect = on_connect
    c.on_subscribe = lambda *a: subscribed.set()
    if on_message:
        c.on_message = on_message
    c.connect("127.0.0.1", site.port)
    c.loop_start()
    if not subscribed.wait(10):
        raise SystemExit(f"{user}: no connection")
    return c


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100, help="alarms raised and cleared (default 100)")
    args = ap.parse_args()
    site = BenchSite()
    try:
        topics = protocol.Topics(site.cfg.site_id)
        events: dict[str, float] = {}
        cond = threading.Condition()

        def on_message(cl, ud, msg) -> None:
            body = json.loads(msg.payload)
            with cond:
                if msg.topic.endswith("/alarm/event"):
                    events[body["event"]] = time.perf_counter()
                elif body.get("online"):
                    events["controller"] = time.perf_counter()
                cond.notify_all()

        staff = client(site, "staff-info", (topics.alarm_event, topics.status("controller", "main")), on_message)
        site.start("desk", "--id", "main", "--data", str(site.data), "--no-keypads")
        with cond:
            if not cond.wait_for(lambda: "controller" in events, 20):
                raise SystemExit("the desk controller did not come up")
        keypad = client(site, "keypad-3")
        raised_ms: list[float] = []
        cleared_ms: list[float] = []

        def timed(c: mqtt.Client, topic: str, message: protocol.Message, event: str) -> float:
            with cond:
                events.pop(event, None)
            t0 = time.perf_counter()
            c.publish(topic, message.to_json(), qos=1)
            with cond:
                if not cond.wait_for(lambda: event in events, 10):
                    raise SystemExit(f"no {event} event within 10 s (is the controller up?)")
                return (events[event] - t0) * 1000

        for i in range(args.n + 3):
            r = timed(keypad, topics.command("3"), protocol.Command(f"a{i}", "alarm"), "raised")
            c = timed(staff, topics.staff_command("info"), protocol.StaffCommand(f"c{i}", "clear_alarm"), "cleared")
            if i >= 3:                                   # the first ones warm up the controller
                raised_ms.append(r)
                cleared_ms.append(c)
        print(machine())
        print(summary("alarm raised -> staff event", raised_ms, 1000))
        print(summary("alarm cleared -> staff event", cleared_ms, 1000))
        keypad.loop_stop()
        staff.loop_stop()
        return 0
    finally:
        site.close()


if __name__ == "__main__":
    sys.exit(main())
