"""The ledger audit every fault test ends with.

- every ticket issued has exactly one row, and every request id exactly one number;
- every call the board shows is in the ledger;
- no number was issued twice in a service day;
- every printed ticket can still be called or has a final state (a printed
  ticket is never void).
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from pathlib import Path

STATES = {"waiting", "called", "done", "noshow", "void", "expired"}


def audit(data_dir: Path, board: dict | None = None, answers: dict[str, str] | None = None,
          printed: set[str] = frozenset()) -> dict:
    """Check the ledger; ``answers`` maps request ids to the numbers their replies carried."""
    con = sqlite3.connect(f"file:{Path(data_dir) / 'ledger.db'}?mode=ro", uri=True)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = con.execute("SELECT day, number, state, kiosk, request_id FROM tickets").fetchall()
        per_number = Counter((d, n) for d, n, *_ in rows)
        assert all(c == 1 for c in per_number.values()), "a number has two rows"
        per_request = Counter((d, k, r) for d, _, _, k, r in rows if r)
        dup = [k for k, c in per_request.items() if c > 1]
        assert not dup, f"one request got several numbers: {dup[:5]}"
        assert all(s in STATES for _, _, s, _, _ in rows)
        day = con.execute("SELECT value FROM meta WHERE key='day'").fetchone()[0]
        today = {n: (s, r) for d, n, s, _, r in rows if d == day}
        if answers:
            by_request = {r: n for n, (s, r) in today.items() if r}
            for rid, number in answers.items():
                assert by_request.get(rid) == number, f"request {rid} was answered {number}, ledger has " \
                                                      f"{by_request.get(rid)}"
        if board:
            calls = set(con.execute("SELECT number, desk FROM events WHERE day=? AND kind IN ('call','recall')",
                                    [day]).fetchall())
            for c in board["calls"]:
                assert (c["number"], c["desk"]) in calls, f"the board shows {c} but the ledger has no such call"
        for number in printed:
            assert number in today, f"printed ticket {number} is not in the ledger"
            assert today[number][0] != "void", f"printed ticket {number} was voided"
        return {"tickets": len(rows), "today": len(today)}
    finally:
        con.close()
