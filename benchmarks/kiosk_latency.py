"""Kiosk speed: button press -> last ESC/POS byte handed to the printer, through the real broker and controller.

A provisioned Mosquitto and the real `aufruf desk` process run on loopback.
The kiosk runs in a child process of its own (so its memory is measured alone)
with gpiozero's MockFactory pins and a python-escpos Dummy printer: the child
presses the K and N buttons in turn (mock pin ``drive_low``), and times each
press until the printer object received the last byte of the ticket
(request -> broker -> controller commits the ticket to SQLite -> broker ->
kiosk renders and prints). It then reports its resident memory.

Prints p50/p99/max (goal p99 <= 100 ms) and the kiosk's RSS (goal < 40 MB).

    python benchmarks/kiosk_latency.py [--presses 200]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

# the child (the measured kiosk) imports only what a kiosk has; the harness is for the parent
from cpu_budget import slow  # noqa: E402

REPO = HERE.parent


def child(config_path: str, presses: int) -> None:
    """The kiosk process: press, wait for the printed ticket, repeat; print figures as JSON."""
    sys.path.insert(0, str(REPO))
    from kiosk import printer_db
    printer_db.load()  # first, as `aufruf kiosk` does: the printer database kept by an earlier start
    from escpos.printer import Dummy
    from gpiozero.pins.mock import MockFactory

    from aufruf import config
    from kiosk.kiosk import TicketKiosk
    from kiosk.printer import PrinterPort

    class TimedDummy(Dummy):
        """Dummy printer that notes when a ticket's last byte arrived (the cut ends every ticket)."""

        def __init__(self) -> None:
            super().__init__()
            self.done = threading.Event()
            self.at = 0.0

        def _raw(self, msg: bytes) -> None:
            super()._raw(msg)
            if msg.endswith(b"\x1dVB\x00"):
                self.at = time.perf_counter()
                self.done.set()

        def clear(self) -> None:
            self._output_list = []

    cfg = config.load(config_path)
    pins = MockFactory()
    printer = TimedDummy()
    kiosk = TicketKiosk(cfg, "entrance", printer=PrinterPort.of(printer), pin_factory=pins)
    kiosk.start()
    if not kiosk.link.wait_connected(slow(10)) or not kiosk.wait_ready(slow(10)):
        raise SystemExit("kiosk did not come up")
    pin_of = {b.service: b.pin for b in cfg.kiosk("entrance").buttons}
    services = list(pin_of)
    ms: list[float] = []
    for i in range(presses + 5):
        pin = pins.pin(pin_of[services[i % len(services)]])
        printer.done.clear()
        printer.clear()
        t0 = time.perf_counter()
        pin.drive_low()
        if not printer.done.wait(slow(5)):
            raise SystemExit(f"press {i}: no ticket within {slow(5):g} s")
        if i >= 5:                                  # the first few warm up imports and caches
            ms.append((printer.at - t0) * 1000)
        pin.drive_high()
        time.sleep(0.06)                            # released longer than the debounce time
    status = Path("/proc/self/status").read_text().splitlines()
    mem = {k: int(v.split()[0]) / 1024 for k, v in (line.split(":", 1) for line in status)
           if k in ("VmRSS", "VmHWM")}
    kiosk.stop()
    print(json.dumps({"ms": ms, "rss_mb": mem["VmRSS"], "peak_mb": mem["VmHWM"]}))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--presses", type=int, default=200)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.presses)
        return 0
    from harness import BenchSite, machine, summary
    text = (REPO / "examples" / "site.toml").read_text(encoding="utf-8")
    text = text.replace("min_gap_s = 2.0", "min_gap_s = 0.0")      # the bench presses far faster than people
    site = BenchSite(text)
    try:
        desk = site.start("desk", "--id", "main", "--data", str(site.data), "--no-keypads")
        time.sleep(slow(0.5))
        if desk.poll() is not None:
            print("the desk controller did not start", file=sys.stderr)
            return 1
        # the kiosk unit's CacheDirectory=, where the printer database is kept once a first start
        # has parsed it (kiosk/printer_db.py): measured is every start after that one
        env = dict(os.environ, PYTHONPATH=str(REPO), GPIOZERO_PIN_FACTORY="mock",
                   CACHE_DIRECTORY=str(site.root / "cache"))
        subprocess.run([sys.executable, "-c", "from kiosk import printer_db; printer_db.load()"], cwd=REPO, env=env,
                       check=True, timeout=slow(60))
        r = subprocess.run([sys.executable, __file__, "--child", str(site.config_path),
                            "--presses", str(args.presses)], cwd=REPO, env=env, capture_output=True, text=True,
                           timeout=slow(600))
        if r.returncode != 0:
            print(r.stderr[-2000:], file=sys.stderr)
            return 1
        res = json.loads(r.stdout.strip().splitlines()[-1])
        print(machine())
        print(summary("press -> last ESC/POS byte (broker + controller + print)", res["ms"], goal_p99=100))
        ok = "met" if res["peak_mb"] < 40 else "MISSED"
        print(f"kiosk RSS: {res['rss_mb']:.1f} MB after {args.presses} tickets, peak {res['peak_mb']:.1f} MB "
              f"(goal < 40 MB: {ok})")
        return 0
    finally:
        site.close()


if __name__ == "__main__":
    sys.exit(main())
