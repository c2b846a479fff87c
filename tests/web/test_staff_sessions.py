"""Staff sessions and sign-in throttling: the pure rules, with an injected clock."""

import pytest

from web.sessions import SessionError, SessionStore
from web.signin_limit import SignInLimiter


class Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


def test_session_times_out_after_idle_and_use_keeps_it_alive():
    clock = Clock()
    store = SessionStore(clock, idle_s=30 * 60)
    s = store.create("panel-3", "desk", "3")
    clock.t += 29 * 60
    assert store.get(s.id) is s                  # used: the idle time starts again
    clock.t += 29 * 60
    assert store.get(s.id, touch=False) is s     # the event stream does not count as use
    clock.t += 2 * 60
    assert store.get(s.id) is None
    assert [x.id for x in store.expired()] == [s.id]
    assert len(store) == 0


def test_ids_and_csrf_tokens_are_random_and_checked():
    store = SessionStore(Clock())
    a, b = store.create("panel-1", "desk", "1"), store.create("panel-1", "desk", "1")
    assert a.id != b.id and a.csrf != b.csrf and len(a.id) >= 40
    store.check_csrf(a, a.csrf)
    for wrong in (None, "", b.csrf, a.csrf + "x", "ä"):
        with pytest.raises(SessionError, match="CSRF"):
            store.check_csrf(a, wrong)
    assert store.get("made-up") is None and store.get(None) is None


def test_sign_out_removes_at_once_and_the_store_is_bounded():
    store = SessionStore(Clock(), max_sessions=2)
    a = store.create("supervisor", "office")
    store.create("panel-2", "desk", "2")
    with pytest.raises(SessionError, match="too many"):
        store.create("panel-3", "desk", "3")
    assert store.remove(a.id) is a and store.get(a.id) is None
    store.create("panel-3", "desk", "3")


def test_wrong_passwords_grow_the_delay_per_user_and_per_address():
    clock = Clock()
    lim = SignInLimiter(clock, base_s=1.0, max_s=60.0)
    assert lim.wait_s("panel-2", "10.0.0.5") == 0
    delays = [lim.failed("panel-2", "10.0.0.5") for _ in range(8)]
    assert delays == [1, 2, 4, 8, 16, 32, 60, 60]
    assert lim.wait_s("panel-2", "10.0.0.9") == 60     # the same user from elsewhere
    assert lim.wait_s("panel-4", "10.0.0.5") == 60     # another user from the same address
    assert lim.wait_s("panel-4", "10.0.0.9") == 0
    clock.t += 59
    assert lim.wait_s("panel-2", "10.0.0.5") == pytest.approx(1)
    clock.t += 1
    assert lim.wait_s("panel-2", "10.0.0.5") == 0


def test_success_clears_the_user_but_not_the_address():
    clock = Clock()
    lim = SignInLimiter(clock)
    lim.failed("panel-2", "10.0.0.5")
    lim.failed("panel-2", "10.0.0.5")
    clock.t += 10
    lim.succeeded("panel-2")
    assert lim.failures(user="panel-2") == 0
    assert lim.failures(address="10.0.0.5") == 2
    lim.failed("panel-3", "10.0.0.5")                  # the address keeps growing: 3rd failure, 4 s
    assert lim.wait_s("panel-3", "10.0.0.7") == 1      # the user only had one
    assert lim.wait_s("panel-9", "10.0.0.5") == 4


def test_counts_are_forgotten_and_memory_is_bounded():
    clock = Clock()
    lim = SignInLimiter(clock, forget_s=600, max_entries=100)
    lim.failed("panel-1", "10.0.0.1")
    clock.t += 601
    assert lim.failures(user="panel-1") == 0
    for i in range(500):
        lim.failed(f"guess-{i}", f"10.1.{i // 250}.{i % 250}")
    assert len(lim._counts) <= 100
