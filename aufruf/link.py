"""The MQTT link every aufruf process uses (paho-mqtt 2.x).

One :class:`MqttLink` per process: it logs in as the device's own user,
subscribes in ``on_connect`` (so every reconnect re-subscribes), reconnects
with back-off, keeps a retained ``status/<role>/<device>`` with a will that
marks the device offline, publishes with QoS 1, and keeps publishes made while
the broker is away (in order, in memory: what must survive a restart is the
caller's to store first). ``TCP_NODELAY`` is set on the socket: without it a
request/reply through the broker waits ~40 ms for delayed ACKs.

Ready means subscribed: :meth:`MqttLink.wait_connected` returns only once the
broker has acknowledged every subscription (SUBACK) of the current connection,
so a message published after it is never missed (a CONNACK alone is not enough:
the subscriptions may still be on their way). The retained status also names
this process (``instance``, ``host``, ``pid``) so a second process with the
same id can be refused (:mod:`aufruf.instance`).
"""

from __future__ import annotations

import logging
import os
import socket
import ssl
import threading
import time
import uuid
from collections import OrderedDict
from pathlib import Path
from typing import Any, Callable

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from . import protocol
from .config import Broker
from .errors import LinkError

log = logging.getLogger(__name__)

MessageHandler = Callable[[str, bytes, bool], None]
Delivered = Callable[[bool, str], None]
STATUS_EVERY_S = 60.0


def now_ms() -> int:
    """Milliseconds since the epoch (UTC), the protocol's time unit."""
    return time.time_ns() // 1_000_000


def read_password(credentials_dir: str, user: str) -> str:
    """The password of a device user, from ``<credentials_dir>/<user>``."""
    path = Path(credentials_dir) / user
    try:
        pw = path.read_text(encoding="utf-8").strip()
    except OSError as e:
        raise LinkError(f"cannot read the MQTT password of user '{user}' at {path}: "
                        f"{e.strerror or e}. Run 'aufruf provision' and check the file's owner.") from None
    if not pw:
        raise LinkError(f"the MQTT password file {path} is empty")
    return pw


class MqttLink:
    """A device's connection to the site broker.

    ``handler(topic, payload, retained)`` runs on paho's network thread: it must
    be quick and must hand work to the device's own thread. Exceptions in it are
    logged and swallowed (an exception would otherwise kill paho's thread).
    """

    def __init__(self, broker: Broker, site: str, role: str, device: str, *,
                 subscriptions: tuple[str, ...] = (), handler: MessageHandler | None = None,
                 password: str | None = None, session_expiry_s: int = 0,
                 client_id: str | None = None, status_extra: Callable[[], dict[str, Any]] | None = None,
                 publish_status: bool = True, user: str | None = None,
                 on_connect: Callable[[], None] | None = None, on_disconnect: Callable[[], None] | None = None):
        self.broker = broker
        self.topics = protocol.Topics(site)
        self.role = role
        self.device = device
        self.user = user or f"{role}-{device}"
        self.subscriptions = tuple(subscriptions)
        self.handler = handler
        self.status_extra = status_extra
        self.publish_status = publish_status
        self.session_expiry_s = session_expiry_s
        self._on_connect_hook = on_connect
        self._on_disconnect_hook = on_disconnect
        self._connected = threading.Event()     # CONNACK received
        self._ready = threading.Event()         # ... and every SUBACK of this connection
        self._sub_mids: set[int] = set()
        self.refused_subscriptions: list[str] = []
        self.instance = uuid.uuid4().hex[:16]   # this process's link, in the retained status
        self._unreachable_logged = False
        self._stopped = threading.Event()
        self._lock = threading.Lock()
        self._pending: dict[int, Delivered] = {}
        self._acked_early: OrderedDict[int, tuple[bool, str]] = OrderedDict()
        self._last_refusal: str | None = None
        self._status_thread: threading.Thread | None = None
        self.connects = 0

        if password is None:
            password = read_password(broker.credentials_dir, self.user)
        self.status_topic = self.topics.status(role, device) if publish_status else None
        cid = client_id or f"aufruf-{site}-{self.user}"
        v5 = broker.mqtt_version == 5
        kwargs: dict[str, Any] = {"client_id": cid, "protocol": MQTTProtocolVersion.MQTTv5 if v5 else MQTTProtocolVersion.MQTTv311}
        if not v5:
            kwargs["clean_session"] = session_expiry_s <= 0
        c = mqtt.Client(CallbackAPIVersion.VERSION2, **kwargs)
        c.username_pw_set(self.user, password)
        c.reconnect_delay_set(1, 30)
        c.max_inflight_messages_set(100)
        c.max_queued_messages_set(0)
        if broker.tls:
            if broker.ca_file and not os.path.exists(broker.ca_file):
                raise LinkError(f"broker.ca_file {broker.ca_file} does not exist")
            c.tls_set(ca_certs=broker.ca_file, tls_version=ssl.PROTOCOL_TLS_CLIENT)
        if self.status_topic:
            c.will_set(self.status_topic, protocol.Status(online=False).to_json(), qos=1, retain=True)
        c.on_connect = self._on_connect
        c.on_disconnect = self._on_disconnect
        c.on_message = self._on_message
        c.on_publish = self._on_publish
        c.on_subscribe = self._on_subscribe
        c.on_connect_fail = self._on_connect_fail
        c.on_socket_open = self._on_socket_open
        self.client = c

    # ------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Connect in the background; reconnects by itself until :meth:`stop`."""
        props = None
        clean = True
        if self.broker.mqtt_version == 5:
            props = Properties(PacketTypes.CONNECT)
            if self.session_expiry_s > 0:
                props.SessionExpiryInterval = self.session_expiry_s
                clean = False
        kw: dict[str, Any] = {"keepalive": self.broker.keepalive_s}
        if self.broker.mqtt_version == 5:
            kw.update(clean_start=clean, properties=props)
        self.client.connect_async(self.broker.host, self.broker.port, **kw)
        self.client.loop_start()
        if self.status_topic:
            self._status_thread = threading.Thread(target=self._status_loop, name=f"status-{self.user}", daemon=True)
            self._status_thread.start()

    def stop(self, mark_offline: bool = True) -> None:
        """Publish an offline status (when asked), disconnect and stop the network thread."""
        self._stopped.set()
        if mark_offline and self.status_topic and self.is_connected():
            info = self.client.publish(self.status_topic, protocol.Status(online=False, at=now_ms()).to_json(),
                                       qos=1, retain=True)
            try:
                info.wait_for_publish(timeout=2)
            except (RuntimeError, ValueError):
                pass
        self.client.disconnect()
        self.client.loop_stop()

    def wait_connected(self, timeout: float) -> bool:
        """Block until connected AND subscribed (every SUBACK in), True; False when the timeout passes."""
        return self._ready.wait(timeout)

    def is_ready(self) -> bool:
        """Connected and every subscription acknowledged by the broker."""
        return self._ready.is_set()

    def is_connected(self) -> bool:
        return self._connected.is_set()

    @property
    def last_refusal(self) -> str | None:
        """Why the broker last refused the login, if it did."""
        return self._last_refusal

    # ------------------------------------------------------------ publishing

    def publish(self, topic: str, payload: protocol.Message | bytes, *, retain: bool = False,
                on_delivered: Delivered | None = None, expiry_s: int | None = None) -> int:
        """Publish with QoS 1; kept in memory and sent on reconnect if the broker is away.

        ``on_delivered(ok, reason)`` runs on paho's thread when the broker acknowledged
        (MQTT 5 reports ``ok=False, "Not authorized"`` for a publish the ACL refuses).
        ``expiry_s`` sets MQTT 5's message expiry interval: the broker drops the message
        if it cannot hand it on within that time (e.g. to a controller that is down).
        """
        data = payload if isinstance(payload, bytes) else payload.to_json()
        props = None
        if expiry_s is not None and self.broker.mqtt_version == 5:
            props = Properties(PacketTypes.PUBLISH)
            props.MessageExpiryInterval = max(1, int(expiry_s))
        info = self.client.publish(topic, data, qos=1, retain=retain, properties=props)
        if info.rc not in (MQTTErrorCode.MQTT_ERR_SUCCESS, MQTTErrorCode.MQTT_ERR_NO_CONN):
            raise LinkError(f"publish to {topic} failed: {mqtt.error_string(info.rc)}")
        if on_delivered is not None:
            with self._lock:
                early = self._acked_early.pop(info.mid, None)
                if early is None:
                    self._pending[info.mid] = on_delivered
            if early is not None:
                on_delivered(*early)
        return info.mid

    def publish_status_now(self) -> None:
        """Publish the retained status at once (e.g. after the printer state changed)."""
        if not self.status_topic:
            return
        extra: dict[str, Any] = {}
        if self.status_extra is not None:
            try:
                extra = dict(self.status_extra())
            except Exception:  # noqa: BLE001 - a broken extra must not stop the status
                log.exception("status extra failed")
        printer = extra.pop("printer", None)
        self.publish(self.status_topic, protocol.Status(online=True, at=now_ms(), printer=printer, extra=extra,
                                                        instance=self.instance, host=socket.gethostname(),
                                                        pid=os.getpid()), retain=True)

    # ------------------------------------------------------------ paho callbacks

    def _on_socket_open(self, client, userdata, sock) -> None:
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except (OSError, AttributeError):
            pass

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        try:
            if reason_code.is_failure:
                reason = str(reason_code)
                if reason != self._last_refusal:
                    log.error("broker %s:%s refused login of %s: %s", self.broker.host, self.broker.port,
                              self.user, reason)
                self._last_refusal = reason
                return
            self._last_refusal = None
            self._unreachable_logged = False
            self.connects += 1
            log.info("connected to %s:%s as %s", self.broker.host, self.broker.port, self.user)
            self._ready.clear()
            with self._lock:
                self._sub_mids = set()
                for sub in self.subscriptions:
                    rc, mid = client.subscribe(sub, qos=1)
                    if rc == MQTTErrorCode.MQTT_ERR_SUCCESS and mid is not None:
                        self._sub_mids.add(mid)
                subscribed = not self._sub_mids
            self.publish_status_now()
            self._connected.set()
            if subscribed:
                self._ready.set()
            if self._on_connect_hook is not None:
                self._on_connect_hook()
        except Exception:  # noqa: BLE001 - never kill paho's thread
            log.exception("on_connect failed")

    def _on_connect_fail(self, client, userdata) -> None:
        if not self._unreachable_logged and not self._stopped.is_set():
            self._unreachable_logged = True      # once per outage, not every retry
            log.warning("cannot reach the broker %s:%s as %s (is Mosquitto running?); retrying",
                        self.broker.host, self.broker.port, self.user)

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        try:
            was = self._connected.is_set()
            self._connected.clear()
            self._ready.clear()
            if was and not self._stopped.is_set():
                log.warning("lost the broker %s:%s (%s); reconnecting", self.broker.host, self.broker.port, reason_code)
            if self._on_disconnect_hook is not None:
                self._on_disconnect_hook()
        except Exception:  # noqa: BLE001
            log.exception("on_disconnect failed")

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties) -> None:
        try:
            refused = [str(rc) for rc in (reason_codes or []) if getattr(rc, "is_failure", False)]
            if refused:
                log.error("broker %s:%s refused a subscription of %s: %s", self.broker.host, self.broker.port,
                          self.user, ", ".join(refused))
                self.refused_subscriptions.extend(refused)
            with self._lock:
                self._sub_mids.discard(mid)
                done = not self._sub_mids
            if done and self._connected.is_set():
                self._ready.set()
        except Exception:  # noqa: BLE001 - never kill paho's thread
            log.exception("on_subscribe failed")

    def _on_message(self, client, userdata, msg) -> None:
        if self.handler is None:
            return
        try:
            self.handler(msg.topic, msg.payload, bool(msg.retain))
        except Exception:  # noqa: BLE001 - an exception here would silently kill paho's thread
            log.exception("handling a message on %s failed", msg.topic)

    def _on_publish(self, client, userdata, mid, reason_code, properties) -> None:
        try:
            ok = not reason_code.is_failure
            reason = "" if ok else str(reason_code)
            with self._lock:
                cb = self._pending.pop(mid, None)
                if cb is None:
                    # publish() may not have registered its callback yet (or has none):
                    # keep the last few acks so a late registration still hears it.
                    self._acked_early[mid] = (ok, reason)
                    while len(self._acked_early) > 1024:
                        self._acked_early.popitem(last=False)
            if cb is not None:
                cb(ok, reason)
        except Exception:  # noqa: BLE001
            log.exception("on_publish failed")

    def _status_loop(self) -> None:
        while not self._stopped.wait(STATUS_EVERY_S):
            if self.is_connected():
                try:
                    self.publish_status_now()
                except Exception:  # noqa: BLE001
                    log.exception("status publish failed")


def ephemeral_client_id(user: str) -> str:
    """A unique client id for short-lived tools (two CLI calls must not kick each other)."""
    return f"aufruf-{user}-{uuid.uuid4().hex[:8]}"
