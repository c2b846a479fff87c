"""``aufruf report --central``: the retained ``stats/today`` of every site on a central broker.

Each site's broker bridges ``aufruf/<site>/#`` to the central broker (see
docs/operations.md); there every site's controller summary stays retained.
This subscribes to ``aufruf/+/stats/today``, collects what the broker hands
over, and prints one line per site. Read-only: it publishes nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import socket
import ssl
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from aufruf import protocol
from aufruf.errors import AufrufError, PayloadError

FILTER = "aufruf/+/stats/today"
QUIET_S = 0.5  # retained messages arrive right after the subscription; stop when none came for this long
STALE_MS = 15 * 60_000


def parse_broker(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":") if ":" in text else (text, "", "1883")
    if not host:
        raise ValueError(f"--broker {text!r}: expected HOST:PORT")
    try:
        p = int(port)
    except ValueError:
        raise ValueError(f"--broker {text!r}: the port must be a number") from None
    if not 0 < p < 65536:
        raise ValueError(f"--broker {text!r}: port out of range")
    return host.strip("[]"), p


def gather(host: str, port: int, user: str | None, password: str | None, timeout: float = 5.0,
           tls: bool = False, ca_file: str | None = None) -> dict[str, dict[str, Any]]:
    """Site id -> its retained stats/today payload (malformed ones are skipped)."""
    got: dict[str, dict[str, Any]] = {}
    lock = threading.Condition()
    state: dict[str, Any] = {"subscribed": False, "error": None, "last": time.monotonic()}
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"aufruf-central-{uuid.uuid4().hex[:8]}",
                    protocol=MQTTProtocolVersion.MQTTv311)
    if user:
        c.username_pw_set(user, password)
    if tls:
        c.tls_set(ca_certs=ca_file, tls_version=ssl.PROTOCOL_TLS_CLIENT)

    def on_connect(client, userdata, flags, rc, props):
        with lock:
            if rc.is_failure:
                state["error"] = f"the central broker refused the login: {rc}"
            else:
                client.subscribe(FILTER, qos=1)
            lock.notify_all()

    def on_subscribe(client, userdata, mid, rcs, props):
        with lock:
            if rcs and rcs[0].is_failure:
                state["error"] = f"the central broker refused the subscription to {FILTER}: {rcs[0]}"
            state["subscribed"] = True
            state["last"] = time.monotonic()
            lock.notify_all()

    def on_message(client, userdata, msg):
        try:
            site = msg.topic.split("/")[1]
            obj = protocol.StatsToday.from_json(msg.payload)
        except (PayloadError, IndexError):
            return
        with lock:
            got[site] = obj
            state["last"] = time.monotonic()
            lock.notify_all()

    c.on_connect, c.on_subscribe, c.on_message = on_connect, on_subscribe, on_message
    c.on_socket_open = lambda cl, ud, s: s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        c.connect(host, port, keepalive=30)
    except (OSError, ssl.SSLError) as e:
        raise AufrufError(f"cannot reach the central broker {host}:{port}: {e}") from None
    c.loop_start()
    deadline = time.monotonic() + timeout
    try:
        with lock:
            while True:
                if state["error"]:
                    raise AufrufError(state["error"])
                now = time.monotonic()
                if state["subscribed"] and now - state["last"] >= QUIET_S:
                    break
                if now >= deadline:
                    if not state["subscribed"]:
                        raise AufrufError(f"no answer from the central broker {host}:{port} within {timeout:.0f} s")
                    break
                lock.wait(min(QUIET_S, deadline - now))
    finally:
        c.disconnect()
        c.loop_stop()
    return dict(got)


def format_sites(sites: dict[str, protocol.StatsToday], now_ms: int) -> str:
    """One line per site: name, day, per service issued/served/no-show/waiting/median wait, age."""
    if not sites:
        return "no site has published stats/today on this broker (are the sites bridged to it?)"
    lines = []
    w = max(len(s) for s in sites)
    nw = max(len(p.name) for p in sites.values())
    for site in sorted(sites):
        p = sites[site]
        parts = []
        for key, s in sorted(p.services.items()):
            med = s.median_wait_min
            parts.append(f"{key}: {s.issued} issued, {s.served} served, {s.noshow} no-show, {s.waiting} waiting, "
                         f"wait {'-' if med is None else f'{med:.1f}'} min")
        at = p.updated_at
        age = f" (updated {_age(now_ms - at)} ago{', STALE' if now_ms - at > STALE_MS else ''})"
        lines.append(f"{site:<{w}}  {p.name:<{nw}}  {p.day or '?'}  " + " | ".join(parts) + age)
    return "\n".join(lines)


def _age(ms: int) -> str:
    s = max(0, ms // 1000)
    if s < 120:
        return f"{s} s"
    if s < 7200:
        return f"{s // 60} min"
    return f"{s // 3600} h"


def main(args: argparse.Namespace) -> int:
    if not args.broker:
        print("aufruf report --central: --broker HOST:PORT is needed", file=sys.stderr)
        return 2
    try:
        host, port = parse_broker(args.broker)
    except ValueError as e:
        print(f"aufruf report: {e}", file=sys.stderr)
        return 2
    password = args.password
    if args.password_file:
        try:
            password = Path(args.password_file).read_text(encoding="utf-8").strip()
        except OSError as e:
            print(f"aufruf report: cannot read {args.password_file}: {e.strerror or e}", file=sys.stderr)
            return 2
    try:
        sites = gather(host, port, args.user, password, args.timeout, args.tls, args.ca_file)
    except AufrufError as e:
        print(f"aufruf report: {e}", file=sys.stderr)
        return 3
    now = int(dt.datetime.now(dt.timezone.utc).timestamp() * 1000)
    if args.csv:
        _csv(sites, args.csv)
    if args.csv != "-":
        print(format_sites(sites, now))
    return 0


def _csv(sites: dict[str, protocol.StatsToday], path: str) -> None:
    import csv
    import io
    buf = io.StringIO()
    wr = csv.writer(buf, lineterminator="\n")
    wr.writerow(("site", "name", "day", "service", "issued", "served", "noshow", "waiting", "median_wait_min",
                 "updated_at"))
    for site in sorted(sites):
        p = sites[site]
        for key, s in sorted(p.services.items()):
            wr.writerow((site, p.name, p.day or "", key, s.issued, s.served, s.noshow, s.waiting, s.median_wait_min,
                         p.updated_at))
    if path == "-":
        sys.stdout.write(buf.getvalue())
    else:
        Path(path).write_text(buf.getvalue(), encoding="utf-8")

