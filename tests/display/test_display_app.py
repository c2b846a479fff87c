"""The display app against a real Mosquitto: calls heard once, retained state at start, offline mark, bad input."""

import json
import time

import pygame
import pytest
from display_payloads import OPEN, TEN, board, call, queue

from aufruf.link import MqttLink
from display.app import DisplayApp
from display.render import OFFLINE_BG
from display.sound import SoundPlayer

SIZE = (1280, 720)


class Running:
    """A display app on the test's thread, with a clock fixed inside the opening hours."""

    def __init__(self, site, offline_after_s=10.0):
        cfg = site.cfg
        base = OPEN.replace(tzinfo=cfg.tz).timestamp()
        m0 = time.monotonic()
        self.clock = lambda: base + (time.monotonic() - m0)
        pygame.mixer.quit()
        self.sound = SoundPlayer(cfg, cfg.displays[0], wait_played=False)
        self.sound.start()
        self.surface = pygame.Surface(SIZE)
        self.app = DisplayApp(cfg, "hall", link_factory=MqttLink, surface=self.surface, sound=self.sound,
                              clock=self.clock, offline_after_s=offline_after_s)
        self.link = self.app.link
        self.link.start()

    def until(self, pred, timeout=5.0, what="condition"):
        deadline = time.monotonic() + timeout
        while not pred():
            if time.monotonic() > deadline:
                raise TimeoutError(f"display: no {what} within {timeout}s")
            self.app.step(0.05)

    def close(self):
        self.link.stop()
        self.sound.close()
        pygame.mixer.quit()


@pytest.fixture
def running(site):
    made = []

    def make(**kw):
        r = Running(site, **kw)
        made.append(r)
        return r
    yield make
    for r in made:
        r.close()


def chimes(r):
    return [e[1] for e in r.sound.log if e[0] == "chime"]


def test_call_chimes_and_speaks_once_repeats_are_ignored_and_recall_is_heard_again(site, running):
    probe = site.probe()
    r = running()
    r.until(r.link.is_connected, what="connection")
    probe.publish("call", call("c1", "K017", "3"))
    r.until(lambda: len(r.sound.log) == 3 and r.sound.wait_idle(0), timeout=10, what="chime and speech")
    assert [e[:2] for e in r.sound.log] == [("chime", "K017"), ("speech", "de"), ("speech", "en")]
    assert r.app.model.current_call().number == "K017" and r.app.model.highlighted(r.clock())
    # QoS 1 redelivery of the same call, then a queue update as a marker that both were handled
    probe.publish("call", call("c1", "K017", "3"))
    probe.publish("queue", queue(k=(4, 10)))
    r.until(lambda: "K" in r.app.model.queue, what="queue")
    assert r.app.rejected == 1 and chimes(r) == ["K017"]
    # a recall is announced again and marked
    probe.publish("call", call("c2", "K017", "3", recall=True))
    r.until(lambda: len(chimes(r)) == 2 and r.sound.wait_idle(0), timeout=10 + 4, what="recall")
    assert r.app.model.current_call().recall
    assert len([e for e in r.sound.log if e[0] == "speech"]) == 4


def test_restart_shows_the_retained_board_at_once_without_a_chime(site, running, tmp_path):
    probe = site.probe()
    probe.wait_ack(probe.publish("board", board(TEN), retain=True))
    probe.wait_ack(probe.publish("queue", queue(), retain=True))
    probe.wait_ack(probe.publish("call", call("old", "K016", "1")))      # an event from before: gone
    r = running()
    r.until(lambda: r.app.model.calls and r.app.model.queue, what="retained board and queue")
    r.app.step(0)
    pygame.image.save(r.surface, str(tmp_path / "restart.png"))
    assert r.app.model.current_call().number == "K016" and not r.app.model.highlighted(r.clock())
    assert r.sound.wait_idle(1) and r.sound.log == []
    # the same payloads rendered in-process give the same picture
    now = r.clock()
    expect = pygame.Surface(SIZE)
    other = DisplayApp(site.cfg, "hall", surface=expect, clock=lambda: now)
    other.model.set_connected(True, now)
    other.model.started_at = r.app.model.started_at
    for topic, payload in (("board", board(TEN)), ("queue", queue())):
        other.handle(f"aufruf/{site.site_id}/{topic}", json.dumps(payload).encode(), retained=True)
    other.draw(now)
    r.app.renderer.invalidate()
    r.app.draw(now)
    assert pygame.image.tobytes(r.surface, "RGB") == pygame.image.tobytes(expect, "RGB")


def offline_drawn(r):
    rect = r.app.renderer.layout.offline
    return any(tuple(r.surface.get_at((x, rect.centery)))[:3] == OFFLINE_BG for x in range(rect.left, rect.right, 3))


def test_offline_mark_after_the_broker_goes_and_gone_when_it_returns(site, running):
    probe = site.probe()
    probe.wait_ack(probe.publish("board", board(TEN), retain=True))
    r = running(offline_after_s=0.5)
    r.until(lambda: r.link.is_connected() and r.app.model.calls, what="board")
    r.app.step(0)
    assert not offline_drawn(r)
    number = r.app.renderer.spots["current.number"]
    before = pygame.image.tobytes(r.surface.subsurface(number), "RGB")
    probe.close()
    site.stop()
    r.until(lambda: r.app.model.offline(r.clock()) and offline_drawn(r), timeout=5, what="offline mark")
    assert pygame.image.tobytes(r.surface.subsurface(number), "RGB") == before      # the last board stays
    site.start()
    r.until(lambda: r.link.is_connected(), timeout=20, what="reconnect")
    r.until(lambda: not offline_drawn(r), timeout=2, what="mark gone")


BAD = [
    ("board", b"not json"),
    ("board", b'{"v":2,"calls":[],"waiting":{},"updated_at":1}'),
    ("board", b'{"v":1,"calls":"K017","waiting":{},"updated_at":1}'),
    ("board", b'{"v":1,"calls":[{"number":"K17","desk":"3","at":1}],"waiting":{},"updated_at":1}'),
    ("queue", b'{"v":1,"services":{"K":{"waiting":-1,"open":true}},"updated_at":1}'),
    ("queue", b'[1,2,3]'),
    ("call", b'{"v":1,"id":"x","number":"K017","desk":"3","service":"K","at":1}'),   # no recall flag
    ("call", b'{"v":1,"id":"y","number":"K017","desk":"../3","service":"K","at":1,"recall":false}'),
    ("call", b"\xff\xfe"),
    ("board", b'{"v":1,"pad":"' + b"x" * 5000 + b'"}'),
]


def test_bad_payloads_leave_the_screen_as_it_was(site, running):
    probe = site.probe()
    probe.wait_ack(probe.publish("board", board(TEN), retain=True))
    probe.wait_ack(probe.publish("queue", queue(), retain=True))
    r = running()
    r.until(lambda: r.app.model.calls and r.app.model.queue, what="retained state")
    r.app.step(0)
    shot = pygame.image.tobytes(r.surface, "RGB")
    for topic, raw in BAD:
        probe.publish(topic, raw, raw=True)
    r.until(lambda: r.app.rejected == len(BAD), what="bad payloads handled")
    assert r.app.step(0) == []
    assert pygame.image.tobytes(r.surface, "RGB") == shot
    assert r.sound.log == []
