"""Log lines under journald carry their priority (``journalctl -p warning`` finds the warnings);
outside it they carry a timestamp instead."""

import os
import subprocess
import sys

from sites import REPO

SCRIPT = """
import logging
from aufruf import logsetup
logsetup.setup()
log = logging.getLogger("aufruf.test")
log.debug("hidden")
log.info("started")
log.warning("printer low on paper")
try:
    1 / 0
except ZeroDivisionError:
    log.exception("print failed")
logging.getLogger("paho").info("chatter")
"""


def run(**env):
    e = {k: v for k, v in os.environ.items() if k != "JOURNAL_STREAM"}
    e.update(PYTHONPATH=str(REPO), **env)
    return subprocess.run([sys.executable, "-c", SCRIPT], env=e, capture_output=True, text=True,
                          timeout=30).stderr.splitlines()


def test_under_journald_every_line_starts_with_its_priority():
    lines = run(JOURNAL_STREAM="8:12345")
    assert lines[0] == "<6>INFO aufruf.test: started"
    assert lines[1] == "<4>WARNING aufruf.test: printer low on paper"
    assert lines[2] == "<3>ERROR aufruf.test: print failed"
    # the traceback's lines are errors too (journald reads each line on its own)
    assert lines[3] == "<3>Traceback (most recent call last):" and lines[-1] == "<3>ZeroDivisionError: division by zero"
    assert all(ln.startswith("<3>") for ln in lines[2:])
    assert not any("hidden" in ln or "chatter" in ln for ln in lines)


def test_outside_journald_lines_have_a_timestamp_and_no_priority():
    lines = run()
    assert lines[1].endswith(" WARNING aufruf.test: printer low on paper")
    assert lines[1][:2] == "20" and not lines[1].startswith("<")
