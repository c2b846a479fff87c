"""Desk controller speed through a real Mosquitto on loopback.

Prints: desk command -> `call` and `board` at another client (p50/p99, goal
p99 <= 10 ms); kiosk request -> ticket reply (goal p99 <= 10 ms); sustained
tickets + calls per second (QoS 1, fsync) next to the raw ceiling of the same
broker and SQLite (an echo process that commits one row per message and
replies), as a ratio (goal >= 0.5); controller and Mosquitto RSS (controller
goal < 40 MB); and how the latency grows from 1 to 20 desks and from 10 to 5,000 waiting tickets.

    python benchmarks/desk_bench.py [--quick]
    python benchmarks/desk_bench.py --server-budget 25 [--quick]

``--server-budget`` measures the two latencies only, with the controller Pi's
processes under a CPU quota: back to back, and paced at a ticket and a call
every 100 ms.
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import threading
import time
import uuid

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from cpu_budget import CpuBudget, budget_percent
from harness import REPO, BenchSite, machine, pct, rss_mb, slow, summary


class Client:
    """A plain paho client that records arrival times per topic and payload id."""

    def __init__(self, site: BenchSite, user: str, subs: tuple[str, ...]):
        self.root = f"aufruf/{site.cfg.site_id}/"
        self.cond = threading.Condition()
        self.seen: dict[tuple[str, str], tuple[float, dict]] = {}
        self.count = 0
        self.on_reply = None
        c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-{uuid.uuid4().hex[:6]}",
                        protocol=MQTTProtocolVersion.MQTTv5)
        c.username_pw_set(user, site.password(user))
        c.on_socket_open = lambda cl, u, s: s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        c.on_message = self._msg
        ready = threading.Event()
        c.on_connect = lambda cl, u, f, rc, p: ([cl.subscribe(self.root + s, qos=1) for s in subs], ready.set())
        c.on_subscribe = lambda *a: None
        c.connect("127.0.0.1", site.port)
        c.loop_start()
        ready.wait(slow(5))
        time.sleep(0.2)
        self.c = c

    def _msg(self, client, userdata, msg):
        now = time.perf_counter()
        try:
            body = json.loads(msg.payload)
        except ValueError:
            return
        topic = msg.topic[len(self.root):]
        key = (topic, str(body.get("id") or (body.get("calls") or [{}])[0].get("number")))
        with self.cond:
            self.seen[key] = (now, body)
            self.count += 1
            self.cond.notify_all()
        if self.on_reply is not None and topic.endswith(("ticket", "reply")):
            self.on_reply(body)

    def pub(self, topic: str, body: dict) -> float:
        t = time.perf_counter()
        self.c.publish(self.root + topic, json.dumps(body), qos=1)
        return t

    def wait(self, keys: list[tuple[str, str]], timeout: float = 5.0) -> float:
        """Until every key has arrived (``timeout`` s on the x86 core, grown with a CPU budget)."""
        with self.cond:
            ok = self.cond.wait_for(lambda: all(k in self.seen for k in keys), slow(timeout))
            if not ok:
                raise TimeoutError(f"missing {[k for k in keys if k not in self.seen]}")
            return max(self.seen[k][0] for k in keys)

    def close(self):
        self.c.disconnect()
        self.c.loop_stop()


def site_text(desks: int) -> str:
    text = (REPO / "examples" / "site.toml").read_text(encoding="utf-8")
    if desks == 4:
        return text
    head, rest = text.split("[[desks]]", 1)
    tail = rest[rest.index("[[kiosks]]"):]
    body = "".join(f'[[desks]]\nid = "{i}"\nlabel = "Schalter {i}"\nservices = ["K", "N"]\n\n'
                   for i in range(1, desks + 1))
    return head + body + tail.replace('desk = "1"', 'desk = "1"')


FILL_WINDOW = 200
# under --server-budget also a paced run: a ticket and a call every PACE_MS. Back to back, the
# rounds keep a quota-limited core busy all the time and each waits for the one before (the
# throughput run measures that); an office's Pi answers a command from idle
PACE_MS = 100
WARMUP = 20  # first round trips (connection set-up, first WAL writes) are not the steady state


def wait_controller(site: BenchSite, timeout: float = 15.0) -> None:
    """Until the controller answers a harmless request (an unknown desk's command)."""
    probe = Client(site, "staff-info", ("desk/+/reply",))
    deadline = time.monotonic() + slow(timeout)
    try:
        while time.monotonic() < deadline:
            cid = uuid.uuid4().hex
            probe.pub("desk/zz/command", {"v": 1, "id": cid, "action": "next"})
            try:
                probe.wait([("desk/zz/reply", cid)], 0.5)
                return
            except TimeoutError:
                continue
        raise TimeoutError("the controller did not start")
    finally:
        probe.close()


def latency_run(desks: int, waiting: int, n: int, server_budget: float | None = None, gap_s: float = 0.0) -> dict:
    """Latencies with `desks` desks and `waiting` tickets in the line.

    ``server_budget``: only the controller Pi's processes (Mosquitto, ``aufruf desk``) under a CPU
    quota; the clients stand for the kiosk, display and staff machines and stay outside it.
    ``gap_s``: a pause before each round (a ticket request, then a ``next``).
    """
    site = BenchSite(site_text(desks))
    budget = None
    try:
        ctl = site.start("desk", "--data", str(site.data), "--no-keypads")
        if server_budget:
            budget = CpuBudget(server_budget)
            budget.add(site.broker.pid)
            budget.add(ctl.pid)
        kiosk = Client(site, "kiosk-entrance", ("kiosk/entrance/ticket",))
        display = Client(site, "display-hall", ("call", "board"))
        staff = Client(site, "staff-info", ("desk/+/reply", "kiosk/info/ticket"))
        wait_controller(site)
        # fill the line: info-desk tickets, 200 in flight at a time (the broker queues at most
        # 1,000 messages for a client, so a 5,000-message burst would lose replies)
        for start in range(0, waiting, FILL_WINDOW):
            ids = [f"fill{i}" for i in range(start, min(waiting, start + FILL_WINDOW))]
            for rid in ids:
                staff.pub("kiosk/info/request", {"v": 1, "id": rid, "service": "K"})
            staff.wait([("kiosk/info/ticket", rid) for rid in ids], 60)
        req_ms, call_ms = [], []
        for i in range(n + WARMUP):
            if gap_s:
                time.sleep(gap_s)
            if i == WARMUP:
                req_ms.clear()
                call_ms.clear()
            rid = f"r{i}"
            t0 = kiosk.pub("kiosk/entrance/request", {"v": 1, "id": rid, "service": "K"})
            t1 = kiosk.wait([("kiosk/entrance/ticket", rid)])
            req_ms.append((t1 - t0) * 1000)
            desk = str(1 + i % desks)
            keypad = staff
            cid = f"c{i}"
            t0 = keypad.pub(f"desk/{desk}/command", {"v": 1, "id": cid, "action": "next"})
            reply = keypad.wait([(f"desk/{desk}/reply", cid)])
            number = keypad.seen[(f"desk/{desk}/reply", cid)][1]["ticket"]
            t1 = display.wait([("board", number)])
            with display.cond:
                call_t = next(t for (tp, _), (t, b) in display.seen.items() if tp == "call" and b["number"] == number)
            call_ms.append((max(t1, call_t, reply) - t0) * 1000)
        rss, broker_rss = rss_mb(ctl.pid), rss_mb(site.broker.pid)
        for c in (kiosk, display, staff):
            c.close()
        return {"req": req_ms, "call": call_ms, "rss": rss, "broker_rss": broker_rss}
    finally:
        site.close()
        if budget is not None:
            budget.close()


def throughput(site: BenchSite, seconds: float, window: int, mixed: bool) -> float:
    """Operations answered per second with `window` requests in flight (tickets, and calls if mixed).

    Counts the answers that arrive within `seconds` after the first request; the backlog for
    `next` is filled before the clock starts, and before each answer starts the next request.
    """
    staff = Client(site, "staff-info", ("desk/+/reply", "kiosk/info/ticket"))
    if mixed:  # a backlog so `next` always finds someone
        for i in range(300):
            staff.pub("kiosk/info/request", {"v": 1, "id": f"pre{i}", "service": "K"})
        staff.wait([("kiosk/info/ticket", "pre299")], 30)
    lock = threading.Lock()
    seq, done, in_window = [0], [0], [0]
    finished = threading.Event()

    def send():
        with lock:
            seq[0] += 1
            i = seq[0]
        if mixed and i % 2 == 0:
            staff.pub(f"desk/{1 + (i // 2) % 4}/command", {"v": 1, "id": f"t{i}", "action": "next"})
        else:
            staff.pub("kiosk/info/request", {"v": 1, "id": f"t{i}", "service": "K"})

    def on_reply(body):
        done[0] += 1
        if time.perf_counter() < stop:
            in_window[0] += 1
            send()
        elif done[0] >= seq[0]:
            finished.set()
    t0 = time.perf_counter()
    stop = t0 + seconds
    staff.on_reply = on_reply
    for _ in range(window):
        send()
    if not finished.wait(seconds + slow(10)):
        print(f"  ({seq[0] - done[0]} of {seq[0]} requests got no answer)", file=sys.stderr)
    staff.close()
    return in_window[0] / seconds


ECHO = r'''
import json, socket, sqlite3, sys, time
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
port, password, db, site = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
con = sqlite3.connect(db, isolation_level=None)
con.execute("PRAGMA journal_mode=WAL"); con.execute("PRAGMA synchronous=FULL")
con.execute("CREATE TABLE IF NOT EXISTS t (id TEXT PRIMARY KEY, body TEXT)")
c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="echo", protocol=MQTTProtocolVersion.MQTTv5)
c.username_pw_set("controller-main", password)
c.on_socket_open = lambda cl, u, s: s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
root = f"aufruf/{site}/"
def on_message(cl, u, m):
    body = json.loads(m.payload)
    con.execute("BEGIN"); con.execute("INSERT OR REPLACE INTO t VALUES (?, ?)", (body["id"], m.payload)); con.execute("COMMIT")
    topic = root + "kiosk/info/ticket" if m.topic.endswith("request") else m.topic.rsplit("/", 1)[0] + "/reply"
    cl.publish(topic, json.dumps({"v": 1, "id": body["id"], "ok": True}), qos=1)
c.on_message = on_message
c.on_connect = lambda cl, u, f, rc, p: (cl.subscribe(root + "kiosk/+/request", qos=1), cl.subscribe(root + "desk/+/command", qos=1))
c.connect("127.0.0.1", port)
c.loop_forever()
'''


ROUNDS = 2


def controller_rate(seconds: float, window: int) -> float:
    """Tickets + calls per second answered by the real `aufruf desk` process."""
    site = BenchSite()
    try:
        site.start("desk", "--data", str(site.data), "--no-keypads")
        wait_controller(site)
        return throughput(site, seconds, window, mixed=True)
    finally:
        site.close()


def ceiling(seconds: float, window: int) -> float:
    """The same load answered by an echo process that commits each message on its own (no group commit)."""
    site = BenchSite()
    try:
        site.data.mkdir(parents=True, exist_ok=True)
        p = subprocess.Popen([sys.executable, "-c", ECHO, str(site.port), site.password("controller-main"),
                              str(site.data / "echo.db"), site.cfg.site_id])
        site.procs.append(p)
        time.sleep(1.0)
        return throughput(site, seconds, window, mixed=True)
    finally:
        site.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer samples (a smoke run)")
    ap.add_argument("--server-budget", type=float, metavar="PERCENT",
                    help="only the latencies, with Mosquitto and the controller (the controller Pi) under a "
                         "CPU quota of PERCENT %% of one core and the clients outside it (root, cgroups)")
    args = ap.parse_args()
    n = 100 if args.quick else 500
    secs = 2.0 if args.quick else 5.0
    print(f"machine: {machine()}")
    if args.server_budget:
        why = CpuBudget.unavailable(args.server_budget)
        if why:
            print(f"cpu budget: {why}", file=sys.stderr)
            return 3
        print(f"cpu budget for Mosquitto and the controller only: {args.server_budget:g} % of one core")
        for gap_ms, what in ((0, "back to back (the Pi's core saturated)"),
                             (PACE_MS, f"a ticket and a call every {PACE_MS} ms (still ~100 x a busy office)")):
            base = latency_run(4, 0, n, args.server_budget, gap_ms / 1000)
            print(f"{what}:")
            print("  " + summary("kiosk request -> ticket reply", base["req"]))  # the 10 ms goal is the x86 core's
            print("  " + summary("desk command -> call + board at another client", base["call"], 20))
            print(f"  controller RSS after the run: {base['rss']:.1f} MB")
        return 0
    base = latency_run(4, 0, n)
    # the goals: 10 ms on the x86 core; on a Pi-class core (a 25 % budget) 20 ms for a command
    print(summary("kiosk request -> ticket reply", base["req"], None if budget_percent() else 10))
    print(summary("desk command -> call + board at another client", base["call"], 20 if budget_percent() else 10))
    print(f"controller RSS after the run: {base['rss']:.1f} MB (goal < 40 MB: "
          f"{'met' if base['rss'] < 40 else 'MISSED'}); Mosquitto RSS: {base['broker_rss']:.1f} MB")

    # throughput is what a busy machine disturbs most: alternate the two runs and keep the best of each
    ctl_rates, raw_rates = [], []
    for _ in range(ROUNDS):
        ctl_rates.append(controller_rate(secs, 32))
        raw_rates.append(ceiling(secs, 32))
    ctl_rate, raw = max(ctl_rates), max(raw_rates)
    ratio = ctl_rate / raw
    print(f"sustained tickets+calls (32 in flight, QoS 1, fsync), best of {ROUNDS}: controller {ctl_rate:.0f}/s "
          f"(runs: {', '.join(f'{r:.0f}' for r in ctl_rates)}); ceiling = broker round trip + one SQLite "
          f"commit per message: {raw:.0f}/s (runs: {', '.join(f'{r:.0f}' for r in raw_rates)}); "
          f"ratio {ratio:.2f} (goal >= 0.5: {'met' if ratio >= 0.5 else 'MISSED'})")

    print("scaling (p99 of desk command -> call + board, kiosk request -> reply):")
    for desks, waiting in ((1, 10), (20, 10), (4, 10), (4, 5000)):
        r = latency_run(desks, waiting, max(50, n // 5))
        print(f"  {desks:2d} desks, {waiting:4d} waiting: call p99 {pct(r['call'], 99):.2f} ms, "
              f"request p99 {pct(r['req'], 99):.2f} ms, controller RSS {r['rss']:.1f} MB, "
              f"Mosquitto RSS {r['broker_rss']:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
