"""One desk controller per data directory: an exclusive ``flock`` on ``<data>/controller.lock``.

Two controllers on one ledger would each issue numbers from their own memory
(the same number told to two customers) and knock each other off the broker
(same MQTT client id). The lock is taken before the ledger is opened and held
for the life of the process; the kernel drops it when the process dies, so a
``kill -9`` or a power cut never leaves a stale lock behind. ``aufruf report``
does not take it: it may run beside the controller.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from aufruf.errors import LedgerError

LOCKFILE = "controller.lock"


class DataDirInUse(LedgerError):
    """Another ``aufruf desk`` holds the data directory."""


class DataDirLock:
    """Held from construction until :meth:`release` (or the end of the process)."""

    def __init__(self, data_dir: str | Path):
        self.dir = Path(data_dir)
        self.path = self.dir / LOCKFILE
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            self._fd: int | None = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o640)
        except OSError as e:
            raise LedgerError(f"cannot create the lock file {self.path}: {e.strerror or e}") from None
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = self._holder()
            os.close(self._fd)
            self._fd = None
            raise DataDirInUse(
                f"another 'aufruf desk'{holder} is already running on the data directory {self.dir}; "
                "only one controller may write a ledger. Stop it first ('systemctl stop aufruf-desk' for "
                "the service) or give this one another --data") from None
        # a controller has had its ledger here before (see mark()): a missing ledger is then a lost one
        self.used_before = os.fstat(self._fd).st_size > 0

    def mark(self) -> None:
        """After the ledger opened: write our pid (for the message above, and as the sign of a used directory).

        A full disk must not stop the start here: the lock holds anyway.
        """
        try:
            os.ftruncate(self._fd, 0)
            os.pwrite(self._fd, f"{os.getpid()}\n".encode(), 0)
        except OSError:
            pass

    def _holder(self) -> str:
        try:
            pid = os.pread(self._fd, 32, 0).decode().strip()
        except (OSError, UnicodeDecodeError):
            return ""
        return f" (pid {pid})" if pid.isdigit() else ""

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the only descriptor drops the flock
            self._fd = None
