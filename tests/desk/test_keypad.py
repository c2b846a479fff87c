"""USB keypads: real evdev InputEvent objects through the decoder and reader; unplug survives."""

import threading

from evdev import InputEvent, ecodes

from keypads import PluggableKeypad, keystrokes
from probe import wait_until

from desk.keypad import KeyDecoder, KeypadReader


def key(name, value=1):
    return InputEvent(0, 0, ecodes.EV_KEY, ecodes.ecodes[name], value)


def reader(keymap=None):
    sent = []
    dec = KeyDecoder("3", "K", keymap)
    return KeypadReader("/nonexistent", dec, sent.append), sent


def actions(sent):
    return [(c.action, c.number) for c in sent]


def test_default_keymap_with_numlock_on_and_off():
    r, sent = reader()
    for name in ("KEY_KPENTER", "KEY_KPPLUS", "KEY_KPDOT", "KEY_DELETE", "KEY_KPMINUS", "KEY_KPSLASH",
                 "KEY_KPASTERISK", "KEY_NUMLOCK"):
        r.handle_event(key(name))
    assert actions(sent) == [("next", None), ("next", None), ("recall", None), ("recall", None),
                             ("noshow", None), ("done", None), ("pause_resume", None)]
    assert all(c.desk == "3" for c in sent)


def test_digits_then_enter_call_that_number_of_the_first_service():
    r, sent = reader()
    for name in ("KEY_KP1", "KEY_KP7", "KEY_KPENTER", "KEY_END", "KEY_INSERT", "KEY_PAGEDOWN", "KEY_ENTER"):
        r.handle_event(key(name))
    assert actions(sent) == [("call", "K017"), ("call", "K103")]


def test_key_release_and_repeat_are_ignored_and_backspace_clears():
    r, sent = reader()
    r.handle_event(key("KEY_KPENTER", 0))
    r.handle_event(key("KEY_KPENTER", 2))
    r.handle_event(key("KEY_KP4"))
    r.handle_event(key("KEY_BACKSPACE"))
    r.handle_event(key("KEY_KPENTER"))
    assert actions(sent) == [("next", None)]


def test_star_asks_for_pause_or_resume_and_custom_keymap_wins():
    r, sent = reader(keymap={"KEY_KPPLUS": "done"})
    r.handle_event(key("KEY_KPASTERISK"))
    r.handle_event(key("KEY_KPPLUS"))
    assert actions(sent) == [("pause_resume", None), ("done", None)]


def test_an_unplugged_keypad_is_reopened_and_reads_again():
    plug = PluggableKeypad()
    sent = []
    r = KeypadReader("/dev/input/by-id/usb-keypad-event-kbd", KeyDecoder("3", "K"), sent.append, retry_s=0.02,
                     opener=plug.open)
    r.start()
    try:
        assert r.connected.wait(5)
        plug.opened[-1].feed(keystrokes("KEY_KPENTER"))
        wait_until(lambda: len(sent) == 1, what="the first key")
        plug.plugged = False
        plug.opened[-1].feed([])                     # the kernel wakes the reader with ENODEV
        wait_until(lambda: not r.connected.is_set(), what="the reader noticing the unplug")
        assert r._thread.is_alive()
        plug.plugged = True
        wait_until(lambda: r.connected.is_set() and len(plug.opened) == 2, what="the keypad back")
        plug.opened[-1].feed(keystrokes("KEY_KPDOT"))
        wait_until(lambda: len(sent) == 2, what="a key after the replug")
        assert actions(sent) == [("next", None), ("recall", None)]
    finally:
        r.stop()


def test_a_key_that_fails_to_be_handled_does_not_end_the_reader():
    plug = PluggableKeypad()
    calls = []

    def emit(cmd):
        calls.append(cmd)
        if len(calls) == 1:
            raise KeyError("3")                      # e.g. a desk that a reload just removed
    r = KeypadReader("/dev/input/x", KeyDecoder("3", "K"), emit, retry_s=0.02, opener=plug.open)
    r.start()
    try:
        assert r.connected.wait(5)
        plug.opened[-1].feed(keystrokes("KEY_KPENTER"))
        wait_until(lambda: len(calls) == 1, what="the failing key")
        plug.opened[-1].feed(keystrokes("KEY_KPENTER"))
        wait_until(lambda: len(calls) == 2, what="the next key, read by the same thread")
        assert r._thread.is_alive() and len(plug.opened) == 1
    finally:
        r.stop()


def test_a_missing_keypad_is_retried_without_crashing():
    r, _ = reader()
    r.retry_s = 0.01
    r.start()
    try:
        done = threading.Event()
        for _ in range(200):
            if r.attempts >= 3:
                done.set()
                break
            threading.Event().wait(0.01)
        assert done.is_set() and r.opened == 0 and r._thread.is_alive()
    finally:
        r.stop()


def test_the_desk_runs_without_evdev_and_reports_its_keypads_unavailable(site):
    """The demo and laptops install without the 'keypad' extra (evdev needs a C compiler)."""
    import os
    import subprocess
    import sys

    from sites import REPO
    no_evdev = ("import sys; sys.modules['evdev'] = None; from aufrufcli.cli import main; "
                "sys.exit(main(sys.argv[1:]))")       # 'import evdev' raises ImportError, as when not installed
    env = dict(os.environ, PYTHONPATH=str(REPO))
    p = subprocess.Popen([sys.executable, "-c", no_evdev, "desk", "--config", str(site.config_path), "--data",
                          str(site.data)], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    try:
        probe = site.probe()
        st = probe.wait_for("status/controller/main", lambda b: b.get("online") is True, timeout=15)
        assert st["keypads"] == {"1": "unavailable"}          # the example site's one keypad, at desk 1
        r = subprocess.run([sys.executable, "-m", "aufrufcli", "status", "--config", str(site.config_path)],
                           cwd=REPO, env=env, capture_output=True, text=True, timeout=30)
        assert r.returncode == 0 and "controller main: online, keypad 1 unavailable" in r.stdout
    finally:
        p.terminate()
        out, err = p.communicate(timeout=15)
    assert p.returncode == 0, err
    assert "evdev is not installed (pip install 'aufruf[keypad]')" in err
