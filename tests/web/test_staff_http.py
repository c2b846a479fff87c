"""The staff pages over real HTTP, against a real Mosquitto with the provisioned passwd and ACL and
the real desk controller: sessions, sign-in throttling, CSRF, and the broker deciding who commands what."""

import pytest

from desk.app import DeskService
from staffclient import Browserless
from webservers import WebSite, WebThread


@pytest.fixture
def office(tmp_path):
    site = WebSite(tmp_path, extra="staff_idle_min = 1\n")
    desk = DeskService(site.cfg, "main", str(site.data), keypads=False)
    desk.start()
    web = WebThread(site)
    web.url = site.url
    yield site, web
    web.stop()
    desk.stop()
    site.stop()


def test_sign_in_sets_a_strict_httponly_cookie_and_the_panel_commands_its_counter(office):
    site, web = office
    kiosk = site.probe("kiosk-entrance", subscriptions=("kiosk/entrance/ticket",))
    kiosk.request("kiosk/entrance/request", "kiosk/entrance/ticket", {"v": 1, "id": "r1", "service": "K"})
    b = Browserless(web.url)
    status, headers, _ = b.sign_in("desk", site.password("panel-2"), desk="2")
    assert status == 303 and headers["Location"] == "/desk"
    cookie = headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    assert site.password("panel-2") not in cookie
    data = b.page_data("/desk")
    assert data["view"]["label"] == "Schalter 2"
    status, out = b.command(data["csrf"], action="next")
    assert (status, out["ok"], out["ticket"]) == (200, True, "K001")
    status, out = b.command(data["csrf"], action="next")
    assert (status, out["ok"], out["error"]) == (200, False, "queue empty")


def test_counter_3_cannot_act_for_counter_1_even_by_hand(office):
    site, web = office
    watcher = site.probe("controller-main", subscriptions=("desk/+/command", "desk/+/reply", "call"))
    b = Browserless(web.url)
    assert b.sign_in("desk", site.password("panel-3"), desk="3")[0] == 303
    csrf = b.page_data("/desk")["csrf"]
    start = watcher.mark()
    status, out = b.command(csrf, action="pause", desk="1")        # a hand-made request for another counter
    assert status == 403 and out["ok"] is False
    assert out["error"] == "not allowed: this sign-in (panel-3) may not command desk 1"
    status, out = b.command(csrf, action="pause")                  # its own counter works
    assert status == 200 and out["ok"] is True
    watcher.wait_for("desk/3/reply", lambda m: m.get("ok") is True, start=start)
    assert [t for t, _, _ in watcher.messages[start:] if t.startswith("desk/1/")] == []
    state = site.probe("controller-main", subscriptions=("desk/1/state",)).wait_for("desk/1/state")
    assert state["status"] == "idle"


def test_wrong_password_is_refused_and_slows_the_next_try(office):
    site, web = office
    b = Browserless(web.url)
    status, _, text = b.sign_in("desk", "not-the-password", desk="2")
    assert status == 401 and "Falsches Passwort" in text and "not-the-password" not in text
    status, _, text = b.sign_in("desk", site.password("panel-2"), desk="2")   # right, but too soon
    assert status == 429 and "warten" in text
    assert "Set-Cookie" not in b.request("GET", "/desk")[1]
    staff = _staff(web)
    assert web.run(lambda: staff.limiter.failures(user="panel-2")) == 1
    # other counters from another address are not slowed by it
    other = Browserless(web.url)
    assert web.run(lambda: staff.limiter.wait_s("panel-4", "10.9.9.9")) == 0
    assert other.sign_in("office", "wrong")[0] == 429   # the same address (127.0.0.1) is slowed, too


def test_actions_need_the_session_its_csrf_token_and_our_origin(office):
    site, web = office
    b = Browserless(web.url)
    assert b.command("x", action="next") == (401, {"ok": False, "error": "signed out"})
    assert b.sign_in("desk", site.password("panel-1"), desk="1", origin="http://evil.example")[0] == 403
    assert b.sign_in("desk", site.password("panel-1"), desk="1")[0] == 303
    csrf = b.page_data("/desk")["csrf"]
    status, out = b.command(None, action="next")
    assert status == 403 and "CSRF" in out["error"]
    status, out = b.command(csrf[:-1] + "x", action="next")
    assert status == 403 and "CSRF" in out["error"]
    status, _, _ = b.request("POST", "/desk/command", b'{"action":"next"}',
                             {"Content-Type": "application/json", "X-CSRF-Token": csrf, "Origin": web.url})
    assert status == 403                                       # no X-Requested-With: a cross-site form
    status, out = b.command(csrf, action="explode")
    assert status == 400 and "unknown action" in out["error"]
    # sign-out ends the session and its broker login at once
    status, _, _ = b.request("POST", "/staff/signout", f"csrf={csrf}".encode(),
                             {"Origin": web.url, "Content-Type": "application/x-www-form-urlencoded"})
    assert status == 303
    assert b.command(csrf, action="next")[0] == 401
    assert web.run(lambda: len(_staff(web).sessions)) == 0


def test_public_pages_show_no_staff_data_and_office_needs_the_supervisor(office):
    site, web = office
    b = Browserless(web.url)
    status, _, text = b.request("GET", "/office")
    assert status == 200 and 'id="signin"' in text and "csrf" not in text
    assert b.sign_in("office", site.password("panel-1"))[0] == 401     # a panel password is not the supervisor's
    assert b.sign_in("office", site.password("supervisor"))[0] == 429  # slowed after that failure
    staff = _staff(web)
    web.run(lambda: staff.limiter._counts.clear())
    assert b.sign_in("office", site.password("supervisor"))[0] == 303
    v = b.page_data("/office")["view"]
    assert [d["id"] for d in v["desks"]] == ["1", "2", "3", "4"]
    assert b.command(b.page_data("/office")["csrf"], action="next")[0] == 401   # an office session has no counter
    status, _, board = Browserless(web.url).request("GET", "/")
    assert status == 200 and site.password("supervisor") not in board and "csrf" not in board


def test_idle_sessions_end_and_close_their_broker_login(office):
    site, web = office
    b = Browserless(web.url)
    assert b.sign_in("desk", site.password("panel-4"), desk="4")[0] == 303
    staff = _staff(web)
    [s] = web.run(lambda: list(staff.sessions))
    link = s.live.link
    assert link.connected
    web.run(lambda: setattr(s, "last_used", s.last_used - 61))   # a minute without use (staff_idle_min = 1)
    from probe import wait_until
    wait_until(lambda: not link.link.is_connected(), 5, "the idle session's MQTT login to close")
    assert b.command(s.csrf, action="next")[0] == 401


def _staff(web):
    from web.staff import STAFF
    return web.server.runner.app[STAFF]


def test_over_tls_the_cookie_is_secure_and_host_only(tmp_path):
    from aufruf import sitetls
    tls = sitetls.ensure(tmp_path / "tls", "jc-mitte", ("127.0.0.1", "localhost"))
    site = WebSite(tmp_path / "site", extra=f'tls_cert = "{tls.server_cert}"\ntls_key = "{tls.server_key}"\n')
    web = WebThread(site)
    try:
        b = Browserless(site.url.replace("http://", "https://"), ca_file=str(tls.ca_cert))
        status, headers, _ = b.sign_in("desk", site.password("panel-1"), desk="1")
        assert status == 303
        cookie = headers["Set-Cookie"]
        assert cookie.startswith("__Host-aufruf-staff=") and "Secure" in cookie and "HttpOnly" in cookie
        assert "Domain" not in cookie and "Path=/" in cookie and "SameSite=Strict" in cookie
        assert b.page_data("/desk")["view"]["label"] == "Schalter 1"
    finally:
        web.stop()
        site.stop()


def test_every_button_of_the_panel_and_its_refusals_in_words(office):
    site, web = office
    kiosk = site.probe("kiosk-entrance", subscriptions=("kiosk/entrance/ticket",))
    for i, service in enumerate("KKKN"):   # K001 K002 K003 N001
        kiosk.request("kiosk/entrance/request", "kiosk/entrance/ticket", {"v": 1, "id": f"r{i}", "service": service})
    b = Browserless(web.url)
    assert b.sign_in("desk", site.password("panel-1"), desk="1")[0] == 303
    csrf = b.page_data("/desk")["csrf"]

    def press(action, **extra):
        status, out = b.command(csrf, action=action, **extra)
        assert status == 200, out
        return out.get("ticket") if out["ok"] else f"refused: {out['error']}"
    steps = [("recall", {}), ("next", {}), ("recall", {}), ("noshow", {}), ("call", {"number": "K003"}),
             ("call", {"number": "K003"}), ("transfer", {"service": "N"}), ("next", {}), ("done", {}),
             ("pause", {}), ("next", {}), ("resume", {}), ("next", {})]
    assert [press(a, **kw) for a, kw in steps] == [
        "refused: desk 1 has no current ticket", "K001", "K001", "K001", "K003",
        "refused: K003 is already called at desk 1",
        "K003",        # back to waiting, in the N line, with its own issue time
        "K002",        # the longest wait among K and N now
        "K002", None, "refused: desk 1 is paused", None,
        "K003"]        # issued before N001: first in the N line
    status, out = b.command(csrf, action="call", number="17")
    assert status == 400 and "ticket number like K017" in out["error"]


def test_a_broker_outage_is_shown_and_no_press_is_kept_for_later(office):
    from probe import wait_until
    site, web = office
    b = Browserless(web.url)
    assert b.sign_in("desk", site.password("panel-2"), desk="2")[0] == 303
    csrf = b.page_data("/desk")["csrf"]
    [s] = web.run(lambda: list(_staff(web).sessions))
    site.stop()
    wait_until(lambda: not s.live.link.connected, 10, "the session to see the broker gone")
    assert b.page_data("/desk")["view"]["broker_online"] is False
    status, out = b.command(csrf, action="pause")
    assert status == 200 and out == {"ok": False, "action": "pause", "desk": "2",
                                     "error": "no connection to the broker: not sent"}
    site.start()
    wait_until(lambda: s.live.link.connected, 20, "the session's login to come back")
    watcher = site.probe("controller-main", subscriptions=("desk/2/state",))
    assert watcher.wait_for("desk/2/state")["status"] == "idle"      # the refused press never happened
    status, out = b.command(csrf, action="pause")
    assert status == 200 and out["ok"] is True
