"""The barcode/QR scanner: the decoder's pure part everywhere, the reader's unplug/replug, UInput where it exists."""

from __future__ import annotations

import os
import pytest
from evdev import InputEvent, ecodes

from kiosk.scanner import MAX_CHARS, Scan, ScanDecoder, ScannerReader
from probe import wait_until


def typed(dec: ScanDecoder, text: str, t0: float = 0.0, enter: bool = True) -> list[Scan]:
    out, t = [], t0
    for ch in text:
        shift = ch.isalpha() and ch.isupper()
        name = {"-": "KEY_MINUS"}.get(ch, f"KEY_{ch.upper()}")
        if shift:
            out.append(dec.key("KEY_LEFTSHIFT", 1, t))
        out += [dec.key(name, 1, t), dec.key(name, 0, t)]
        if shift:
            out.append(dec.key("KEY_LEFTSHIFT", 0, t))
        t += 0.005
    if enter:
        out.append(dec.key("KEY_ENTER", 1, t))
    return [s for s in out if s is not None]


def test_a_code_with_enter_is_one_scan():
    dec = ScanDecoder()
    assert typed(dec, "AB12-cd") == [Scan(code="AB12-CD")]
    assert typed(dec, "XY99", t0=10) == [Scan(code="XY99")]


def test_keypad_digits_and_key_repeat():
    dec = ScanDecoder()
    for name, v in (("KEY_KP1", 1), ("KEY_KP1", 2), ("KEY_KP2", 1), ("KEY_NUMLOCK", 1), ("KEY_KP3", 1),
                    ("KEY_KP4", 1)):
        assert dec.key(name, v, 0.0) is None
    assert dec.key("KEY_KPENTER", 1, 0.0) == Scan(code="1234")


def test_garbage_is_refused_with_the_reason_and_the_next_scan_works():
    dec = ScanDecoder()
    dec.key("KEY_A", 1, 0.0)
    dec.key("KEY_F5", 1, 0.0)
    dec.key("KEY_B", 1, 0.0)
    s = dec.key("KEY_ENTER", 1, 0.0)
    assert s.code is None and "KEY_F5" in s.error
    assert typed(dec, "GOOD1") == [Scan(code="GOOD1")]


def test_a_very_long_scan_is_refused():
    dec = ScanDecoder()
    [s] = typed(dec, "A" * (MAX_CHARS + 50))
    assert s.code is None and f"longer than {MAX_CHARS}" in s.error


def test_a_half_code_is_dropped_after_the_gap():
    dec = ScanDecoder(gap_s=1.0)
    assert typed(dec, "HALF", enter=False) == []
    assert dec.tick(0.5) is None
    s = dec.tick(2.0)
    assert s.code is None and "half a code" in s.error
    assert dec.tick(3.0) is None                   # reported once
    # a scan that resumes after the gap is not glued to the old half
    typed(dec, "OLD", t0=10, enter=False)
    out = typed(dec, "NEW1", t0=20)
    assert [x.error is not None for x in out] == [True, False] and out[1].code == "NEW1"


def test_a_lone_enter_is_nothing():
    assert ScanDecoder().key("KEY_ENTER", 1, 0.0) is None


def test_reader_decodes_real_input_events():
    got: list[Scan] = []
    r = ScannerReader("/nonexistent", got.append)
    for name in ("KEY_LEFTSHIFT", "KEY_Q", "KEY_LEFTSHIFT", "KEY_1", "KEY_2", "KEY_3", "KEY_ENTER"):
        r.handle_event(InputEvent(0, 0, ecodes.EV_KEY, ecodes.ecodes[name], 1))
    r.handle_event(InputEvent(0, 0, ecodes.EV_SYN, 0, 0))
    assert got == [Scan(code="Q123")]


def test_missing_or_unplugged_scanner_is_retried_without_crashing():
    attempts = []

    def opener(path):
        attempts.append(path)
        raise OSError(19, "No such device")
    r = ScannerReader("/dev/input/by-id/usb-scanner", lambda s: None, retry_s=0.01, opener=opener)
    r.start()
    try:
        wait_until(lambda: len(attempts) >= 3, what="three attempts to open")
        assert r.opened == 0 and r._thread.is_alive()
    finally:
        r.stop()


@pytest.mark.skipif(not os.path.exists("/dev/uinput"), reason="/dev/uinput is not available here")
def test_a_uinput_scanner_is_read_and_survives_replug(tmp_path):
    from evdev import UInput
    got: list[Scan] = []
    keys = [ecodes.ecodes[n] for n in ("KEY_A", "KEY_B", "KEY_1", "KEY_2", "KEY_ENTER", "KEY_LEFTSHIFT")]

    def type_code(ui):
        for k in keys[:4] + [keys[4]]:
            ui.write(ecodes.EV_KEY, k, 1)
            ui.write(ecodes.EV_KEY, k, 0)
            ui.syn()

    ui = UInput({ecodes.EV_KEY: keys}, name="aufruf-test-scanner")
    path = ui.device.path
    changes: list[bool] = []
    r = ScannerReader(path, got.append, retry_s=0.1, on_change=changes.append)
    r.start()
    try:
        assert r.connected.wait(5)
        type_code(ui)
        wait_until(lambda: got, what="the scan")
        assert got == [Scan(code="AB12")]
        ui.close()                              # unplug
        wait_until(lambda: not r.connected.is_set(), what="the unplug noticed")
        assert changes == [True, False]
        ui = UInput({ecodes.EV_KEY: keys}, name="aufruf-test-scanner")
        r.device = ui.device.path               # the by-id link would point at the new node
        assert r.connected.wait(5)
        type_code(ui)
        wait_until(lambda: len(got) == 2, what="the scan after the replug")
        assert got[-1] == Scan(code="AB12")
    finally:
        r.stop()
        ui.close()



from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

KEY_NAMES = sorted(n for n in ecodes.ecodes if n.startswith("KEY_"))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(KEY_NAMES), st.sampled_from([0, 1, 2]),
                          st.floats(min_value=0, max_value=3)), max_size=120))
def test_any_key_stream_gives_only_clean_codes_or_reasons(keys):
    dec = ScanDecoder()
    t = 0.0
    for name, value, dt in keys:
        t += dt
        for s in (dec.tick(t), dec.key(name, value, t)):
            if s is None:
                continue
            assert (s.code is None) != (s.error is None)
            if s.code is not None:
                assert len(s.code) <= MAX_CHARS and all(c.isalnum() or c == "-" for c in s.code)
