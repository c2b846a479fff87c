"""systemd readiness and watchdog pings (``Type=notify``, ``WatchdogSec=``).

A no-op when the process is not started by systemd (no ``NOTIFY_SOCKET``).
The main loop calls :meth:`Notifier.ping` only while it is healthy, so a hung
loop is restarted by systemd.
"""

from __future__ import annotations

import os
import time


class Notifier:
    """Talks to systemd's notify socket through sdnotify, at most one ping a second."""

    def __init__(self) -> None:
        self._n = None
        self._last = 0.0
        if os.environ.get("NOTIFY_SOCKET"):
            import sdnotify
            self._n = sdnotify.SystemdNotifier()

    @property
    def active(self) -> bool:
        return self._n is not None

    def _send(self, msg: str) -> None:
        if self._n is not None:
            self._n.notify(msg)

    def ready(self, status: str = "") -> None:
        """Tell systemd the service is up (after config load and first broker connect attempt)."""
        self._send("READY=1" + (f"\nSTATUS={status}" if status else ""))

    def ping(self) -> None:
        """Watchdog keep-alive; call from the main loop while it is healthy."""
        now = time.monotonic()
        if now - self._last >= 1.0:
            self._last = now
            self._send("WATCHDOG=1")

    def status(self, text: str) -> None:
        self._send(f"STATUS={text}")

    def stopping(self) -> None:
        self._send("STOPPING=1")
