"""A plain paho-mqtt client for tests: logs in as a site user, records what it receives.

It deliberately does not use aufruf's own link, so tests of the link and of the
devices are checked by an independent client.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from typing import Any, Callable

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion


class Probe:
    def __init__(self, port: int, site: str, user: str | None, password: str | None,
                 subscriptions: tuple[str, ...] = ("#",), v5: bool = True, connect: bool = True):
        self.site = site
        self.root = f"aufruf/{site}/"
        self.messages: list[tuple[str, Any, bool]] = []
        self._cond = threading.Condition()
        self.acks: dict[int, tuple[bool, str]] = {}
        self.connect_result: str | None = None
        self._connected = threading.Event()
        self._subs = subscriptions
        c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"probe-{uuid.uuid4().hex[:8]}",
                        protocol=MQTTProtocolVersion.MQTTv5 if v5 else MQTTProtocolVersion.MQTTv311)
        if user:
            c.username_pw_set(user, password)
        c.on_connect = self._on_connect
        c.on_message = self._on_message
        c.on_publish = self._on_publish
        c.on_subscribe = self._on_subscribe
        self.subacks: dict[int, list[str]] = {}
        self._suback_pending: set[int] = set()
        c.on_socket_open = lambda cl, ud, s: s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.client = c
        self.port = port
        if connect:
            c.connect("127.0.0.1", port, keepalive=30)
            c.loop_start()

    def _on_connect(self, client, userdata, flags, rc, props):
        self.connect_result = str(rc)
        if not rc.is_failure:
            with self._cond:
                self._suback_pending = set()
                for s in self._subs:
                    _, mid = client.subscribe(s if s.startswith("$") or s.startswith("aufruf/") else self.root + s,
                                              qos=1)
                    self._suback_pending.add(mid)
            self._connected.set()

    def _on_subscribe(self, client, userdata, mid, reason_codes, props):
        with self._cond:
            self.subacks[mid] = [str(rc) for rc in reason_codes]
            self._suback_pending.discard(mid)
            self._cond.notify_all()

    def _on_message(self, client, userdata, msg):
        try:
            body = json.loads(msg.payload.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            body = msg.payload
        topic = msg.topic[len(self.root):] if msg.topic.startswith(self.root) else msg.topic
        with self._cond:
            self.messages.append((topic, body, bool(msg.retain)))
            self._cond.notify_all()

    def _on_publish(self, client, userdata, mid, rc, props):
        with self._cond:
            self.acks[mid] = (not rc.is_failure, str(rc))
            self._cond.notify_all()

    def wait_connected(self, timeout: float = 5.0) -> bool:
        """Connected and every subscription acknowledged (SUBACK), so nothing published next is missed."""
        deadline = time.monotonic() + timeout
        if not self._connected.wait(timeout):
            return False
        with self._cond:
            return self._cond.wait_for(lambda: not self._suback_pending, max(0.0, deadline - time.monotonic()))

    def publish(self, topic: str, payload: Any, retain: bool = False, raw: bool = False, qos: int = 1) -> int:
        data = payload if raw else json.dumps(payload).encode()
        info = self.client.publish(self.root + topic if not topic.startswith("aufruf/") else topic,
                                   data, qos=qos, retain=retain)
        return info.mid

    def wait_ack(self, mid: int, timeout: float = 5.0) -> tuple[bool, str]:
        with self._cond:
            if not self._cond.wait_for(lambda: mid in self.acks, timeout):
                raise TimeoutError(f"no PUBACK for mid {mid}")
            return self.acks[mid]

    def wait_for(self, topic: str, pred: Callable[[Any], bool] | None = None, timeout: float = 5.0,
                 start: int = 0) -> Any:
        """The first message on ``topic`` (relative to the site root) matching ``pred``."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for t, body, _ in self.messages[start:]:
                    if t == topic and (pred is None or pred(body)):
                        return body
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [t for t, _, _ in self.messages[-10:]]
                    raise TimeoutError(f"nothing on {topic} matching within {timeout}s; last topics: {seen}")
                self._cond.wait(left)

    def all(self, topic: str) -> list[Any]:
        with self._cond:
            return [b for t, b, _ in self.messages if t == topic]

    def mark(self) -> int:
        with self._cond:
            return len(self.messages)

    def request(self, topic: str, reply_topic: str, payload: dict, timeout: float = 5.0) -> dict:
        """Publish a request with an id and wait for the reply that carries the same id."""
        start = self.mark()
        self.publish(topic, payload)
        return self.wait_for(reply_topic, lambda b: isinstance(b, dict) and b.get("id") == payload.get("id"),
                             timeout, start)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def wait_until(pred: Callable[[], Any], timeout: float = 5.0, what: str = "condition") -> Any:
    """Poll a condition the code under test sets on its own thread (a pin state, a counter); returns its value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")
