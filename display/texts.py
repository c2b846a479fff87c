"""The board's words, from the site's text catalogues (:mod:`aufruf.texts`).

The board shows every fixed phrase in the first language and, beside it, one
secondary language at a time: the secondary languages take turns every
``displays.rotate_s`` seconds, so a board with eleven languages stays as calm
as one with two. The called number and the counter never rotate.
Dates are written here too, without the C library's locale (a display Pi
usually has only one locale installed).
"""

from __future__ import annotations

import datetime as dt

from aufruf.config import Display, SiteConfig
from aufruf.texts import Catalogue, for_site, shown_desk

SEP = " · "


class BoardTexts:
    """The phrases one display shows, in its languages, with the rotation of the secondary ones."""

    def __init__(self, cfg: SiteConfig, display: Display, catalogue: Catalogue | None = None):
        self.cfg = cfg
        self.cat = catalogue or for_site(cfg)
        self.langs = display.languages or cfg.languages
        self.first = self.langs[0]
        self.rotate_s = display.rotate_s

    def secondary(self, now: float) -> str | None:
        """The secondary language shown at ``now`` (None for a one-language board)."""
        others = self.langs[1:]
        if not others:
            return None
        return others[int(max(0.0, now) // self.rotate_s) % len(others)]

    def shown(self, now: float) -> tuple[str, ...]:
        second = self.secondary(now)
        return (self.first,) if second is None else (self.first, second)

    def label(self, key: str, now: float, **kw: object) -> str:
        """``Aufruf · Çağrılan``: the phrase in the first and the current secondary language."""
        return SEP.join(t for _, t in self.cat.texts(f"board.{key}", self.shown(now), **kw))

    def isolated(self, key: str, langs: tuple[str, ...], **kw: object) -> str:
        """The phrase in ``langs`` joined by `` · ``, each part a bidi isolate (U+2068 .. U+2069):
        an Arabic part keeps its own direction beside a German one, full stops included."""
        return SEP.join(f"\u2068{t}\u2069" for _, t in self.cat.texts(f"board.{key}", langs, **kw))

    def text(self, lang: str, key: str, **kw: object) -> str:
        return self.cat.text(lang, f"board.{key}", **kw)

    def desk(self, desk_id: str, lang: str) -> str:
        """A counter's label: the site file's, else the catalogue's ``Schalter 3`` / ``Gişe 3``."""
        return shown_desk(self.cfg, self.cat, desk_id, lang)

    def service(self, key: str, lang: str) -> str:
        s = self.cfg.service(key)
        return s.name(lang) if s else key

    def rtl(self, lang: str) -> bool:
        return self.cat.rtl(lang)

    def long_date(self, day: dt.date, lang: str) -> str:
        return self.cat.long_date(day, lang)

    def opening_lines(self, hours, lang: str) -> list[str]:
        return self.cat.opening_lines(hours, lang)


# one-off helpers (tests, the demo panel): a catalogue of just the languages asked for

def label(lang: str, key: str, **kw: object) -> str:
    """A fixed word of the board in ``lang``."""
    return Catalogue((lang,)).text(lang, f"board.{key}", **kw)


def labels(langs: tuple[str, ...], key: str, sep: str = SEP, **kw: object) -> str:
    """The same word in each language, without repeating identical words ("offline")."""
    return sep.join(t for _, t in Catalogue(langs).texts(f"board.{key}", langs, **kw))


def closed_line(langs: tuple[str, ...], closed: str, note: str | None,
                reasons: dict[str, dict[str, str]]) -> str:
    """A closed service's line on the board: "closed" outside the hours, else "no more tickets today"
    with the staff's reason (a key of the site's [issuing.reasons]) in each language."""
    if closed == "hours":
        return labels(langs, "service_closed")
    out: list[str] = []
    for lang in langs:
        text = label(lang, "closed_today")
        why = reasons.get(note or "", {})
        if why:
            text += f" ({why.get(lang) or next(iter(why.values()))})"
        if text not in out:
            out.append(text)
    return " · ".join(out)


def long_date(day: dt.date, lang: str) -> str:
    """``Mittwoch, 25. November 2026`` / ``Wednesday, 25 November 2026``."""
    return Catalogue((lang,)).long_date(day, lang)


def opening_lines(hours: dict[str, tuple[tuple[dt.time, dt.time], ...]] | None, lang: str) -> list[str]:
    """Opening hours as lines, consecutive days with equal hours joined: ``Mo–Fr  08:00–18:00``."""
    return Catalogue((lang,)).opening_lines(hours, lang)
