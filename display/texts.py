"""The board's fixed words in the site's languages (German and English built in, English as fallback).

Dates are written here too, without the C library's locale (a display Pi
usually has only one locale installed).
"""

from __future__ import annotations

import datetime as dt

LABELS: dict[str, dict[str, str]] = {
    "de": {
        "call": "Aufruf", "history": "Zuletzt aufgerufen", "waiting": "Wartende",
        "eta": "ca. {m} Min.", "no_eta": "", "service_closed": "geschlossen",
        "closed": "Geschlossen", "hours": "Öffnungszeiten", "offline": "offline",
        "recall": "Wiederholung", "none": "Noch kein Aufruf", "persons": "{n} wartend", "priority": "Vorrang",
        "closed_today": "heute keine Wartemarken mehr",
    },
    "en": {
        "call": "Now calling", "history": "Last calls", "waiting": "Waiting",
        "eta": "about {m} min", "no_eta": "", "service_closed": "closed",
        "closed": "Closed", "hours": "Opening hours", "offline": "offline",
        "recall": "Repeat", "none": "No call yet", "persons": "{n} waiting", "priority": "Priority",
        "closed_today": "no more tickets today",
    },
}

WEEKDAYS = {
    "de": ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
WEEKDAYS_SHORT = {
    "de": ("Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}
MONTHS = {
    "de": ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September",
           "Oktober", "November", "Dezember"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"),
}


def label(lang: str, key: str, **kw: object) -> str:
    """A fixed word of the board in ``lang`` (English when the language has no table)."""
    text = LABELS.get(lang, LABELS["en"]).get(key, LABELS["en"][key])
    return text.format(**kw) if kw else text


def labels(langs: tuple[str, ...], key: str, sep: str = " · ", **kw: object) -> str:
    """The same word in each language, without repeating identical words ("offline")."""
    out: list[str] = []
    for lang in langs:
        t = label(lang, key, **kw)
        if t and t not in out:
            out.append(t)
    return sep.join(out)


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
    if lang not in WEEKDAYS:
        return day.isoformat()
    wd, month = WEEKDAYS[lang][day.weekday()], MONTHS[lang][day.month - 1]
    if lang == "de":
        return f"{wd}, {day.day}. {month} {day.year}"
    return f"{wd}, {day.day} {month} {day.year}"


def opening_lines(hours: dict[str, tuple[tuple[dt.time, dt.time], ...]] | None, lang: str) -> list[str]:
    """Opening hours as lines, consecutive days with equal hours joined: ``Mo–Fr  08:00–18:00``."""
    if not hours:
        return []
    order = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    names = WEEKDAYS_SHORT.get(lang, WEEKDAYS_SHORT["en"])
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
