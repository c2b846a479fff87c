"""``aufruf alarm``: the silent alarm of the counters, for staff.

``aufruf alarm`` prints the active alarms (the retained, staff-only
``alarm/state``); ``aufruf alarm clear [--desk 3]`` clears them (every active
alarm without ``--desk``). See docs/rules.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import uuid

from aufruf import protocol
from aufruf.config import SiteConfig

from .service_cmd import staff_command
from .staff import StaffSession, _common, _run


def configure(p: argparse.ArgumentParser) -> None:
    _common(p)
    p.add_argument("what", nargs="?", choices=("show", "clear"), default="show",
                   help="show (default): the active alarms; clear: clear them")
    p.add_argument("--desk", help="clear: only this desk's alarm")


def active_alarms(cfg: SiteConfig, timeout: float) -> protocol.AlarmState | None:
    topics = protocol.Topics(cfg.site_id)
    with StaffSession(cfg, (topics.alarm_state,)) as s:
        s.connect(timeout)
        s.gather((topics.alarm_state,), timeout)
        return s.retained(topics.alarm_state, protocol.AlarmState)


def main(args: argparse.Namespace) -> int:
    def body(cfg: SiteConfig) -> int:
        if args.what == "clear":
            if args.desk is not None and cfg.desk(args.desk) is None:
                print(f"aufruf alarm: unknown desk {args.desk!r}; allowed: {', '.join(d.id for d in cfg.desks)}",
                      file=sys.stderr)
                return 2
            reply = staff_command(cfg, protocol.StaffCommand(f"cli-{uuid.uuid4().hex[:12]}", "clear_alarm",
                                                             desk=args.desk), args.timeout)
            if not reply.ok:
                print(f"refused: {reply.error}", file=sys.stderr)
                return 1
            print("cleared: " + (", ".join(f"desk {d}" for d in reply.cleared) if reply.cleared
                                 else "no alarm was active"))
            return 0
        state = active_alarms(cfg, args.timeout)
        if state is None:
            print("alarm state unknown (no alarm/state from the controller)", file=sys.stderr)
            return 3
        if not state.active:
            print("no active alarm")
        for a in state.active:
            desk = cfg.desk(a.desk)
            since = dt.datetime.fromtimestamp(a.raised_at / 1000, cfg.tz)
            print(f"ALARM {desk.label(cfg.languages[0]) if desk else a.desk} since {since:%H:%M:%S} ({a.source})")
        return 0
    return _run(args, body)
