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
the broker, so the figures include their share of the machine.

    python benchmarks/web_bench.py [--clients 500] [--calls 100] [--idle-s 30]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid

from harness import BenchSite, cpu_seconds, free_port, machine, pct, rss_mb

import aiohttp
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion


class Page(asyncio.Protocol):
    """One simulated browser on ``/events`` (a plain HTTP/1.1 GET, read as it comes): when did
    each call's id arrive. A protocol, not a task per page, so the clients cost little."""

    def __init__(self) -> None:
        self.seen: dict[str, float] = {}
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
                self.seen[ev.split(b'"id":"', 1)[1].split(b'"', 1)[0].decode()] = now
            elif ev.startswith(b"event: board", i):
                self.ready.set()


async def bench(args: argparse.Namespace) -> int:
    port = free_port()
    text = (BenchSite.example_text() +
            f'\n[[webs]]\nid = "bench"\nlisten = "127.0.0.1:{port}"\npublic_url = "http://127.0.0.1:{port}"\n'
            f'max_clients = {args.clients + 100}\n')
    site = BenchSite(text)
    try:
        proc = site.start("web", "--id", "bench")
        deadline = time.monotonic() + 20
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
            pages = [Page() for _ in range(args.clients)]
            loop = asyncio.get_running_loop()
            conns = [await loop.create_connection(lambda p=p: p, "127.0.0.1", port) for p in pages]
            await asyncio.wait_for(asyncio.gather(*(p.ready.wait() for p in pages)), 60)
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
            for i in range(args.calls):
                cid = f"bench-{i}"
                body = {"v": 1, "id": cid, "number": f"K{i % 999 + 1:03d}", "desk": str(1 + i % 4),
                        "service": "K", "at": int(time.time() * 1000), "recall": False}
                t0 = time.perf_counter()
                pub.publish(topic, json.dumps(body), qos=1)
                end = time.monotonic() + 5
                while any(cid not in p.seen for p in pages) and time.monotonic() < end:
                    await asyncio.sleep(0.002)
                got = [p.seen[cid] - t0 for p in pages if cid in p.seen]
                if len(got) < len(pages):
                    print(f"call {i}: only {len(got)} of {len(pages)} pages got it within 5 s", file=sys.stderr)
                all_ms += [g * 1000 for g in got]
                last_ms.append(max(got) * 1000 if got else 5000.0)
                await asyncio.sleep(args.gap_ms / 1000)
            pub.loop_stop()
            pub.disconnect()
            rss_after = rss_mb(proc.pid)
            print(f"call -> event at the LAST of {args.clients} pages: n={len(last_ms)} "
                  f"p50={pct(last_ms, 50):.1f} ms p99={pct(last_ms, 99):.1f} ms max={max(last_ms):.1f} ms  "
                  f"(goal p99 <= 100 ms: {'met' if pct(last_ms, 99) <= 100 else 'MISSED'})")
            print(f"call -> event at any page: n={len(all_ms)} p50={pct(all_ms, 50):.1f} ms "
                  f"p99={pct(all_ms, 99):.1f} ms")
            print(f"aufruf web RSS after the calls: {rss_after:.1f} MB")

            await asyncio.sleep(2)
            c0, t0 = cpu_seconds(proc.pid), time.monotonic()
            await asyncio.sleep(args.idle_s)
            share = (cpu_seconds(proc.pid) - c0) / (time.monotonic() - t0) * 100
            print(f"idle CPU with {args.clients} idle pages over {args.idle_s:.0f} s: {share:.2f} % of one core "
                  f"(goal < 1 %: {'met' if share < 1 else 'MISSED'})")
            for transport, _ in conns:
                transport.close()
        return 0
    finally:
        site.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=500, help="simulated browsers (default 500)")
    ap.add_argument("--calls", type=int, default=100, help="calls to time (default 100)")
    ap.add_argument("--gap-ms", type=float, default=200, help="pause between calls (default 200 ms)")
    ap.add_argument("--idle-s", type=float, default=30, help="seconds of idle CPU measurement (default 30)")
    args = ap.parse_args()
    print(f"machine: {machine()}")
    return asyncio.run(bench(args))


if __name__ == "__main__":
    sys.exit(main())
