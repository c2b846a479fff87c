"""One process per device id: a second ``aufruf display --id hall`` is refused.

Two processes with the same id log in with the same MQTT client id and knock
each other off the broker every second (the board misses calls). Before a
device connects, :func:`claim` checks twice:

- a local lock (``fcntl.flock`` on ``<lock dir>/aufruf-<site>-<role>-<id>-<broker>.lock``,
  holding the host and pid of its owner): another process on this machine
  holds it -> refused. The kernel drops the lock when the process dies, even
  by ``kill -9``;
- the device's retained ``status/<role>/<id>`` (which names ``instance``,
  ``host`` and ``pid``): online, fresh and from another machine -> refused.
  A status from this machine whose lock was free is a dead predecessor
  (a crash or power cut before its will was published): not a reason to refuse.

The refusal names the other process: "display hall is already running on
pi-hall, pid 812".
"""

from __future__ import annotations

import fcntl
import logging
import os
import socket
import tempfile
import time
from pathlib import Path
from typing import Any

from . import protocol
from .errors import AufrufError

log = logging.getLogger(__name__)

FRESH_MS = 150_000          # a status younger than this counts (devices republish every 60 s)
PEEK_TIMEOUT_S = 3.0


class InstanceError(AufrufError, RuntimeError):
    """Another process already runs this device id."""


def lock_dir() -> Path:
    """Where the locks live: ``$AUFRUF_LOCK_DIR``, else ``/run/aufruf`` when writable, else the temp dir."""
    env = os.environ.get("AUFRUF_LOCK_DIR")
    if env:
        return Path(env)
    run = Path("/run/aufruf")
    if run.is_dir() and os.access(run, os.W_OK):
        return run
    return Path(tempfile.gettempdir())


def already_running(role: str, device: str, host: str, pid: Any) -> str:
    return f"{role} {device} is already running on {host}, pid {pid}"


class Instance:
    """A held claim on a device id; :meth:`release` (or process exit) frees it."""

    def __init__(self, path: Path, fd: int):
        self.path = path
        self._fd: int | None = fd

    def release(self) -> None:
        if self._fd is not None:
            try:
                os.ftruncate(self._fd, 0)
            except OSError:
                pass
            os.close(self._fd)
            self._fd = None


def lock(site: str, role: str, device: str, directory: Path | None = None, broker: str = "") -> Instance:
    """Take the local lock of a device id, or raise :class:`InstanceError` naming its holder.

    ``broker`` ("host:port") is part of the lock's name: the same id on another broker is another device.
    """
    d = Path(directory) if directory else lock_dir()
    d.mkdir(parents=True, exist_ok=True)
    where = "".join(ch if ch.isalnum() or ch in ".-" else "-" for ch in broker)
    path = d / f"aufruf-{site}-{role}-{device}{'-' + where if where else ''}.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        try:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").split()
        except OSError:
            holder = []
        os.close(fd)
        host, pid = (holder + ["this machine", "unknown"])[:2] if holder else ("this machine", "unknown")
        raise InstanceError(already_running(role, device, host, pid)) from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{socket.gethostname()} {os.getpid()}\n".encode(), 0)
    return Instance(path, fd)


def check_status(role: str, device: str, status: protocol.Status | None, now_ms: int,
                 host: str | None = None) -> None:
    """Raise :class:`InstanceError` when a retained status shows another live process on another host."""
    if status is None or not status.online:
        return
    age = status.age_ms(now_ms)
    if age is None or age > FRESH_MS:
        return
    if status.host is None or status.host == (host or socket.gethostname()):
        return          # this machine: the local lock decides (it was free, so that process is gone)
    raise InstanceError(already_running(role, device, status.host, status.pid or "unknown"))


def peek_status(link_factory, status_topic: str, timeout: float = PEEK_TIMEOUT_S) -> protocol.Status | None:
    """The retained status on ``status_topic``, read by a short-lived link (its own client id).

    ``link_factory(subscriptions, handler)`` makes an unstarted :class:`~aufruf.link.MqttLink`.
    The topic is subscribed twice: the second SUBACK comes after the retained
    message of the first, so once the link is ready the message is here, if any.
    None when there is none or the broker cannot be reached in time (then the
    device starts and its own link keeps trying).
    """
    got: dict[str, Any] = {}

    def handler(topic: str, payload: bytes, retained: bool) -> None:
        if topic == status_topic and retained:
            try:
                got["status"] = protocol.Status.from_json(payload)
            except AufrufError:
                pass

    link = link_factory((status_topic, status_topic), handler)
    link.start()
    try:
        if not link.wait_connected(timeout):
            return None
        return got.get("status")
    finally:
        link.stop(mark_offline=False)


def claim(cfg, role: str, device: str, *, directory: Path | None = None, timeout: float = PEEK_TIMEOUT_S,
          password: str | None = None) -> Instance:
    """Lock the device id locally, then check its retained status; raises :class:`InstanceError`."""
    from .link import MqttLink, ephemeral_client_id, now_ms

    held = lock(cfg.site_id, role, device, directory, f"{cfg.broker.host}:{cfg.broker.port}")
    try:
        user = f"{role}-{device}"

        def factory(subs, handler):
            return MqttLink(cfg.broker, cfg.site_id, role, device, subscriptions=subs, handler=handler,
                            publish_status=False, client_id=ephemeral_client_id(user), password=password)
        started = time.monotonic()
        status = peek_status(factory, protocol.Topics(cfg.site_id).status(role, device), timeout)
        log.debug("instance check of %s %s took %.2f s", role, device, time.monotonic() - started)
        check_status(role, device, status, now_ms())
    except BaseException:
        held.release()
        raise
    return held
