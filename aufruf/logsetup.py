"""Logging for every aufruf process: one line per event, to stderr (journald under systemd)."""

import logging
import os
import sys


def setup(verbose: bool = False, quiet: bool = False) -> None:
    """Send log lines to stderr; without timestamps when journald adds its own.

    ``quiet`` (the one-shot tools: staff commands, report, ...) logs warnings and
    errors only; ``verbose`` everything.
    """
    fmt = "%(levelname)s %(name)s: %(message)s"
    if not os.environ.get("JOURNAL_STREAM"):
        fmt = "%(asctime)s " + fmt
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(fmt))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO)
    # paho and pygame chatter is not an event of ours
    logging.getLogger("paho").setLevel(logging.WARNING)
    logging.getLogger("amqtt").setLevel(logging.WARNING)
    logging.getLogger("transitions").setLevel(logging.WARNING)
