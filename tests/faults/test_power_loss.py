"""Power loss during a commit: kill -9 while the ledger is being written, 50 times.

A writer process issues tickets through the real queue rules and ledger and
prints each number once its commit returned (the moment a reply could be sent).
After every kill the ledger opens, passes `PRAGMA integrity_check`, and holds
every ticket that was reported.
"""

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

WRITER = r"""
import sys
from aufruf import config, protocol
from desk.dispatch import Office
from desk.ledger import Ledger
cfg = config.load(config.EXAMPLE_SITE)
led = Ledger(sys.argv[1])
day = sys.argv[2]                      # a day per run: the writer would use up 999 numbers
office = Office(cfg, day)
office.load(led.tickets(day), led.desks(), [], {})
led.set_day(day)
i = 0
while True:
    i += 1
    out = office.issue("KN"[i % 2], 1_795_600_000_000 + i)
    rid = f"{sys.argv[2]}-{i}"
    t = out.ticket
    reply = protocol.TicketReply(rid, protocol.TicketInfo(t.number, t.service, t.issued_at, t.ahead, t.eta_min))
    led.commit(day, t.issued_at, out, [("aufruf/jc-mitte/kiosk/entrance/ticket", reply, False)],
               ("kiosk/entrance", rid, reply))
    print(f"{day}/{out.ticket.number}", flush=True)
"""


def test_kill_9_while_writing_50_times(tmp_path):
    rng = random.Random(7)
    data = tmp_path / "ledger"
    reported: set[str] = set()
    env = dict(os.environ, PYTHONPATH=str(REPO))
    for run in range(50):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(data), f"run{run}"], cwd=REPO, env=env,
                                stdout=subprocess.PIPE, text=True)
        first = proc.stdout.readline()              # it is writing now
        assert first, "the writer did not start"
        reported.add(first.strip())
        time.sleep(rng.uniform(0.0, 0.05))
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate()
        reported.update(x for x in out.split() if x)
        # a copy of the ledger as it was left, like a disk after the power cut
        copy = tmp_path / f"copy{run}"
        shutil.copytree(data, copy)
        con = sqlite3.connect(copy / "ledger.db")
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        have = {f"{d}/{n}" for d, n in con.execute("SELECT day, number FROM tickets")}
        con.close()
        missing = reported - have
        assert not missing, f"run {run}: committed tickets lost: {sorted(missing)[:5]}"
        shutil.rmtree(copy)
    assert len(reported) > 100
