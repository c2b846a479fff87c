"""Texts of the public pages, per language (the site's first language is the default)."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "de": {
        "board_title": "Aufrufe",
        "now_calling": "Jetzt aufgerufen",
        "last_calls": "Letzte Aufrufe",
        "waiting": "Wartende",
        "waiting_n": "{n} wartend",
        "eta": "ca. {m} Min.",
        "closed": "geschlossen",
        "no_calls": "Noch keine Aufrufe",
        "offline": "Keine Verbindung – die Anzeige ist vielleicht nicht aktuell.",
        "sound_enable": "Ton einschalten",
        "sound_is_on": "Ton ist an",
        "ticket_title": "Ihre Wartenummer",
        "ahead": "Vor Ihnen: {n}",
        "ahead_0": "Sie sind als Nächstes dran.",
        "ahead_many": "Vor Ihnen: mehr als {n}",
        "ahead_soon": "Bald sind Sie dran – bitte kommen Sie in den Wartebereich.",
        "called": "Bitte gehen Sie jetzt zu",
        "state_done": "Erledigt. Vielen Dank für Ihren Besuch.",
        "state_noshow": "Ihre Nummer wurde aufgerufen, Sie waren nicht da. Bitte melden Sie sich am Empfang.",
        "state_void": "Diese Nummer ist nicht mehr gültig.",
        "state_expired": "Diese Nummer ist abgelaufen (ein neuer Tag hat begonnen).",
        "leave": "Ich brauche die Nummer nicht mehr",
        "leave_confirm": "Nummer wirklich zurückgeben? Sie verlieren Ihren Platz.",
        "left": "Sie haben die Nummer zurückgegeben.",
        "notify": "Benachrichtigen, wenn ich dran bin",
        "notify_on": "Benachrichtigung ist an",
        "not_found": "Diese Wartenummer gibt es nicht (oder nicht mehr).",
        "busy": "Zu viele Verbindungen. Bitte versuchen Sie es gleich noch einmal.",
        "no_answer": "Das System antwortet gerade nicht. Bitte versuchen Sie es noch einmal.",
        "keep_open": "Lassen Sie diese Seite offen: sie zeigt Ihren Aufruf von selbst.",
        "service": "Anliegen",
    },
    "en": {
        "board_title": "Calls",
        "now_calling": "Now calling",
        "last_calls": "Last calls",
        "waiting": "Waiting",
        "waiting_n": "{n} waiting",
        "eta": "about {m} min",
        "closed": "closed",
        "no_calls": "No calls yet",
        "offline": "No connection – the board may not be up to date.",
        "sound_enable": "Turn sound on",
        "sound_is_on": "Sound is on",
        "ticket_title": "Your ticket",
        "ahead": "Ahead of you: {n}",
        "ahead_0": "You are next.",
        "ahead_many": "Ahead of you: more than {n}",
        "ahead_soon": "Your turn is coming soon – please come to the waiting area.",
        "called": "Please go now to",
        "state_done": "Done. Thank you for your visit.",
        "state_noshow": "Your number was called and you were not there. Please ask at the reception.",
        "state_void": "This number is no longer valid.",
        "state_expired": "This number has expired (a new day has begun).",
        "leave": "I no longer need this number",
        "leave_confirm": "Really give the number back? You lose your place.",
        "left": "You gave the number back.",
        "notify": "Notify me when it is my turn",
        "notify_on": "Notifications are on",
        "not_found": "This ticket number does not exist (or no longer does).",
        "busy": "Too many connections. Please try again in a moment.",
        "no_answer": "The system does not answer right now. Please try again.",
        "keep_open": "Keep this page open: it shows your call by itself.",
        "service": "Service",
    },
}


def texts(lang: str) -> dict[str, str]:
    """The texts of a language (English where the language has none of its own)."""
    base = dict(TEXTS["en"])
    base.update(TEXTS.get(lang, {}))
    return base
