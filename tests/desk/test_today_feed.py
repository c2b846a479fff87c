"""When the controller publishes stats/today (desk/today.py): a pure rule on an injected clock."""

from desk.today import EVERY_MS, OVERDUE, TodayFeed


def feed():
    sent = []
    f = TodayFeed(publish=sent.append, summarize=lambda now: ("summary", now))
    return f, sent


def test_due_once_something_was_handled_and_the_interval_passed():
    f, sent = feed()
    assert f.due(0, 1)                       # never published: the first handled message makes it due
    f.tick(0, 1)
    assert sent == [("summary", 0)]
    assert not f.due(EVERY_MS - 1, 5)        # too soon
    assert not f.due(EVERY_MS * 5, 1)        # nothing new handled
    assert f.due(EVERY_MS, 2)


def test_tick_publishes_only_when_due_or_forced():
    f, sent = feed()
    f.tick(0, 1)
    f.tick(1_000, 2)
    assert sent == [("summary", 0)]
    f.tick(1_000, 2, force=True)             # a reconnect, a new day
    assert sent[-1] == ("summary", 1_000)
    f.tick(1_000 + EVERY_MS, 3)
    assert sent[-1] == ("summary", 1_000 + EVERY_MS) and len(sent) == 3


def test_overdue_only_long_after_it_fell_due():
    """A load that never leaves the worker quiet still gets its figures, later."""
    f, _ = feed()
    f.tick(0, 1)
    assert f.due(EVERY_MS, 2) and not f.overdue(EVERY_MS, 2)
    assert not f.overdue(EVERY_MS * OVERDUE - 1, 2)
    assert f.overdue(EVERY_MS * OVERDUE, 2)
    assert not f.overdue(EVERY_MS * OVERDUE, 1)   # nothing new
