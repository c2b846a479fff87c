"""``aufruf keypads``: the connected input devices under both stable names, and which counter's
keypad each one is; ``--watch`` prints every key pressed and the counter it belongs to.

    sudo aufruf keypads --config /etc/aufruf/site.toml
    sudo systemctl stop aufruf-desk && sudo aufruf keypads --config /etc/aufruf/site.toml --watch

Identical keypads share one ``/dev/input/by-id/`` name; name them in ``[[keypads]]`` by
their USB port, ``/dev/input/by-path/...``, and press a key on each to see which is which.
"""

from __future__ import annotations

import argparse
import select
from collections import Counter
from pathlib import Path
from typing import Callable

from aufruf.config import SiteConfig, load_or_exit
from desk.keypad import DEFAULT_KEYMAP, INPUT_DIR, InputNode, configured_desk, input_devices

Info = Callable[[str], tuple[str, bool]]     # event path -> (device name, is a keyboard)


def evdev_info(event: str) -> tuple[str, bool]:
    """The device's own name and whether it has keys, through evdev."""
    try:
        from evdev import InputDevice, ecodes
        dev = InputDevice(event)
    except PermissionError:
        return "(no access: run it with sudo)", False
    except (OSError, ImportError) as e:
        return f"({e})", False
    try:
        keys = dev.capabilities().get(ecodes.EV_KEY, [])
        return dev.name, any(k in keys for k in (ecodes.KEY_KPENTER, ecodes.KEY_ENTER, ecodes.KEY_KP0))
    finally:
        dev.close()


def listing(nodes: list[InputNode], cfg: SiteConfig, info: Info, root: Path = INPUT_DIR) -> list[str]:
    """The lines ``aufruf keypads`` prints."""
    out = []
    named = {n.event: info(n.event) for n in nodes}
    same = Counter(name for name, keys in named.values() if keys)
    used = set()
    for n in nodes:
        name, keys = named[n.event]
        if not keys and not n.by_id and not n.by_path:
            continue
        out.append(f"{n.event}  {name}{'' if keys else '  (no keys)'}")
        for link in n.by_id:
            out.append(f"    by-id:   {link}")
        for link in n.by_path:
            out.append(f"    by-path: {link}")
        hit = configured_desk(n, cfg.keypads, root)
        if hit:
            used.add(hit[1])
            out.append(f"    -> desk {hit[0]} (its [[keypads]] device)")
        elif keys:
            out.append("    -> no counter ([[keypads]] names another device)")
        if keys and same[name] > 1:
            out.append(f"    note: {same[name]} devices are called '{name}': name each by its by-path "
                       "(USB port), the by-id name points at only one of them")
    for k in cfg.keypads:
        if k.device not in used:
            out.append(f"desk {k.desk}: its keypad {k.device} is not connected")
    if not out:
        out.append(f"no input devices under {root}")
    return out


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", required=True, help="the site file (for the [[keypads]] entries)")
    p.add_argument("--watch", action="store_true",
                   help="print each key pressed on any keypad and its counter (Ctrl-C ends; stop "
                        "aufruf-desk first: it grabs its keypads)")
    p.add_argument("--input-dir", default=str(INPUT_DIR), help=argparse.SUPPRESS)


def watch(nodes: list[InputNode], cfg: SiteConfig, root: Path, out: Callable[[str], None] = print) -> int:
    """Read every keyboard and say, for each key-down, which device and counter it came from."""
    from evdev import InputDevice, ecodes
    devs = {}
    for n in nodes:
        try:
            d = InputDevice(n.event)
        except OSError:
            continue
        if ecodes.EV_KEY in d.capabilities():
            devs[d.fd] = (d, n)
        else:
            d.close()
    if not devs:
        out("no keyboards to read (run it with sudo?)")
        return 1
    out(f"reading {len(devs)} devices: press a key on each keypad (Ctrl-C ends)")
    try:
        while True:
            r, _, _ = select.select(list(devs), [], [])
            for fd in r:
                d, n = devs[fd]
                try:
                    events = list(d.read())
                except OSError:
                    out(f"{n.event} went away")
                    del devs[fd]
                    continue
                for ev in events:
                    if ev.type != ecodes.EV_KEY or ev.value != 1:
                        continue
                    key = ecodes.KEY.get(ev.code, str(ev.code))
                    key = key[0] if isinstance(key, list) else key
                    hit = configured_desk(n, cfg.keypads, root)
                    where = (n.by_path or n.by_id or [n.event])[0]
                    entry = next((k for k in cfg.keypads if hit and k.device == hit[1]), None)
                    action = {**DEFAULT_KEYMAP, **(entry.keymap if entry else {})}.get(key, "no action")
                    out(f"{key:<16} {where}  -> " + (f"desk {hit[0]} ({action})" if hit else "no counter"))
    except KeyboardInterrupt:
        return 0
    finally:
        for d, _ in devs.values():
            d.close()


def main(args: argparse.Namespace) -> int:
    cfg = load_or_exit(args.config)
    root = Path(args.input_dir)
    nodes = input_devices(root)
    for line in listing(nodes, cfg, evdev_info, root):
        print(line)
    if args.watch:
        return watch(nodes, cfg, root)
    return 0
