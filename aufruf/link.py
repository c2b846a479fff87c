"""The MQTT link every aufruf process uses (paho-mqtt 2.x).

One :class:`MqttLink` per process: it logs in as the device's own user,
subscribes in ``on_connect`` (so every reconnect re-subscribes), reconnects
with back-off, keeps a retained ``status/<role>/<device>`` with a will that
marks the device offline, publishes with QoS 1, and keeps publishes made while
the broker is away (in order, in memory: what must survive a restart is the
caller's to store first). ``TCP_NODELAY`` is set on the socket: without it a
request/reply through the broker waits ~40 ms for delayed ACKs.

The network runs on paho's own thread, or (``network_thread=False``) on the
owner's: a process whose one worker thread owns its state and does nearly all
its publishing (the controller) calls :meth:`MqttLink.poll` in its loop
instead of waiting on its queue. Its publishes are then written by the thread
that made them, its messages arrive on it, and no second thread is woken (and
no lock handed over) for every packet: on a Pi's slow core that is most of what
an MQTT round trip costs. Other threads may still publish; they wake the owner
(:meth:`MqttLink.wake`).

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
import select
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
RECONNECT_MIN_S, RECONNECT_MAX_S = 1, 30
CORK = getattr(socket, "TCP_CORK", None)  # Linux: hold a burst of small writes back to one segment


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
                 on_connect: Callable[[], None] | None = None, on_disconnect: Callable[[], None] | None = None,
                 network_thread: bool = True):
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
        # network_thread=False: the owner's thread drives the network with poll(); wake() interrupts its wait
        self.driven = not network_thread
        self._wake_r: socket.socket | None = None
        self._wake_w: socket.socket | None = None
        self._owner: int | None = None      # the thread that polls
        self._started = False
        self._next_try = 0.0                # monotonic time of the next connection attempt
        self._delay = RECONNECT_MIN_S
        self._unwritten = 0                 # publishes since the owner last wrote (worth a cork if > 1)

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
        c.reconnect_delay_set(RECONNECT_MIN_S, RECONNECT_MAX_S)
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
        if self.driven:
            self._wake_r, self._wake_w = socket.socketpair()
            for sk in (self._wake_r, self._wake_w):
                sk.setblocking(False)
            c.on_socket_register_write = self._on_register_write
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
        if self.driven:
            self._started = True
            self.wake()
        else:
            self.client.loop_start()
        if self.status_topic:
            self._status_thread = threading.Thread(target=self._status_loop, name=f"status-{self.user}", daemon=True)
            self._status_thread.start()

    def stop(self, mark_offline: bool = True) -> None:
        """Publish an offline status (when asked), disconnect and stop the network thread."""
        self._stopped.set()
        if self.driven:
            self._stop_driven(mark_offline)
            return
        if mark_offline and self.status_topic and self.is_connected():
            info = self.client.publish(self.status_topic, protocol.Status(online=False, at=now_ms()).to_json(),
                                       qos=1, retain=True)
            try:
                info.wait_for_publish(timeout=2)
            except (RuntimeError, ValueError):
                pass
        self.client.disconnect()
        self.client.loop_stop()

    def _stop_driven(self, mark_offline: bool) -> None:
        """The owner has stopped polling: this thread writes the offline status and the DISCONNECT itself."""
        self._owner = threading.get_ident()
        if mark_offline and self.status_topic and self.is_connected():
            info = self.client.publish(self.status_topic, protocol.Status(online=False, at=now_ms()).to_json(),
                                       qos=1, retain=True)
            self._drive_until(info.is_published, 2.0)
        if self.client.socket() is not None:
            self.client.disconnect()
            self._drive_until(lambda: self.client.socket() is None, 1.0)
        for sk in (self._wake_r, self._wake_w):
            if sk is not None:
                sk.close()

    def _drive_until(self, done: Callable[[], bool], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not done() and self.client.socket() is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self.poll(min(left, 0.1))

    # ------------------------------------------------------------ the owner's thread drives the network

    def wake(self) -> None:
        """Any thread: end the owner's :meth:`poll` wait now (e.g. it has new work in its queue)."""
        if self._wake_w is None or threading.get_ident() == self._owner:  # the owner is not waiting
            return
        try:
            self._wake_w.send(b"\0")
        except (BlockingIOError, OSError):  # full: a wake is already pending; closed: the link stopped
            pass

    def flush(self) -> None:
        """The owner's thread: write what is published so far now, not at its next :meth:`poll`."""
        if self.client.socket() is not None and self.client.want_write():
            self._write()

    def _write(self) -> None:
        """Write every queued packet, as few TCP segments as they fit in (``TCP_CORK`` on Linux).

        paho sends each packet with a ``send`` of its own; with ``TCP_NODELAY`` every one is then
        a segment the broker must wake up for. A command's dozen messages go out corked, in one.
        """
        c = self.client
        sock = c.socket()
        cork = CORK is not None and self._unwritten > 1 and isinstance(sock, socket.socket)
        self._unwritten = 0
        if cork:
            try:
                sock.setsockopt(socket.IPPROTO_TCP, CORK, 1)
            except OSError:
                cork = False
        try:
            c.loop_write()
        finally:
            if cork:
                try:
                    sock.setsockopt(socket.IPPROTO_TCP, CORK, 0)
                except OSError:  # closed meanwhile: nothing left to send
                    pass

    def _on_register_write(self, client, userdata, sock) -> None:
        # paho: a packet waits to be written; the owner writes it in its poll, another thread's must wake it
        self.wake()

    def poll(self, timeout: float) -> None:
        """``network_thread=False``: the network's work on the owner's thread, waiting at most ``timeout`` s.

        Writes what was published (before it waits), reads what arrived (paho's callbacks run here: messages,
        acknowledgements, connects), sends keep-alives, and connects or reconnects with
        back-off (1 to 30 s) while the broker is away. A :meth:`wake` ends the wait early.
        """
        self._owner = threading.get_ident()
        c = self.client
        sock = c.socket()
        if sock is None:
            now = time.monotonic()
            if not self._started or self._stopped.is_set() or now < self._next_try:
                wait = timeout if not self._started or self._stopped.is_set() else min(timeout, self._next_try - now)
                self._wait_wake(wait)
                return
            self._connect()
            return
        # what is queued goes out first; what the read below queues (a PUBACK, say) waits for the
        # owner's next write, which then carries it with the owner's answer in one segment
        if c.want_write():
            self._write()
        pending = getattr(sock, "pending", None)
        if pending is not None and pending():   # TLS: bytes already decrypted, select would not see them
            timeout = 0.0
        try:
            readable, writable, _ = select.select([sock, self._wake_r], [sock] if c.want_write() else [], [],
                                                  max(0.0, timeout))
        except (OSError, ValueError):  # closed under us: paho notices in loop_misc and the next poll reconnects
            self._wait_wake(min(timeout, 0.1))  # not a busy loop until it does
            readable, writable = [], []
        if self._wake_r in readable:
            self._drain_wake()
        if sock in readable or (pending is not None and pending()):
            c.loop_read()
        if writable and c.socket() is not None and c.want_write():  # the rest of a write the socket could not take
            self._write()
        c.loop_misc()

    def _wait_wake(self, timeout: float) -> None:
        try:
            readable, _, _ = select.select([self._wake_r], [], [], max(0.0, timeout))
        except (OSError, ValueError):
            return
        if readable:
            self._drain_wake()

    def _drain_wake(self) -> None:
        try:
            while self._wake_r.recv(4096):
                pass
        except (BlockingIOError, OSError):
            pass

    def _connect(self) -> None:
        try:
            self.client.reconnect()
        except OSError:  # refused, unreachable, TLS failed: tried again after the back-off
            self._on_connect_fail(self.client, None)
            self._backoff()

    def _backoff(self) -> None:
        self._next_try = time.monotonic() + self._delay
        self._delay = min(self._delay * 2, RECONNECT_MAX_S)

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
                on_delivered: Delivered | None = None, expiry_s: int | None = None, qos: int = 1) -> int:
        """Publish with QoS 1; kept in memory and sent on reconnect if the broker is away.

        ``qos=0`` is for retained truth that its publisher sends again after every connect
        (the controller's board, queue, lines, ticket and desk states): no acknowledgement to
        wait for and handle, and one lost with a broken connection is replaced by the
        republish once it is back.

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
        info = self.client.publish(topic, data, qos=qos, retain=retain, properties=props)
        self._unwritten += 1
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
            self._delay = RECONNECT_MIN_S
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
            if self.driven:
                self._backoff()  # as paho's own loop: the next attempt after the back-off
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
