"""Helpers for the display tests: the model site, sample payloads, local times (import, not a conftest)."""

from __future__ import annotations

import datetime as dt

from aufruf import protocol



OPEN = dt.datetime(2026, 11, 25, 10, 30)      # a Wednesday, inside the opening hours
CLOSED = dt.datetime(2026, 11, 25, 20, 30)


def at(cfg, when: dt.datetime = OPEN) -> float:
    """A local time of the site as epoch seconds."""
    return when.replace(tzinfo=cfg.tz).timestamp()


def board(calls, waiting=None) -> dict:
    """A board payload from (number, desk) pairs, newest first."""
    return {"v": 1, "calls": [{"number": n, "desk": d, "at": 1_764_000_000_000 - i} for i, (n, d) in enumerate(calls)],
            "waiting": waiting if waiting is not None else {"K": 5, "N": 2}, "updated_at": 1_764_000_000_000}


def queue(k=(5, 12), n=(2, 25)) -> dict:
    return {"v": 1, "services": {"K": {"waiting": k[0], "eta_min": k[1], "open": True},
                                 "N": {"waiting": n[0], "eta_min": n[1], "open": True}},
            "updated_at": 1_764_000_000_000}


def call(cid, number="K017", desk="3", recall=False) -> dict:
    return {"v": 1, "id": cid, "number": number, "desk": desk, "service": number[0], "at": 1_764_000_000_000,
            "recall": recall}


TEN = [("K016", "1"), ("N004", "2"), ("K015", "3"), ("K014", "4"), ("N003", "1"),
       ("K013", "2"), ("K012", "3"), ("K011", "4"), ("N002", "1"), ("K010", "2")]


# the same, as the typed messages the display reads them into (for the model and renderer)
def board_msg(calls, waiting=None) -> protocol.Board:
    return protocol.Board.from_dict(board(calls, waiting))


def queue_msg(k=(5, 12), n=(2, 25)) -> protocol.QueueState:
    return protocol.QueueState.from_dict(queue(k, n))


def call_msg(cid, number="K017", desk="3", recall=False) -> protocol.CallEvent:
    return protocol.CallEvent.from_dict(call(cid, number, desk, recall))
