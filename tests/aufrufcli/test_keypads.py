"""``aufruf keypads``: four identical keypads share one by-id name; the listing shows each under
its by-path name (the USB port) with the counter the site file gives it, and says which
configured keypad is missing. The device tree is laid out like /dev/input, with udev's links."""

import os
import subprocess
import sys

from aufruf import config
from aufrufcli.keypads import listing
from desk.keypad import configured_desk, input_devices
from sites import EXAMPLE, REPO

KBD = "usb-SEM_USB_Keyboard-event-kbd"     # what a cheap keypad without a serial number is called


def port(n):
    return f"platform-fd500000.pcie-pci-0000:01:00.0-usb-0:1.{n}:1.0-event-kbd"


def tree(root):
    for d in ("by-id", "by-path"):
        (root / d).mkdir(parents=True)
    for i in range(6):
        (root / f"event{i}").write_text("")
    # four identical keypads on ports 1..4 = event2..event5; udev points the shared by-id name at the last
    for n in range(1, 5):
        os.symlink(f"../event{n + 1}", root / "by-path" / port(n))
    os.symlink("../event5", root / "by-id" / KBD)
    os.symlink("../event0", root / "by-path" / "platform-gpio-keys-event")
    return root


def site(tmp_path, root, devices):
    text = EXAMPLE.read_text()
    head, _, rest = text.partition("[[keypads]]\n")
    _, _, tail = rest.partition("\n\n")
    keypads = "".join(f'[[keypads]]\ndesk = "{d}"\ndevice = "{dev}"\n\n' for d, dev in devices)
    path = tmp_path / "site.toml"
    path.write_text(head + keypads + tail)
    return config.load(path)


def info(event):
    return ("gpio-keys", False) if event.endswith("event0") else \
        ("SEM USB Keyboard", True) if event[-1] in "2345" else ("vc4-hdmi", False)


def test_identical_keypads_are_listed_by_port_with_their_counters(tmp_path):
    root = tree(tmp_path / "input")
    nodes = input_devices(root)
    assert [n.event for n in nodes] == [str(root / f"event{i}") for i in range(6)]
    assert nodes[5].by_id == [str(root / "by-id" / KBD)] and nodes[2].by_id == []
    assert nodes[3].by_path == [str(root / "by-path" / port(2))]
    cfg = site(tmp_path, root, [(str(d), str(root / "by-path" / port(d))) for d in (1, 2, 3)]
               + [("4", "/dev/input/by-path/" + port(9))])
    assert configured_desk(nodes[3], cfg.keypads, root) == ("2", str(root / "by-path" / port(2)))
    lines = listing(nodes, cfg, info, root)
    text = "\n".join(lines)
    assert f"{root}/event2  SEM USB Keyboard\n    by-path: {root}/by-path/{port(1)}\n    -> desk 1" in text
    assert f"{root}/event5  SEM USB Keyboard\n    by-id:   {root}/by-id/{KBD}\n    by-path: {root}/by-path/{port(4)}\n" \
           "    -> no counter" in text
    assert "note: 4 devices are called 'SEM USB Keyboard': name each by its by-path" in text
    assert f"desk 4: its keypad /dev/input/by-path/{port(9)} is not connected" in lines
    assert "event1" not in text                      # no keys and no stable name: not a keypad
    assert "platform-gpio-keys-event" in text and "(no keys)" in text


def test_a_by_id_name_resolves_to_its_event_device(tmp_path):
    root = tree(tmp_path / "input")
    cfg = site(tmp_path, root, [("1", str(root / "by-id" / KBD))])
    hits = [configured_desk(n, cfg.keypads, root) for n in input_devices(root)]
    assert hits == [None] * 5 + [("1", str(root / "by-id" / KBD))]


def test_by_path_is_accepted_in_the_site_file_and_the_command_runs(tmp_path):
    root = tree(tmp_path / "input")
    site(tmp_path, root, [("1", "/dev/input/by-path/" + port(1)), ("2", "/dev/input/by-path/" + port(2))])
    r = subprocess.run([sys.executable, "-m", "aufrufcli", "keypads", "--config", str(tmp_path / "site.toml"),
                        "--input-dir", str(root)], cwd=REPO, env=dict(os.environ, PYTHONPATH=str(REPO)),
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    # the files here are no input devices: evdev says so, and the configured ports are not these
    assert f"{root}/event2  (" in r.stdout
    assert f"desk 1: its keypad /dev/input/by-path/{port(1)} is not connected" in r.stdout
