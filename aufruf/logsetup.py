"""Logging for every aufruf process: one line per event, to stderr (journald under systemd).

Under systemd (``JOURNAL_STREAM`` set) each line starts with its syslog priority, ``<4>`` for a
warning and so on, which journald takes as the line's priority and strips: ``journalctl -p
warning -u 'aufruf-*'`` then finds the warnings and errors, and journald adds its own timestamps.
"""

import logging
import os
import sys

# logging level -> syslog priority (sd-daemon(3): <3> error, <4> warning, <6> info, <7> debug)
PRIORITIES = ((logging.CRITICAL, 2), (logging.ERROR, 3), (logging.WARNING, 4), (logging.INFO, 6))


def priority(levelno: int) -> int:
    """The syslog priority of a logging level (a custom level gets the next lower one's)."""
    for level, prio in PRIORITIES:
        if levelno >= level:
            return prio
    return 7


class JournalFormatter(logging.Formatter):
    """Prefixes every line of a record (a traceback too) with its ``<priority>``."""

    def format(self, record: logging.LogRecord) -> str:
        prefix = f"<{priority(record.levelno)}>"
        return "\n".join(prefix + line for line in super().format(record).splitlines())


def setup(verbose: bool = False, quiet: bool = False) -> None:
    """Send log lines to stderr; under journald with priorities and without our own timestamps.

    ``quiet`` (the one-shot tools: staff commands, report, ...) logs warnings and
    errors only; ``verbose`` everything.
    """
    fmt = "%(levelname)s %(name)s: %(message)s"
    handler = logging.StreamHandler(sys.stderr)
    if os.environ.get("JOURNAL_STREAM"):
        handler.setFormatter(JournalFormatter(fmt))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s " + fmt))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO)
    # paho and pygame chatter is not an event of ours
    logging.getLogger("paho").setLevel(logging.WARNING)
    logging.getLogger("amqtt").setLevel(logging.WARNING)
    logging.getLogger("transitions").setLevel(logging.WARNING)
