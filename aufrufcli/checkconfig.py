"""``aufruf check-config FILE``: a summary of a valid site file, or every problem in it.

For a valid file it also says which phrases of the site's languages fall back
to the first language (missing in a text catalogue, or a service name the site
file gives only in some languages), and, per display with
``viewing_distance_m``, whether the called number is big enough to be read
from the farthest seat.
"""

import argparse
import os
import sys

from aufruf import config, texts
from aufruf.config import DEFAULT_PATH
from aufruf.errors import ConfigError


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", nargs="?", default=DEFAULT_PATH, help=f"the site config (default {DEFAULT_PATH})")


def language_notes(cfg: config.SiteConfig) -> list[str]:
    """What shows in the first language because a language lacks it."""
    cat = texts.for_site(cfg)
    first = cfg.languages[0]
    notes = []
    for lang, keys in cat.missing().items():
        notes.append(f"language {lang}: {len(keys)} phrase(s) missing, shown in {first}: {', '.join(keys)}")
    for i, s in enumerate(cfg.services):
        lacking = [lang for lang in cfg.languages if lang not in s.names]
        if lacking:
            notes.append(f"services[{i}].name: no text for {', '.join(lacking)} (shown as '{s.name(first)}')")
    for i, k in enumerate(cfg.kiosks):
        lacking = [lang for lang in (k.ticket_languages or cfg.languages) if k.footer and lang not in k.footer]
        if lacking:
            notes.append(f"kiosks[{i}].footer: no text for {', '.join(lacking)} (left out on the ticket)")
    notes += sound_alike_notes(cfg)
    return notes


def sound_alike_notes(cfg: config.SiteConfig) -> list[str]:
    """Number letters that a spoken language says the same way (``B`` and ``P`` as one word)."""
    cat = texts.for_site(cfg)
    keys = [s.key for s in cfg.services] + ([cfg.appointments.series] if cfg.appointments else [])
    spoken = []
    for d in cfg.displays:
        if d.speech:
            spoken += d.speech_languages or d.languages or cfg.languages
    for k in cfg.kiosks:
        if k.speaker:
            spoken += k.speech_languages or cfg.languages[:1]
    notes = []
    for lang in dict.fromkeys(spoken):
        for group in cat.sound_alike(keys, lang):
            notes.append(f"language {lang}: the numbers {' and '.join(f'{k}..' for k in group)} are spoken the same "
                         f"({cat.spoken_number(group[0], lang)}); choose other letters, or give "
                         f"speech.letters distinct words in {lang}.toml in site.lang_dir")
    return notes


def display_notes(cfg: config.SiteConfig) -> tuple[list[str], bool]:
    """The number's height per display with a viewing distance; False when a screen is too small."""
    if not any(d.viewing_distance_m for d in cfg.displays):
        return [], True
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    from display.legibility import number_check
    notes, ok = [], True
    for d in cfg.displays:
        if d.viewing_distance_m:
            check = number_check(d)
            notes.append(check.describe())
            ok = ok and check.ok
    return notes, ok


def main(args: argparse.Namespace) -> int:
    try:
        cfg = config.load(args.file)
    except ConfigError as e:
        print(e, file=sys.stderr)
        return 1
    print(config.summary(cfg))
    for note in language_notes(cfg):
        print(f"  note: {note}")
    notes, screens_ok = display_notes(cfg)
    for note in notes:
        print(f"  {'' if screens_ok or 'TOO SMALL' not in note else 'problem: '}{note}")
    if not screens_ok:
        print(f"{args.file}: a screen is too small for its viewing distance (see above)", file=sys.stderr)
        return 1
    print("OK")
    return 0
