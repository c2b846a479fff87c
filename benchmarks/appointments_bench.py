"""Appointments: CSV import time and check-in round trip through the real broker and controller.

1. ``aufruf appointments``' import path (parse, check every row, one SQLite
   transaction) for a day of ``--rows`` appointments, then the same file
   again (idempotent: nothing changes).
2. A provisioned Mosquitto and the real ``aufruf desk`` process on loopback;
   a client logged in as the kiosk sends ``--checkins`` check-ins one after
   the other and times each until its answer (request -> broker -> controller
   looks the code up, issues the number, commits ticket, appointment row,
   arrival event and answer in one transaction -> broker -> kiosk).

Prints the figures (goal: check-in p99 <= 100 ms, like a ticket; import of
2,000 rows < 2 s).

    python benchmarks/appointments_bench.py [--rows 2000] [--checkins 200]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from harness import REPO, BenchSite, machine, summary  # noqa: E402

EXTRA = """
[[services]]
key = "B"
name = { de = "Beratung", en = "Counselling" }

[[desks]]
id = "r214"
label = { de = "Raum 2.14", en = "Room 2.14" }
services = ["B"]
floor = "2"
room = "2.14"

[appointments]
series = "T"
"""


def csv_rows(n: int, times: list[str]) -> bytes:
    desks = ["r214", "1", "2"]
    lines = ["time,code,desk,service,note"]
    for i in range(n):
        lines.append(f"{times[i % len(times)]},C{i:06d},{desks[i % 3]},{'B' if i % 3 == 0 else 'K'},")
    return ("\n".join(lines) + "\n").encode()


def bench_import(rows: int) -> None:
    from aufruf import config
    from desk import appointment_book as book
    from desk.ledger import Ledger
    cfg = config.parse((REPO / "examples" / "site.toml").read_text(encoding="utf-8") + EXTRA)
    data = csv_rows(rows, [f"{h:02d}:{m:02d}" for h in range(8, 18) for m in (0, 15, 30, 45)])
    with tempfile.TemporaryDirectory() as d:
        led = Ledger(d)
        try:
            t0 = time.perf_counter()
            plan = book.parse_and_import(led.db, cfg, data, "2026-12-02", 1, "bench.csv")
            first = time.perf_counter() - t0
            t0 = time.perf_counter()
            again = book.parse_and_import(led.db, cfg, data, "2026-12-02", 2, "bench.csv")
            second = time.perf_counter() - t0
        finally:
            led.close()
    assert len(plan.added) == rows and len(again.unchanged) == rows
    print(f"import of {rows} rows ({len(data) // 1024} KiB): {first * 1000:.0f} ms; the same file again "
          f"(nothing changes): {second * 1000:.0f} ms  (goal 2,000 rows < 2 s: "
          f"{'met' if first * 2000 / rows < 2 else 'MISSED'})")


def bench_checkin(n: int) -> None:
    from aufruf import protocol
    from aufruf.link import MqttLink, ephemeral_client_id
    from desk import appointment_book as book
    from desk.ledger import Ledger
    site = BenchSite((REPO / "examples" / "site.toml").read_text(encoding="utf-8") + EXTRA)
    try:
        now = dt.datetime.now(site.cfg.tz)
        if not dt.time(3, 40) <= now.time() <= dt.time(23, 40):
            print("check-in: skipped (too close to the day boundary for appointments of today)")
            return
        day = site.cfg.service_day(int(time.time() * 1000))
        led = Ledger(site.data)
        book.parse_and_import(led.db, site.cfg, csv_rows(n, [now.strftime("%H:%M")]), day, 1, "bench.csv")
        led.close()
        site.start("desk", "--id", "main", "--data", str(site.data), "--no-keypads")
        t = protocol.Topics(site.cfg.site_id)
        answers: dict[str, float] = {}
        cond = threading.Condition()

        def handler(topic: str, payload: bytes, retained: bool) -> None:
            obj = protocol.decode(payload)
            with cond:
                answers[obj.get("id")] = time.perf_counter()
                cond.notify_all()
        link = MqttLink(site.cfg.broker, site.cfg.site_id, "kiosk", "entrance", subscriptions=(t.ticket("entrance"),),
                        handler=handler, publish_status=False, client_id=ephemeral_client_id("kiosk-entrance"))
        link.start()
        try:
            if not link.wait_connected(10):
                raise SystemExit("no broker")
            # the controller is up once it answers (a warm-up check-in of an unknown code)
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and "warm" not in answers:
                link.publish(t.request("entrance"), protocol.CheckinRequest("warm", "NOPE0000"))
                with cond:
                    cond.wait_for(lambda: "warm" in answers, 1.0)
            ms = []
            for i in range(n):
                rid = f"b-{uuid.uuid4().hex[:10]}"
                t0 = time.perf_counter()
                link.publish(t.request("entrance"), protocol.CheckinRequest(rid, f"C{i:06d}"))
                with cond:
                    if not cond.wait_for(lambda: rid in answers, 10):
                        raise SystemExit(f"no answer to check-in {i}")
                ms.append((answers[rid] - t0) * 1000)
            print(summary("check-in round trip (kiosk -> controller commit -> kiosk)", ms, goal_p99=100))
            base = []                     # the same path for a plain ticket, as a yardstick on this machine now
            for i in range(n):
                rid = f"k-{uuid.uuid4().hex[:10]}"
                t0 = time.perf_counter()
                link.publish(t.request("entrance"), protocol.TicketRequest(rid, "K"))
                with cond:
                    if not cond.wait_for(lambda: rid in answers, 10):
                        raise SystemExit(f"no answer to ticket request {i}")
                base.append((answers[rid] - t0) * 1000)
            print(summary("ticket round trip, same run (yardstick)", base))
        finally:
            link.stop(mark_offline=False)
    finally:
        site.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=2000, help="appointments in the imported file (default 2000)")
    ap.add_argument("--checkins", type=int, default=200, help="check-ins to time (default 200)")
    args = ap.parse_args()
    print(machine())
    bench_import(args.rows)
    bench_checkin(args.checkins)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
