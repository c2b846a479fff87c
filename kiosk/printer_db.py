"""python-escpos's printer database, parsed once and kept between kiosk starts.

python-escpos parses its database of printer profiles (a 230 kB YAML file) when
it is first imported and pickles the result to ``ESCPOS_CAPABILITIES_PICKLE_DIR``,
a new temporary directory by default: so every start parses it again (230 ms on
an x86 core, about a second on a Pi) and keeps the parser's leftovers (about
2 MB of the kiosk's 40 MB budget). :func:`load` points it at a directory that
outlives the process, systemd's ``CacheDirectory=`` of the kiosk's unit
(``$CACHE_DIRECTORY``) or else ``$XDG_CACHE_HOME/aufruf`` (``~/.cache/aufruf``),
and imports the database. The library writes its pickle in place, so a power
cut while it writes leaves a broken file: that file is removed and the database
parsed afresh, never a kiosk that cannot start.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from collections.abc import MutableMapping

log = logging.getLogger(__name__)

ENV = "ESCPOS_CAPABILITIES_PICKLE_DIR"
MODULE = "escpos.capabilities"


def cache_dir(env: MutableMapping[str, str]) -> Path:
    """Where the parsed database is kept: systemd's cache directory, else the user's."""
    systemd = env.get("CACHE_DIRECTORY", "").split(":")[0]
    if systemd:
        return Path(systemd)
    base = env.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "aufruf"


def load(env: MutableMapping[str, str] | None = None) -> Path | None:
    """Import python-escpos's printer database from the kept pickle (made on the first start).

    Call before anything imports ``escpos``. Returns the directory used, or None when the
    database was already imported, a directory was given in ``ESCPOS_CAPABILITIES_PICKLE_DIR``
    already, or none could be made (then the library's own temporary one serves, as before).
    """
    env = os.environ if env is None else env
    if MODULE in sys.modules:
        return None
    if ENV in env:
        where = None
    else:
        where = cache_dir(env)
        try:
            where.mkdir(parents=True, exist_ok=True)
            if not os.access(where, os.W_OK | os.X_OK):
                raise PermissionError(f"{where} is not writable")
        except OSError as e:
            log.warning("python-escpos's printer database is parsed at every start: no cache directory (%s)", e)
            where = None
        else:
            env[ENV] = str(where)
    try:
        __import__(MODULE)
    except Exception as e:  # noqa: BLE001 - a truncated or foreign pickle: whatever pickle.load raised
        broken = [p for p in Path(env[ENV]).glob("*.capabilities.pickle")] if ENV in env else []
        if not broken:
            raise
        log.warning("python-escpos's kept printer database could not be read (%s): parsed afresh", e)
        for p in broken:
            p.unlink(missing_ok=True)
        for name in [m for m in sys.modules if m == "escpos" or m.startswith("escpos.")]:
            del sys.modules[name]
        __import__(MODULE)
    return where
