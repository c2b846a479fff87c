"""``aufruf screenshot``: render what a display shows right now to a PNG, headless.

Logs in as the display's user (or, when its password is not readable here,
as ``staff-info``), reads the retained ``board`` and ``queue`` from the broker,
publishes nothing, and draws the board with the display's own renderer.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import threading

from aufruf import protocol
from aufruf.config import DEFAULT_PATH, SiteConfig

RETAINED_WAIT_S = 1.0


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", default=DEFAULT_PATH, help=f"the site config (default {DEFAULT_PATH})")
    p.add_argument("--out", required=True, help="the PNG file to write")
    p.add_argument("--id", help="the display whose view to render (default: the first in the config)")
    p.add_argument("--size", help="WIDTHxHEIGHT (default: the display's configured size, else 1920x1080)")
    p.add_argument("--at", help="render as if the local time were this (ISO, e.g. 2026-11-25T10:30)")
    p.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for the broker (default 5)")


def fetch_retained(cfg: SiteConfig, display_id: str, timeout: float) -> list[tuple[str, bytes]]:
    """The retained board and queue messages, read as the display (or staff-info) user."""
    from aufruf.errors import LinkError
    from aufruf.link import MqttLink, ephemeral_client_id

    t = protocol.Topics(cfg.site_id)
    got: dict[str, bytes] = {}
    both = threading.Event()

    def handler(topic: str, payload: bytes, retained: bool) -> None:
        got[topic] = payload
        if t.board in got and t.queue in got:
            both.set()

    link = None
    problems = []
    for role, device in (("display", display_id), ("staff", "info")):
        user = f"{role}-{device}"
        try:
            link = MqttLink(cfg.broker, cfg.site_id, role, device, subscriptions=(t.board, t.queue),
                            handler=handler, publish_status=False, client_id=ephemeral_client_id(user))
            break
        except LinkError as e:
            problems.append(str(e))
    if link is None:
        raise LinkError("; ".join(problems))
    link.start()
    try:
        if not link.wait_connected(timeout):
            raise LinkError(f"no connection to the broker {cfg.broker.host}:{cfg.broker.port} as {link.user} "
                            f"within {timeout:g} s" + (f" ({link.last_refusal})" if link.last_refusal else ""))
        both.wait(RETAINED_WAIT_S)
    finally:
        link.stop(mark_offline=False)
    return list(got.items())


def main(args: argparse.Namespace) -> int:
    from aufruf.config import load_or_exit
    from aufruf.errors import LinkError

    from .app import DisplayApp, parse_size

    cfg = load_or_exit(args.config)
    display = cfg.display(args.id) if args.id else (cfg.displays[0] if cfg.displays else None)
    if display is None:
        print(cfg.unknown("display", args.id or "(none)"), file=sys.stderr)
        return 1
    try:
        size = parse_size(args.size) or display.size or (1920, 1080)
        at = None
        if args.at:
            at = dt.datetime.fromisoformat(args.at)
            at = (at if at.tzinfo else at.replace(tzinfo=cfg.tz)).timestamp()
    except ValueError as e:
        print(e, file=sys.stderr)
        return 2
    try:
        messages = fetch_retained(cfg, display.id, args.timeout)
    except LinkError as e:
        print(e, file=sys.stderr)
        return 1
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    import pygame
    pygame.font.init()
    surface = pygame.Surface(size)
    when = at if at is not None else dt.datetime.now().timestamp()
    app = DisplayApp(cfg, display.id, surface=surface, clock=lambda: when)
    app.model.set_connected(True, when)
    topics = protocol.Topics(cfg.site_id)
    for topic, payload in messages:
        app.handle(topic, payload, retained=True)
    if topics.board not in dict(messages):
        print("note: the broker holds no board yet (is the desk controller running?); the picture shows an "
              "empty board", file=sys.stderr)
    app.draw(when)
    try:
        pygame.image.save(surface, args.out)
    except (pygame.error, OSError) as e:
        print(f"cannot write {args.out}: {e}", file=sys.stderr)
        return 1
    print(f"wrote {args.out} ({size[0]}x{size[1]}, display {display.id})")
    return 0
