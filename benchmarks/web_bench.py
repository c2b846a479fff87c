"""aufruf web under 500 browsers: call -> event at the last of 500 pages, memory, idle CPU.

Starts a real Mosquitto (provisioned) and a real ``aufruf web`` process on loopback,
connects N simulated browsers (plain HTTP clients reading the board's event stream,
as a browser's EventSource does), then:

- publishes N_CALLS ``call`` events as the controller would (QoS 1) and times, for
  each call, publish -> the event read by every one of the pages; reports p50/p99
  over the calls of the LAST page to get it (goal p99 <= 100 ms), and over all pages;
- the server's resident memory with the pages connected (goal < 60 MB);
- the server's CPU over IDLE_S seconds with every page connected and nothing
  happening but the 4-second keep-alive ticks (goal < 1 % of one core).

The simulated browsers run in this process, on the same 2 cores as the server and
the broker, so the figures include their share of the machine. The timing loop
waits for a future that the last page's arrival completes (no polling).

``--server-budget 25`` puts the broker and ``aufruf web`` (the Pi's part) under a CPU
quota of 25 % of one core (``cpu_budget.py``); the simulated browsers, which stand
for the customers' phones, stay outside it. ``run_all.py --cpu-budget`` runs this
benchmark that way.

The counter panel part (see :func:`panel_bench`): press -> ``call`` at another MQTT client
(goal p99 <= 50 ms) and the memory of 50 signed-in sessions (goal < 20 MB).

    python benchmarks/web_bench.py [--clients 500] [--calls 100] [--idle-s 30]
                                   [--presses 200] [--panel-sessions 50] [--only board|panel]
                                   [--server-budget PERCENT]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
import uuid

from cpu_budget import CpuBudget
from harness import BenchSite, cpu_seconds, free_port, machine, pct, rss_mb

import aiohttp
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion


class Arrivals:
    """When each call's id reached each page, and a future per call that is done when the
    last of the pages has it: the timing loop waits for that, it does not poll the pages."""

    def __init__(self, pages: int) -> None:
        self.pages = pages
        self.times: dict[str, list[float]] = {}
        self.done: dict[str, asyncio.Future] = {}

    def expect(self, cid: str) -> asyncio.Future:
        self.times[cid] = []
        self.done[cid] = fut = asyncio.get_running_loop().create_future()
        return fut

    def seen(self, cid: str, at: float) -> None:
        got = self.times.get(cid)
        if got is None:
            return
        got.append(at)
        if len(got) == self.pages and not self.done[cid].done():
            self.done[cid].set_result(None)


class Page(asyncio.Protocol):
    """One simulated browser on ``/events`` (a plain HTTP/1.1 GET, read as it comes): when did
    each call's id arrive. A protocol, not a task per page, so the clients cost little."""

    def __init__(self, arrivals: Arrivals) -> None:
        self.arrivals = arrivals
        self.ready = asyncio.Event()
        self.buf = b""

    def connection_made(self, transport) -> None:
        transport.write(b"GET /events HTTP/1.1\r\nHost: bench\r\nAccept: text/event-stream\r\n\r\n")

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()
        self.buf += data
        while b"\r\n\r\n" in self.buf:
            ev, self.buf = self.buf.split(b"\r\n\r\n", 1)
            i = ev.find(b"event: ")
            if ev.startswith(b"event: call", i):
                self.arrivals.seen(ev.split(b'"id":"', 1)[1].split(b'"', 1)[0].decode(), now)
            elif ev.startswith(b"event: board", i):
                self.ready.set()


async def bench(args: argparse.Namespace) -> int:
    port = free_port()
    text = (BenchSite.example_text() +
            f'\n[[webs]]\nid = "bench"\nlisten = "127.0.0.1:{port}"\npublic_url = "http://127.0.0.1:{port}"\n'
            f'max_clients = {args.clients + 100}\n')
    site = BenchSite(text)
    budget = None
    try:
        proc = site.start("web", "--id", "bench")
        slow = 1.0
        if args.server_budget:
            # the Pi's part (the broker and aufruf web) under the quota; the 500 browsers are
            # phones and PCs of their own, so they stay outside it
            budget = CpuBudget(args.server_budget)
            budget.add(site.broker.pid)
            budget.add(proc.pid)
            slow = 100 / args.server_budget
            print(f"cpu budget for the broker and aufruf web: {budget.describe()}", flush=True)
        deadline = time.monotonic() + 60 * slow
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
            while True:
                try:
                    async with session.get(f"http://127.0.0.1:{port}/healthz") as r:
                        if r.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                if time.monotonic() > deadline:
                    print("aufruf web did not come up", file=sys.stderr)
                    return 1
                await asyncio.sleep(0.1)
            arrivals = Arrivals(args.clients)
            pages = [Page(arrivals) for _ in range(args.clients)]
            loop = asyncio.get_running_loop()
            conns = [await loop.create_connection(lambda p=p: p, "127.0.0.1", port) for p in pages]
            await asyncio.wait_for(asyncio.gather(*(p.ready.wait() for p in pages)), 60 * slow)
            rss_connected = rss_mb(proc.pid)
            print(f"{args.clients} pages connected; aufruf web RSS {rss_connected:.1f} MB "
                  f"(goal < 60 MB: {'met' if rss_connected < 60 else 'MISSED'})", flush=True)

            pub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-{uuid.uuid4().hex[:6]}",
                              protocol=MQTTProtocolVersion.MQTTv5)
            pub.username_pw_set("controller-main", site.password("controller-main"))
            pub.on_socket_open = lambda c, u, s: s.setsockopt(6, 1, 1)  # TCP_NODELAY
            pub.connect("127.0.0.1", site.port)
            pub.loop_start()
            topic = f"aufruf/{site.cfg.site_id}/call"
            last_ms, all_ms = [], []
            cpu0 = cpu_seconds(proc.pid)
            for i in range(args.calls):
                cid = f"bench-{i}"
                body = {"v": 1, "id": cid, "number": f"K{i % 999 + 1:03d}", "desk": str(1 + i % 4),
                        "service": "K", "at": int(time.time() * 1000), "recall": False}
                everyone = arrivals.expect(cid)
                t0 = time.perf_counter()
                pub.publish(topic, json.dumps(body), qos=1)
                try:
                    await asyncio.wait_for(asyncio.shield(everyone), 5 * slow)
                except asyncio.TimeoutError:
                    pass
                got = [t - t0 for t in arrivals.times.pop(cid)]
                if len(got) < len(pages):
                    print(f"call {i}: only {len(got)} of {len(pages)} pages got it within {5 * slow:.0f} s", file=sys.stderr)
                all_ms += [g * 1000 for g in got]
                last_ms.append(max(got) * 1000 if got else 5000.0 * slow)
                await asyncio.sleep(args.gap_ms / 1000)
            cpu_calls = cpu_seconds(proc.pid) - cpu0
            pub.loop_stop()
            pub.disconnect()
            rss_after = rss_mb(proc.pid)
            print(f"call -> event at the LAST of {args.clients} pages: n={len(last_ms)} "
                  f"p50={pct(last_ms, 50):.1f} ms p99={pct(last_ms, 99):.1f} ms max={max(last_ms):.1f} ms  "
                  f"(goal p99 <= 100 ms: {'met' if pct(last_ms, 99) <= 100 else 'MISSED'})")
            print(f"call -> event at any page: n={len(all_ms)} p50={pct(all_ms, 50):.1f} ms "
                  f"p99={pct(all_ms, 99):.1f} ms")
            print(f"aufruf web RSS after the calls: {rss_after:.1f} MB")
            print(f"aufruf web CPU per call to {args.clients} pages: {cpu_calls / args.calls * 1000:.1f} ms "
                  f"(incl. the ticks; the machine's load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")

            await asyncio.sleep(2)
            c0, t0 = cpu_seconds(proc.pid), time.monotonic()
            await asyncio.sleep(args.idle_s)
            share = (cpu_seconds(proc.pid) - c0) / (time.monotonic() - t0) * 100
            print(f"idle CPU with {args.clients} idle pages over {args.idle_s:.0f} s: {share:.2f} % of one core "
                  f"(goal < 1 %: {'met' if share < 1 else 'MISSED'})")
            for transport, _ in conns:
                transport.close()
            if budget is not None:
                n, secs = budget.throttled()
                print(f"cpu budget: the broker and aufruf web were throttled {n} times, {secs:.1f} s in all")
        return 0
    finally:
        site.close()
        if budget is not None:
            budget.close()


async def panel_bench(args: argparse.Namespace) -> int:
    """The counter panel: press -> ``call`` at another MQTT client, and the memory of signed-in sessions.

    A real desk controller and ``aufruf web`` process; ``--presses`` tickets are issued, then one
    signed-in panel presses "next" (the same POST its button sends) that often and the time from
    the request to the ``call`` at a separate MQTT client (the display's login) is taken (goal p99
    <= 50 ms). Then ``--panel-sessions`` sessions sign in (each its own broker login, as the
    counter's panel user) and open the panel's event stream; their RSS added to the server's
    is the figure (goal < 20 MB for 50).
    """
    port = free_port()
    text = (BenchSite.example_text() +
            f'\n[[webs]]\nid = "bench"\nlisten = "127.0.0.1:{port}"\npublic_url = "http://127.0.0.1:{port}"\n')
    site = BenchSite(text)
    base = f"http://127.0.0.1:{port}"
    budget = None
    try:
        desk = site.start("desk", "--id", "main", "--data", str(site.data), "--no-keypads")
        proc = site.start("web", "--id", "bench")
        if args.server_budget:  # the office's Pi: broker, controller and aufruf web; not the staff's PCs
            budget = CpuBudget(args.server_budget)
            for pid in (site.broker.pid, desk.pid, proc.pid):
                budget.add(pid)
            print(f"cpu budget for the broker, the controller and aufruf web: {budget.describe()}", flush=True)
        watcher = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-{uuid.uuid4().hex[:6]}",
                              protocol=MQTTProtocolVersion.MQTTv5)
        watcher.username_pw_set("display-hall", site.password("display-hall"))
        watcher.on_socket_open = lambda c, u, s: s.setsockopt(6, 1, 1)  # TCP_NODELAY
        calls: dict[str, float] = {}
        issued: list[str] = []
        root = f"aufruf/{site.cfg.site_id}/"

        def on_message(c, u, msg):
            body = json.loads(msg.payload)
            if msg.topic == root + "call":
                calls[body["number"]] = time.perf_counter()
        watcher.on_message = on_message
        watcher.on_connect = lambda c, u, f, rc, p: c.subscribe(root + "call", qos=1)
        watcher.connect("127.0.0.1", site.port)
        watcher.loop_start()
        info = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-{uuid.uuid4().hex[:6]}",
                           protocol=MQTTProtocolVersion.MQTTv5)
        info.username_pw_set("staff-info", site.password("staff-info"))
        info.on_message = lambda c, u, msg: issued.append(json.loads(msg.payload)["ticket"]["number"])
        info.on_connect = lambda c, u, f, rc, p: c.subscribe(root + "kiosk/info/ticket", qos=1)
        info.connect("127.0.0.1", site.port)
        info.loop_start()

        async def signed_in(http: aiohttp.ClientSession, desk: str) -> str:
            """Sign in as the counter's panel user; the session's CSRF token from its page."""
            async with http.post(base + "/desk/signin", data={"desk": desk, "password": site.password(f"panel-{desk}")},
                                 headers={"Origin": base}, allow_redirects=False) as r:
                if r.status != 303:
                    raise RuntimeError(f"sign-in for desk {desk}: HTTP {r.status}")
            async with http.get(base + "/desk") as r:
                page = await r.text()
            start = page.index('id="data">') + len('id="data">')
            return json.loads(page[start:page.index("</script>", start)])["csrf"]

        slow = 100 / args.server_budget if args.server_budget else 1.0
        deadline = time.monotonic() + 20 * slow
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            while True:
                try:
                    async with http.get(base + "/healthz") as r:
                        if r.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                if time.monotonic() > deadline:
                    print("aufruf web did not come up", file=sys.stderr)
                    return 1
                await asyncio.sleep(0.1)
            rss_before = rss_mb(proc.pid)
            for i in range(args.presses):
                info.publish(root + "kiosk/info/request",
                             json.dumps({"v": 1, "id": f"bench-{i}", "service": "K"}), qos=1)
            while len(issued) < args.presses and time.monotonic() < deadline + 30 * slow:
                await asyncio.sleep(0.05)
            csrf = await signed_in(http, "3")
            headers = {"X-CSRF-Token": csrf, "X-Requested-With": "aufruf", "Origin": base}
            press_ms, refused = [], 0
            for i in range(args.presses):
                t0 = time.perf_counter()
                async with http.post(base + "/desk/command", json={"action": "next"}, headers=headers) as r:
                    out = await r.json()
                if not out.get("ok"):
                    refused += 1
                    continue
                end = time.monotonic() + 5
                while out["ticket"] not in calls and time.monotonic() < end:
                    await asyncio.sleep(0.0005)
                press_ms.append((calls.get(out["ticket"], t0 + 5) - t0) * 1000)
                await asyncio.sleep(args.gap_ms / 1000)
            print(f"panel press -> call at another MQTT client: n={len(press_ms)} p50={pct(press_ms, 50):.1f} ms "
                  f"p99={pct(press_ms, 99):.1f} ms max={max(press_ms):.1f} ms  (goal p99 <= 50 ms: "
                  f"{'met' if pct(press_ms, 99) <= 50 else 'MISSED'}){f'; {refused} refused' if refused else ''}")
            # the same command straight over MQTT (a keypad's way), under the same load: what the web adds
            keypad = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-{uuid.uuid4().hex[:6]}",
                                 protocol=MQTTProtocolVersion.MQTTv5)
            keypad.username_pw_set("keypad-4", site.password("keypad-4"))
            keypad.on_socket_open = lambda c, u, s: s.setsockopt(6, 1, 1)
            replies: dict[str, str | None] = {}
            keypad.on_message = lambda c, u, msg: replies.__setitem__(json.loads(msg.payload)["id"],
                                                                      json.loads(msg.payload).get("ticket"))
            keypad.on_connect = lambda c, u, f, rc, p: c.subscribe(root + "desk/4/reply", qos=1)
            keypad.connect("127.0.0.1", site.port)
            keypad.loop_start()
            await asyncio.sleep(0.5)
            for i in range(args.presses):
                info.publish(root + "kiosk/info/request", json.dumps({"v": 1, "id": f"bench-b{i}", "service": "K"}),
                             qos=1)
            while len(issued) < 2 * args.presses and time.monotonic() < deadline + 90 * slow:
                await asyncio.sleep(0.05)
            direct_ms = []
            for i in range(args.presses):
                cid = f"kp-{i}"
                t0 = time.perf_counter()
                keypad.publish(root + "desk/4/command", json.dumps({"v": 1, "id": cid, "action": "next"}), qos=1)
                end = time.monotonic() + 5
                while cid not in replies and time.monotonic() < end:
                    await asyncio.sleep(0.0005)
                number = replies.get(cid)
                while number and number not in calls and time.monotonic() < end:
                    await asyncio.sleep(0.0005)
                if number:
                    direct_ms.append((calls[number] - t0) * 1000)
                await asyncio.sleep(args.gap_ms / 1000)
            keypad.loop_stop()
            print(f"the same command straight over MQTT (keypad-4), same machine and load: n={len(direct_ms)} "
                  f"p50={pct(direct_ms, 50):.1f} ms p99={pct(direct_ms, 99):.1f} ms")

        # sessions: one HTTP client (cookie jar) per browser, each with its panel's event stream open
        clients = [aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) for _ in range(args.panel_sessions)]
        streams = []
        try:
            for i, http in enumerate(clients):
                await signed_in(http, str(1 + i % 4))
                r = await http.get(base + "/desk/events")
                await r.content.readline()
                streams.append(r)
            await asyncio.sleep(2)
            rss_sessions = rss_mb(proc.pid)
            added = rss_sessions - rss_before
            print(f"{len(streams)} signed-in panel sessions (each its own broker login and event stream): "
                  f"aufruf web RSS {rss_before:.1f} -> {rss_sessions:.1f} MB, +{added:.1f} MB "
                  f"(goal < 20 MB: {'met' if added < 20 else 'MISSED'})")
        finally:
            for r in streams:
                r.close()
            for http in clients:
                await http.close()
        watcher.loop_stop()
        info.loop_stop()
        return 0
    finally:
        site.close()
        if budget is not None:
            budget.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=500, help="simulated browsers (default 500)")
    ap.add_argument("--calls", type=int, default=100, help="calls to time (default 100)")
    ap.add_argument("--gap-ms", type=float, default=200, help="pause between calls (default 200 ms)")
    ap.add_argument("--idle-s", type=float, default=30, help="seconds of idle CPU measurement (default 30)")
    ap.add_argument("--presses", type=int, default=100, help="counter panel presses to time (default 100)")
    ap.add_argument("--panel-sessions", type=int, default=50, help="signed-in panel sessions (default 50)")
    ap.add_argument("--only", choices=("board", "panel"), help="run only the board or the counter panel part")
    ap.add_argument("--server-budget", type=float, metavar="PERCENT",
                    help="put the broker and aufruf web (and, for the panel, the controller), not the simulated "
                         "browsers, under a CPU quota of PERCENT %% of one core (root, cgroups; see cpu_budget.py)")
    args = ap.parse_args()
    if args.server_budget:
        why = CpuBudget.unavailable(args.server_budget)
        if why:
            print(f"cpu budget: {why}", file=sys.stderr)
            return 3
    print(f"machine: {machine()}")
    rc = 0 if args.only == "panel" else asyncio.run(bench(args))
    return rc or (0 if args.only == "board" else asyncio.run(panel_bench(args)))


if __name__ == "__main__":
    sys.exit(main())
