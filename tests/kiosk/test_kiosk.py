"""The kiosk against a real Mosquitto, with a probe playing the desk controller (controller-main).

Buttons are gpiozero MockFactory pins (pressed with drive_low), the printer is
python-escpos's Dummy answering status queries, every wait is for a message
or a state with a timeout.
"""

from __future__ import annotations

import time

from printers import StatusDummy
from probe import wait_until

from kiosk import panel

BUTTON_K, BUTTON_N, LED = 17, 18, 27




def blink_period(pin, edges=6, timeout=5.0) -> float:
    """The LED pin's median time between state changes, from MockPin's recorded states."""
    pin.clear_states()
    wait_until(lambda: len(pin.states) > edges, timeout, "the LED to blink")
    gaps = sorted(s.timestamp for s in pin.states[2:])   # MockPin records the time since the previous change
    return gaps[len(gaps) // 2]


def answer(probe, req, number="K017", ahead=4, eta=12, ok=True):
    body = {"v": 1, "id": req["id"], "ok": ok}
    if ok:
        body["ticket"] = {"number": number, "service": req["service"], "issued_at": int(time.time() * 1000),
                          "ahead": ahead, "eta_min": eta}
    else:
        body["error"] = "service closed"
    probe.publish("kiosk/entrance/ticket", body)


def test_press_requests_prints_and_reports(site, make_kiosk, pins):
    probe = site.probe()
    printer = StatusDummy()
    printed = []
    k = make_kiosk(printer, on_printed=lambda n, b: printed.append((n, b)))
    wait_until(lambda: k.led_mode == panel.READY, what="LED ready")
    assert pins.pin(LED).state is True
    st = probe.wait_for("status/kiosk/entrance", lambda b: b.get("online"))
    assert st["printer"] == "ok"

    pins.pin(BUTTON_K).drive_low()
    req = probe.wait_for("kiosk/entrance/request")
    assert req["service"] == "K" and req["v"] == 1 and req["id"].startswith("entrance-")
    answer(probe, req, "K017", ahead=4)
    rep = probe.wait_for("kiosk/entrance/printed")
    assert rep == {"v": 1, "id": req["id"], "number": "K017", "ok": True}
    out = printer.output
    assert b"K017" in out and b"Ahead of you: 4" in out and out.endswith(b"\x1dVB\x00")
    wait_until(lambda: printed, what="on_printed")
    assert printed[0][0] == "K017" and printed[0][1] in out
    from kiosk.render import render_image
    assert render_image(k.last_layout).height > 400          # what the demo shows as "the last ticket"
    pins.pin(BUTTON_K).drive_high()


def test_bounce_and_hold_give_one_request_hold_5s_gives_a_test_print(site, make_kiosk, pins):
    probe = site.probe()
    printer = StatusDummy()
    clock = FakeClock()
    k = make_kiosk(printer, clock=clock)
    btn = pins.pin(BUTTON_N)
    btn.drive_low()
    for _ in range(5):                      # contact bounce
        btn.drive_high()
        btn.drive_low()
    req = probe.wait_for("kiosk/entrance/request")
    answer(probe, req, "N001")
    probe.wait_for("kiosk/entrance/printed")
    clock.advance(4.9)
    k.poke()
    clock.advance(0.2)                      # held 5.1 s in all
    k.poke()
    wait_until(lambda: k.last_ticket and k.last_ticket[0] is None, what="test print")
    btn.drive_high()
    assert len(probe.all("kiosk/entrance/request")) == 1
    assert b"TESTDRUCK / TEST PRINT" in printer.output
    assert printer.output.count(b"\x1dVB\x00") == 2


class FakeClock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t

    def advance(self, s):
        self.t += s


def test_paper_out_takes_no_number_and_refill_is_noticed(site, make_kiosk, pins):
    probe = site.probe()
    printer = StatusDummy()
    printer.paper = 0
    k = make_kiosk(printer)
    st = probe.wait_for("status/kiosk/entrance", lambda b: b.get("printer") == "paper_out")
    assert st["online"] is True
    wait_until(lambda: k.led_mode == panel.FAULT, what="fault LED")
    assert blink_period(pins.pin(LED)) < 0.15               # fast blinking
    mark = probe.mark()
    pins.pin(BUTTON_K).drive_low()
    pins.pin(BUTTON_K).drive_high()
    wait_until(lambda: k.refused_presses == 1, what="the press refused")
    printer.paper = 2                        # refilled: noticed by the periodic re-check, no restart
    probe.wait_for("status/kiosk/entrance", lambda b: b.get("printer") == "ok", start=mark, timeout=6)
    assert probe.all("kiosk/entrance/request") == []
    wait_until(lambda: k.led_mode == panel.READY, what="LED ready after refill")
    assert pins.pin(LED).state is True


def test_paper_low_still_prints_with_a_warning_status(site, make_kiosk, pins):
    probe = site.probe()
    printer = StatusDummy()
    printer.paper = 1
    make_kiosk(printer)
    probe.wait_for("status/kiosk/entrance", lambda b: b.get("printer") == "paper_low")
    pins.pin(BUTTON_K).drive_low()
    req = probe.wait_for("kiosk/entrance/request")
    answer(probe, req, "K002")
    assert probe.wait_for("kiosk/entrance/printed")["ok"] is True


def test_print_failure_after_issue_is_reported_for_voiding(site, make_kiosk, pins):
    probe = site.probe()
    printer = StatusDummy()
    k = make_kiosk(printer)
    pins.pin(BUTTON_K).drive_low()
    req = probe.wait_for("kiosk/entrance/request")
    printer.fail_writes = True               # the printer dies after the number was issued
    answer(probe, req, "K003")
    rep = probe.wait_for("kiosk/entrance/printed")
    assert rep["ok"] is False and rep["number"] == "K003" and rep["id"] == req["id"]
    probe.wait_for("status/kiosk/entrance", lambda b: b.get("printer") == "offline")
    wait_until(lambda: k.led_mode == panel.FAULT, what="fault LED")


def test_controller_silent_no_ticket_fault_same_id_retried_then_printed(site, make_kiosk, pins):
    probe = site.probe()
    printer = StatusDummy()
    clock = FakeClock()
    k = make_kiosk(printer, clock=clock)
    pins.pin(BUTTON_K).drive_low()
    first = probe.wait_for("kiosk/entrance/request")
    wait_until(lambda: k.led_mode == panel.BUSY, what="busy LED")
    assert 0.15 < blink_period(pins.pin(LED), edges=4) < 0.4  # slow blinking while waiting
    # nobody answers: after request_timeout_s the fault shows and the same id is sent again
    mark = probe.mark()
    clock.advance(k.kcfg.request_timeout_s)
    k.poke()
    again = probe.wait_for("kiosk/entrance/request", start=mark)
    assert again == first
    wait_until(lambda: k.led_mode == panel.FAULT, what="fault LED")
    pins.pin(BUTTON_K).drive_high()
    assert printer.tickets == []
    # another press of the same button while the first waits takes nothing new
    clock.advance(k.kcfg.min_gap_s + 0.5)
    pins.pin(BUTTON_K).drive_low()
    wait_until(lambda: k.absorbed_presses == 1, what="second press absorbed")
    answer(probe, first, "K004")
    assert probe.wait_for("kiosk/entrance/printed")["number"] == "K004"
    assert {r["id"] for r in probe.all("kiosk/entrance/request")} == {first["id"]}
    wait_until(lambda: k.led_mode == panel.READY, what="LED ready again")
    assert printer.output.count(b"K004") == 1


def test_late_answer_is_voided_not_printed(site, make_kiosk, pins):
    probe = site.probe()
    printer = StatusDummy()
    clock = FakeClock()
    k = make_kiosk(printer, clock=clock)
    pins.pin(BUTTON_K).drive_low()
    req = probe.wait_for("kiosk/entrance/request")
    clock.advance(k.kcfg.late_print_s + 1)
    answer(probe, req, "K005")
    rep = probe.wait_for("kiosk/entrance/printed")
    assert rep["ok"] is False and rep["number"] == "K005"
    assert b"K005" not in printer.output


def test_refused_request_and_garbage_replies_change_nothing(site, make_kiosk, pins):
    probe = site.probe()
    printer = StatusDummy()
    k = make_kiosk(printer)
    for junk in (b"not json", b"[1,2]", b'{"v":2,"id":"x"}', b'{"v":1,"id":"x","ok":true}'):
        probe.publish("kiosk/entrance/ticket", junk, raw=True)
    pins.pin(BUTTON_N).drive_low()
    req = probe.wait_for("kiosk/entrance/request")
    answer(probe, req, ok=False)
    wait_until(lambda: k.led_mode == panel.FAULT, what="fault after refusal")
    wait_until(lambda: k.led_mode == panel.READY, timeout=5, what="ready after refusal")
    assert probe.all("kiosk/entrance/printed") == []
    assert k._thread.is_alive() and printer.tickets == []


def test_broker_gone_shows_fault_and_a_press_meanwhile_is_served_after_it_returns(site, make_kiosk, pins):
    printer = StatusDummy()
    k = make_kiosk(printer)
    site.stop()
    wait_until(lambda: k.led_mode == panel.FAULT, what="fault without the broker")
    pins.pin(BUTTON_K).drive_low()          # a customer presses while the broker is away
    pins.pin(BUTTON_K).drive_high()
    wait_until(lambda: k.book.pending, what="the request kept")
    site.start()
    probe = site.probe()
    req = probe.wait_for("kiosk/entrance/request", timeout=40)   # sent again after the reconnect
    answer(probe, req, "K006")
    assert probe.wait_for("kiosk/entrance/printed")["number"] == "K006"
    wait_until(lambda: k.led_mode == panel.READY, what="ready after the broker returned")
    assert printer.output.count(b"K006") == 1


def test_waiting_for_the_broker_with_a_request_open_does_not_spin(site, make_kiosk, pins):
    import resource
    k = make_kiosk(StatusDummy())
    site.stop()
    wait_until(lambda: not k.link.is_connected(), what="link down")
    pins.pin(BUTTON_K).drive_low()
    wait_until(lambda: k.book.pending, what="the request kept")
    wait_until(lambda: k.book.overdue(time.monotonic()), what="the retry deadline to pass")
    before = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.monotonic()
    time.sleep(1.5)                            # past the retry deadline, broker still away: the worker idles
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    assert cpu < 0.3 * (time.monotonic() - t0)    # a spinning worker would burn a whole core
