"""Display speed: call -> frame latency, redraw times, idle CPU and memory of the board.

Runs a real Mosquitto (the test fixture's provisioned one) on a free port and
SDL's dummy video/audio drivers. Prints:

- ``call`` published -> the frame showing it flipped (``display.update``), p50/p99 over N calls
  (the display app in this process, the publisher a plain paho client; goal p99 <= 50 ms);
- a full redraw of 1920x1080 (cold: empty text cache; warm) and partial redraws, in ms;
- CPU of the idle ``aufruf display`` process with the clock ticking (goal < 2 % of one core)
  and its resident memory (goal < 80 MB).

    python benchmarks/display_latency.py [--calls 200] [--idle-s 20] [--site languages]

``--site languages`` runs the eleven-language site (examples/site-languages.toml, fixed
phrases rotating through ten secondary languages) instead of the two-language model site.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

import pygame  # noqa: E402

from aufruf import protocol  # noqa: E402
from aufruf.link import MqttLink  # noqa: E402
from sites import EXAMPLE, Site  # noqa: E402  (the tests' real-broker site)
from display.app import DisplayApp  # noqa: E402

BOARD = {"v": 1, "calls": [{"number": f"K{16 - i:03d}", "desk": str(1 + i % 4), "at": 1_764_000_000_000 - i}
                           for i in range(10)], "waiting": {"K": 5, "N": 2}, "updated_at": 1_764_000_000_000}
QUEUE = {"v": 1, "services": {"K": {"waiting": 5, "eta_min": 12, "open": True},
                              "N": {"waiting": 2, "eta_min": 25, "open": True}}, "updated_at": 1_764_000_000_000}


def pct(values: list[float], p: float) -> float:
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


def latency(site: Site, n: int, gap_s: float = 0.03) -> None:
    cfg = site.cfg
    pygame.display.init()
    pygame.font.init()
    screen = pygame.display.set_mode((1920, 1080))
    app = DisplayApp(cfg, "hall", link_factory=MqttLink, surface=screen, window=True)
    link = app.link
    sent: dict[str, float] = {}
    shown: dict[str, float] = {}

    def on_frame(rects, now):
        cur = app.model.current
        if cur is not None and cur.id in sent and cur.id not in shown:
            shown[cur.id] = time.perf_counter()
    app.on_frame = on_frame
    link.start()
    probe = site.probe()
    probe.wait_ack(probe.publish("board", BOARD, retain=True))
    probe.wait_ack(probe.publish("queue", QUEUE, retain=True))

    def publisher():
        for i in range(n):
            cid = f"bench-{i}"
            body = {"v": 1, "id": cid, "number": f"K{100 + i % 800:03d}", "desk": str(1 + i % 4), "service": "K",
                    "at": int(time.time() * 1000), "recall": False}
            sent[cid] = time.perf_counter()
            probe.publish("call", body)
            time.sleep(gap_s)
    link.wait_connected(5)
    th = threading.Thread(target=publisher, daemon=True)
    th.start()
    deadline = time.monotonic() + n * gap_s + 60
    while (th.is_alive() or len(shown) < n) and time.monotonic() < deadline:
        app.step(0.2)
    link.stop()
    lat = [(shown[k] - sent[k]) * 1000 for k in shown]
    print(f"call -> frame flipped: n={len(lat)}/{n}  p50 {statistics.median(lat):.1f} ms  "
          f"p99 {pct(lat, 99):.1f} ms  max {max(lat):.1f} ms   (goal p99 <= 50 ms)")

    # redraw costs on the same 1920x1080 screen
    r = app.renderer

    def timed(fn, reps=20):
        ts = []
        for _ in range(reps):
            t = time.perf_counter()
            fn()
            ts.append((time.perf_counter() - t) * 1000)
        return statistics.median(ts)

    now = app.clock()
    r.cache = type(r.cache)()
    r.invalidate()
    t = time.perf_counter()
    pygame.display.update(r.draw(app.model, now))
    cold = (time.perf_counter() - t) * 1000

    def full():
        r.invalidate()
        pygame.display.update(r.draw(app.model, now))
    warm = timed(full)
    k = [0]

    def partial_call():
        k[0] += 1
        app.model.apply_call(protocol.CallEvent.from_dict(
            {"v": 1, "id": f"p{k[0]}", "number": f"N{k[0] % 900 + 1:03d}", "desk": "2", "service": "N",
             "at": 1, "recall": False}), now)
        app.model.shown_at = None
        app.model.tick(now)
        pygame.display.update(r.draw(app.model, now))
    part = timed(partial_call)

    def clock_only():
        r._keys.pop("clock", None)
        pygame.display.update(r.draw(app.model, now))
    clk = timed(clock_only)
    print(f"full redraw 1920x1080: cold {cold:.1f} ms, warm (cached text) {warm:.1f} ms;  "
          f"partial: new call {part:.1f} ms, clock {clk:.2f} ms")
    pygame.display.quit()


def idle(site: Site, seconds: float) -> None:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    p = subprocess.Popen([sys.executable, "-m", "aufrufcli", "display", "--config", str(site.config_path), "--id",
                          "hall", "--windowed", "--size", "1920x1080"], cwd=REPO, env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(3)           # start-up, first frame, retained state

        def cpu():
            f = Path(f"/proc/{p.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
        c0, t0 = cpu(), time.monotonic()
        time.sleep(seconds)
        c1, t1 = cpu(), time.monotonic()
        rss = next(int(line.split()[1]) for line in Path(f"/proc/{p.pid}/status").read_text().splitlines()
                   if line.startswith("VmRSS"))
        print(f"idle board (aufruf display, 1920x1080, clock ticking) over {seconds:g} s: "
              f"CPU {100 * (c1 - c0) / (t1 - t0):.2f} % of one core (goal < 2 %), RSS {rss / 1024:.1f} MB (goal < 80 MB)")
    finally:
        p.terminate()
        p.wait(10)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=200)
    ap.add_argument("--idle-s", type=float, default=20.0)
    ap.add_argument("--gap-ms", type=float, default=30.0,
                    help="between two calls (default 30 ms: far more than an office's counters call; "
                         "under a small CPU budget calls that come faster than a frame queue up)")
    ap.add_argument("--site", choices=("model", "languages"), default="model",
                    help="the model site (de, en) or the eleven-language site")
    args = ap.parse_args()
    source = EXAMPLE if args.site == "model" else REPO / "examples" / "site-languages.toml"
    print(f"site: {source.name}")
    with tempfile.TemporaryDirectory() as tmp:
        text = source.read_text(encoding="utf-8").replace('id = "hall"', 'id = "hall"\nmin_call_s = 0')
        site = Site(Path(tmp), text)
        try:
            latency(site, args.calls, args.gap_ms / 1000)
            idle(site, args.idle_s)
        finally:
            site.stop()


if __name__ == "__main__":
    main()
