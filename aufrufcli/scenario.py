"""Simulated office days, time-accelerated: arrivals, counters calling, no-shows, transfers, a pause.

A discrete-event simulation with a seeded random source and a virtual clock.
It decides *when* a customer arrives and *what* staff press; the system under
test decides who is called. A :class:`Driver` carries the actions to the real
system (the demo presses the kiosk's mock pins and sends desk commands over
MQTT; the load test publishes as the devices do).
"""

from __future__ import annotations

import datetime as dt
import heapq
import math
import random
from dataclasses import dataclass, field
from typing import Protocol

from aufruf.config import SiteConfig

MIN = 60_000


class Driver(Protocol):
    """What a simulation needs from the system it drives."""

    def set_time(self, at_ms: int) -> None: ...
    def ticket(self, service: str) -> str | None: ...
    def command(self, desk: str, action: str, **extra: str) -> dict: ...
    def snapshot(self, label: str) -> None: ...


@dataclass
class Plan:
    """The shape of a simulated day (or morning)."""

    name: str
    start: dt.time
    hours: float
    tickets: int
    mix: dict[str, float]                      # share of arrivals per service
    service_min: dict[str, float]              # mean service minutes per service
    noshow_p: float = 0.05
    transfer_p: float = 0.03                   # a K customer who turns out to need N
    pause: tuple[str, float, float] | None = None   # (desk, start hour offset, minutes)
    snapshots: int = 4
    idle_retry_min: float = 1.0


PLANS = {
    "busy-morning": Plan("busy-morning", dt.time(8, 0), 3.0, 90, {"K": 0.75, "N": 0.25}, {"K": 5.0, "N": 15.0},
                         noshow_p=0.06, transfer_p=0.05, pause=("4", 1.0, 20.0), snapshots=4),
    # 2,000 arrivals: three-digit numbers give each service at most 999 tickets a day, so the
    # last arrival of each service is told "no numbers left today"
    "busy-day": Plan("busy-day", dt.time(8, 0), 10.0, 2000, {"K": 0.5, "N": 0.5}, {"K": 1.0, "N": 1.2},
                     noshow_p=0.05, transfer_p=0.03, pause=("4", 4.0, 30.0), snapshots=0),
}


@dataclass
class Report:
    """What happened, from the driver's answers (the ledger is the truth; this is the script's view)."""

    tickets: dict[str, int] = field(default_factory=dict)
    calls: int = 0
    done: int = 0
    noshows: int = 0
    transfers: int = 0
    pauses: int = 0
    refused: dict[str, int] = field(default_factory=dict)
    snapshots: list[str] = field(default_factory=list)
    first_ms: int = 0
    last_ms: int = 0


class Simulation:
    """Runs a :class:`Plan` against a :class:`Driver` on a virtual clock."""

    def __init__(self, cfg: SiteConfig, plan: Plan, day: dt.date, seed: int = 1):
        self.cfg = cfg
        self.plan = plan
        self.rng = random.Random(seed)
        start = dt.datetime.combine(day, plan.start, tzinfo=cfg.tz)
        self.t0 = int(start.timestamp() * 1000)
        self.end = self.t0 + int(plan.hours * 3600_000)
        self.report = Report()
        self._heap: list[tuple[int, int, str, tuple]] = []
        self._n = 0

    def _push(self, at: int, kind: str, *args: object) -> None:
        self._n += 1
        heapq.heappush(self._heap, (at, self._n, kind, args))

    def _service_ms(self, service: str) -> int:
        mean = self.plan.service_min.get(service, 5.0)
        sigma = 0.5
        return max(20_000, int(self.rng.lognormvariate(math.log(mean) - sigma ** 2 / 2, sigma) * MIN))

    def run(self, driver: Driver) -> Report:
        p = self.plan
        services = [s for s in p.mix if self.cfg.service(s)]
        total = sum(p.mix[s] for s in services)
        # exactly the planned share per service, in random order
        order = [s for s in services for _ in range(round(p.tickets * p.mix[s] / total))]
        order = (order + services * p.tickets)[:p.tickets]
        self.rng.shuffle(order)
        # arrivals: uniform over the span, sorted (a Poisson process conditioned on the count)
        for at, service in zip(sorted(self.rng.uniform(self.t0, self.end) for _ in order), order):
            self._push(int(at), "arrive", service)
        for d in self.cfg.desks:
            self._push(self.t0 + self.rng.randint(1, 5) * MIN, "next", d.id)
        if p.pause and self.cfg.desk(p.pause[0]):
            self._push(self.t0 + int(p.pause[1] * 3600_000), "pause", p.pause[0])
        for i in range(p.snapshots):
            self._push(self.t0 + int((i + 1) * (self.end - self.t0) / (p.snapshots + 1)), "snapshot", f"snap{i + 1}")
        serving: dict[str, tuple[str, str]] = {}          # desk -> (number, service line)
        paused_until: dict[str, int] = {}
        self.report.first_ms = self.t0
        while self._heap:
            at, _, kind, args = heapq.heappop(self._heap)
            if at > self.end + 4 * 3600_000:
                break
            driver.set_time(at)
            self.report.last_ms = at
            if kind == "arrive":
                number = driver.ticket(args[0])
                if number:
                    self.report.tickets[args[0]] = self.report.tickets.get(args[0], 0) + 1
                else:
                    self.report.refused["ticket"] = self.report.refused.get("ticket", 0) + 1
            elif kind == "snapshot":
                driver.snapshot(args[0])
                self.report.snapshots.append(args[0])
            elif kind == "pause":
                desk = args[0]
                paused_until[desk] = at + int(p.pause[2] * MIN)
            elif kind == "next":
                desk = args[0]
                if desk in paused_until:
                    if at < paused_until[desk]:
                        if self._count(driver.command(desk, "pause"), "pause"):
                            self.report.pauses += 1
                        self._push(paused_until[desk], "next", desk)
                        paused_until[desk] = -paused_until[desk]   # pausing now
                        continue
                    if paused_until[desk] < 0:
                        self._count(driver.command(desk, "resume"), "resume")
                        del paused_until[desk]
                r = driver.command(desk, "next")
                if not r.get("ok"):
                    self._count(r, "next")
                    if desk in serving and self._count(driver.command(desk, "done"), "done"):
                        self.report.done += 1            # nobody waits: finish the current customer
                    serving.pop(desk, None)
                    if at < self.end:
                        self._push(at + int(p.idle_retry_min * MIN), "next", desk)
                    continue
                self.report.calls += 1
                if desk in serving:
                    self.report.done += 1
                number = r["ticket"]
                line = number[0]
                serving[desk] = (number, line)
                roll = self.rng.random()
                if roll < p.noshow_p:
                    self._push(at + 2 * MIN, "noshow", desk)
                elif roll < p.noshow_p + p.transfer_p and line == "K" and self.cfg.service("N"):
                    self._push(at + 2 * MIN, "transfer", desk)
                else:
                    self._push(at + self._service_ms(line), "next", desk)
            elif kind == "noshow":
                self._push(at, "recall", args[0])          # called again once before giving up
            elif kind == "transfer":
                desk = args[0]
                if self._count(driver.command(desk, "transfer", service="N"), "transfer"):
                    self.report.transfers += 1
                    serving.pop(desk, None)
                self._push(at + MIN // 2, "next", desk)
            elif kind == "recall":
                desk = args[0]
                driver.command(desk, "recall")
                self._push(at + MIN, "really-noshow", desk)
            elif kind == "really-noshow":
                desk = args[0]
                if self._count(driver.command(desk, "noshow"), "noshow"):
                    self.report.noshows += 1
                    serving.pop(desk, None)
                self._push(at + MIN // 2, "next", desk)
        # close the day: every desk finishes its customer
        for desk in list(serving):
            if self._count(driver.command(desk, "done"), "done"):
                self.report.done += 1
        return self.report

    def _count(self, reply: dict, action: str) -> bool:
        if reply.get("ok"):
            return True
        key = f"{action}: {reply.get('error')}"
        self.report.refused[key] = self.report.refused.get(key, 0) + 1
        return False
