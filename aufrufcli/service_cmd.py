"""``aufruf service close N --reason fault`` / ``aufruf service reopen N``: a service for the rest of the day.

Sent as a staff command (``staff/info/command``, docs/protocol.md) with a fresh
id; the controller commits it to its ledger, answers, and the kiosk and the
board show the service as closed (docs/rules.md).
"""

from __future__ import annotations

import argparse
import sys
import uuid

from aufruf import protocol
from aufruf.config import SiteConfig

from .staff import USER_DEVICE, StaffSession, _common, _run


def configure(p: argparse.ArgumentParser) -> None:
    _common(p)
    p.add_argument("what", choices=("close", "reopen"), help="close: no tickets for today; reopen: tickets again")
    p.add_argument("service", help="service key, e.g. N")
    p.add_argument("--reason", default="", help="close: a key of the site's [issuing.reasons], shown on the board")


def staff_command(cfg: SiteConfig, cmd: protocol.StaffCommand, timeout: float) -> protocol.StaffReply:
    """Send one staff command and wait for its answer."""
    topics = protocol.Topics(cfg.site_id)
    with StaffSession(cfg, (topics.staff_reply(USER_DEVICE),)) as s:
        s.connect(timeout)
        return s.request(topics.staff_command(USER_DEVICE), topics.staff_reply(USER_DEVICE), cmd,
                         protocol.StaffReply, timeout)


def main(args: argparse.Namespace) -> int:
    def body(cfg: SiteConfig) -> int:
        key = args.service.upper()
        if cfg.service(key) is None:
            print(f"aufruf service: unknown service {key!r}; allowed: {', '.join(s.key for s in cfg.services)}",
                  file=sys.stderr)
            return 2
        action = "close_service" if args.what == "close" else "reopen_service"
        reply = staff_command(cfg, protocol.StaffCommand(f"cli-{uuid.uuid4().hex[:12]}", action, service=key,
                                                         reason=args.reason if args.what == "close" else ""),
                              args.timeout)
        if not reply.ok:
            print(f"refused: {reply.error}", file=sys.stderr)
            return 1
        name = cfg.service(key).name(cfg.languages[0])
        print(f"{key} {name}: " + ("closed for today" + (f" ({args.reason})" if args.reason else "")
                                   if args.what == "close" else "reopened for today"))
        return 0
    return _run(args, body)
