"""The text catalogues: every fixed phrase of the board, the speech, the ticket and the web pages.

One TOML file per language (``aufruf/data/lang/<code>.toml``: de, en, tr, ar,
uk, ru, fa, ro, bg, pl, fr are shipped). A site can override phrases or add a
language without touching code: ``site.lang_dir`` names a directory whose
``<code>.toml`` files are laid over the shipped ones, key by key. ``de.toml``
is the reference: its keys are the phrases the devices use.

A phrase missing in a language falls back to the site's first language (then
to English, which is complete); :meth:`Catalogue.missing` lists what falls
back, for ``aufruf check-config``. Keys are ``section.name``: ``board.call``,
``speech.call``, ``ticket.ahead``.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from .errors import ConfigError

SHIPPED_DIR = Path(__file__).resolve().parent / "data" / "lang"
REFERENCE = "de"
LAST_RESORT = "en"
SECTIONS = ("meta", "board", "speech", "ticket", "web")
LISTS = {"board.weekdays": 7, "board.weekdays_short": 7, "board.months": 12, "speech.digits": 10}


@dataclass(frozen=True)
class Language:
    """One language's phrases (flattened to ``section.key``) and where they came from."""

    code: str
    phrases: dict[str, Any]
    sources: tuple[str, ...] = field(default_factory=tuple)

    @property
    def name(self) -> str:
        return str(self.phrases.get("meta.name", self.code))

    @property
    def rtl(self) -> bool:
        return self.phrases.get("meta.direction") == "rtl"

    @property
    def script(self) -> str:
        return str(self.phrases.get("meta.script", "Latn"))

    @property
    def voice(self) -> str:
        return str(self.phrases.get("meta.voice", self.code))


def _flatten(raw: dict, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in raw.items():
        key = f"{prefix}.{k}" if prefix else k
        # a table of words (speech.letters) stays one phrase; sections are flattened
        if isinstance(v, dict) and not prefix:
            out.update(_flatten(v, key))
        else:
            out[key] = v
    return out


def _read(path: Path) -> dict[str, Any]:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise ConfigError(str(path), [f"cannot read the text catalogue: {e.strerror or e}"]) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(str(path), [f"not a valid TOML text catalogue: {e}"]) from None
    problems = [f"{k}: unknown section; allowed: {', '.join(SECTIONS)}" for k in raw if k not in SECTIONS]
    problems += [f"{k}: must be a table" for k in raw if k in SECTIONS and not isinstance(raw[k], dict)]
    if problems:
        raise ConfigError(str(path), problems)
    flat = _flatten(raw)
    for key, value in flat.items():
        if key in LISTS:
            n = LISTS[key]
            if not (isinstance(value, list) and len(value) == n and all(isinstance(x, str) for x in value)):
                problems.append(f"{key}: got {value!r}; allowed: a list of {n} texts")
        elif key == "speech.letters":
            if not (isinstance(value, dict) and all(isinstance(x, str) for x in value.values())):
                problems.append(f"{key}: allowed: a table of letters, e.g. K = \"ka\"")
        elif not isinstance(value, str):
            problems.append(f"{key}: got {value!r}; allowed: a text")
        elif key == "meta.direction" and value not in ("ltr", "rtl"):
            problems.append(f"{key}: got {value!r}; allowed: ltr | rtl")
    if problems:
        raise ConfigError(str(path), problems)
    return flat


def shipped_languages() -> tuple[str, ...]:
    """The language codes that come with aufruf."""
    return tuple(sorted(p.stem for p in SHIPPED_DIR.glob("*.toml")))


def problems(languages: tuple[str, ...], lang_dir: str | Path | None) -> list[str]:
    """Every problem in the catalogues of ``languages`` (file: key: what), for the site check."""
    out = []
    for code in languages:
        try:
            _language(code, str(lang_dir) if lang_dir else None)
        except ConfigError as e:
            out += [f"{e.path}: {p}" for p in e.problems]
    return out


def available(lang_dir: str | Path | None = None) -> tuple[str, ...]:
    """Every language a site can use: the shipped ones plus those in ``lang_dir``."""
    codes = set(shipped_languages())
    if lang_dir is not None and Path(lang_dir).is_dir():
        codes.update(p.stem for p in Path(lang_dir).glob("*.toml"))
    return tuple(sorted(codes))


@lru_cache(maxsize=64)
def _language(code: str, lang_dir: str | None) -> Language:
    phrases: dict[str, Any] = {}
    sources = []
    for base in (SHIPPED_DIR, Path(lang_dir) if lang_dir else None):
        if base is None:
            continue
        path = base / f"{code}.toml"
        if path.is_file():
            phrases.update(_read(path))
            sources.append(str(path))
    return Language(code, phrases, tuple(sources))


class Catalogue:
    """The phrases of a site's languages, with the fallback to the first language."""

    def __init__(self, languages: tuple[str, ...] | list[str], lang_dir: str | Path | None = None):
        self.languages = tuple(languages) or (REFERENCE,)
        self.lang_dir = str(lang_dir) if lang_dir else None
        self.first = self.languages[0]

    def language(self, code: str) -> Language:
        return _language(code, self.lang_dir)

    def raw(self, lang: str, key: str) -> Any:
        """The phrase as stored (a string, a list or a table), following the fallback chain."""
        for code in (lang, self.first, LAST_RESORT, REFERENCE):
            value = self.language(code).phrases.get(key)
            if value is not None:
                return value
        raise KeyError(key)

    def text(self, lang: str, key: str, **kw: object) -> str:
        """A phrase in ``lang`` with its placeholders filled in."""
        value = self.raw(lang, key)
        text = str(value)
        if kw:
            try:
                return text.format(**kw)
            except (KeyError, IndexError, ValueError):
                # an office's catalogue with a broken placeholder: fall back rather than crash
                return str(self.language(LAST_RESORT).phrases.get(key, text)).format(**kw)
        return text

    def texts(self, key: str, langs: tuple[str, ...] | None = None, **kw: object) -> list[tuple[str, str]]:
        """(language, phrase) for each language, identical phrases only once."""
        out: list[tuple[str, str]] = []
        seen: set[str] = set()
        for lang in langs or self.languages:
            t = self.text(lang, key, **kw)
            if t and t not in seen:
                seen.add(t)
                out.append((lang, t))
        return out

    def rtl(self, lang: str) -> bool:
        return self.language(lang).rtl

    def script(self, lang: str) -> str:
        return self.language(lang).script

    def voice(self, lang: str) -> str:
        return self.language(lang).voice

    def missing(self) -> dict[str, list[str]]:
        """Per site language, the reference keys it lacks (and so shows in the first language)."""
        ref = [k for k in self.language(REFERENCE).phrases if not k.startswith("meta.")]
        out: dict[str, list[str]] = {}
        for code in self.languages:
            lang = self.language(code)
            gaps = [k for k in ref if k not in lang.phrases]
            if gaps:
                out[code] = gaps
        return out

    # ------------------------------------------------------------ dates, without the C locale

    def long_date(self, day: dt.date, lang: str) -> str:
        """``Mittwoch, 25. November 2026`` / ``Wednesday, 25 November 2026`` / ..."""
        weekdays, months = self.raw(lang, "board.weekdays"), self.raw(lang, "board.months")
        return self.text(lang, "board.date", weekday=weekdays[day.weekday()], day=day.day,
                         month=months[day.month - 1], year=day.year)

    def opening_lines(self, hours: dict[str, tuple[tuple[dt.time, dt.time], ...]] | None,
                      lang: str) -> list[str]:
        """Opening hours as lines, consecutive days with equal hours joined: ``Mo–Fr  08:00–18:00``."""
        if not hours:
            return []
        order = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        names = self.raw(lang, "board.weekdays_short")
        spans = [", ".join(f"{a:%H:%M}–{b:%H:%M}" for a, b in hours.get(d, ())) for d in order]
        lines, i = [], 0
        while i < 7:
            j = i
            while j + 1 < 7 and spans[j + 1] == spans[i]:
                j += 1
            if spans[i]:
                days = names[i] if i == j else f"{names[i]}–{names[j]}"
                lines.append(f"{days}  {spans[i]}")
            i = j + 1
        return lines

    # ------------------------------------------------------------ speech

    def spoken_number(self, number: str, lang: str) -> str:
        """``K017`` as a customer reads it off the ticket: letter by letter, digit by digit.

        Languages with ``speech.letters`` / ``speech.digits`` (Arabic, Farsi, the
        Cyrillic ones) get the words; the others the characters, which their
        espeak-ng voice says as letters and digits (``K 0 1 7``).
        """
        letters = self.language(lang).phrases.get("speech.letters") or {}
        digits = self.language(lang).phrases.get("speech.digits") or []
        out = []
        for ch in number:
            if ch.isdigit() and len(digits) == 10:
                out.append(str(digits[int(ch)]))
            elif ch.upper() in letters:
                out.append(str(letters[ch.upper()]))
            else:
                out.append(ch)
        return " ".join(out)

    def sound_alike(self, keys: Iterable[str], lang: str) -> list[tuple[str, ...]]:
        """Groups of ``keys`` (service letters) that ``lang``'s ``speech.letters`` says the same way.

        ``B017`` and ``P017`` called in a language whose table gives both one word are one call
        to the ear: the site check names such pairs so that an office can pick other letters.
        """
        letters = self.language(lang).phrases.get("speech.letters") or {}
        said: dict[str, list[str]] = {}
        for key in dict.fromkeys(k.upper() for k in keys):
            if key in letters:
                said.setdefault(str(letters[key]), []).append(key)
        return [tuple(group) for group in said.values() if len(group) > 1]


def shown_desk(cfg: Any, cat: Catalogue, desk_id: str, lang: str) -> str:
    """A counter as shown in ``lang`` (board, web pages): the site file's label for that language,
    else the catalogue's ``board.desk`` (``Schalter 3``, ``Gişe 3``, ``الشباك 3``)."""
    d = cfg.desk(desk_id)
    if d is not None and lang in d.labels and d.labels[lang] != d.id:
        return d.labels[lang]
    return cat.text(lang, "board.desk", desk=desk_id)


def spoken_desk(cfg: Any, cat: Catalogue, desk_id: str, lang: str) -> str:
    """A counter as said in ``lang``: the site file's label for that language, else the catalogue's
    ``speech.desk`` with the counter's id said digit by digit (``окну 3``, ``الشُّبَّاكِ ثَلَاثَة``)."""
    d = cfg.desk(desk_id)
    if d is not None and lang in d.labels and d.labels[lang] != d.id:
        return d.labels[lang]
    return cat.text(lang, "speech.desk", desk=cat.spoken_number(desk_id, lang))


def for_site(cfg: Any) -> Catalogue:
    """The catalogue of a loaded :class:`aufruf.config.SiteConfig`."""
    return Catalogue(cfg.languages, getattr(cfg, "lang_dir", None))
