"""The kiosk's voice: an optional speaker on the kiosk Pi (``kiosks.speaker = true``).

It says the service and the drawn number when the ticket prints
("Kurzanliegen. Ihre Nummer: K 0 1 7.") and, on the "what is being called
now?" button, the latest calls. Sentences come from the text catalogues in
the kiosk's ``speech_languages`` (default: the site's first language),
espeak-ng renders them to WAV, pygame's mixer plays them one after the other
on this adapter's own thread: queued, never cut off. Without an audio device
or espeak-ng it logs that once and the kiosk goes on (LED and buzzer still
answer every press). ``log`` records what was said (tests use SDL's dummy
audio driver).
"""

from __future__ import annotations

import logging
import queue
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Any

from aufruf.config import Kiosk, SiteConfig
from aufruf.texts import for_site, spoken_desk

log = logging.getLogger(__name__)

SPEECH_RATE = 140
LATEST = 3          # the button says this many of the latest calls


class Voice:
    """Speech for one kiosk, on a worker thread fed by :meth:`say`."""

    def __init__(self, cfg: SiteConfig, kiosk: Kiosk, *, binary: str | None = None, wait_played: bool = True):
        self.cfg = cfg
        self.kiosk = kiosk
        self.cat = for_site(cfg)
        self.langs = kiosk.speech_languages or cfg.languages[:1]
        self.binary = binary or shutil.which("espeak-ng")
        self.wait_played = wait_played
        self.log: list[tuple[str, str]] = []       # (language, sentence), in the order played
        self._q: queue.Queue[tuple[str, str] | None] = queue.Queue()
        self._idle = threading.Event()
        self._idle.set()
        self._pending = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._mixer = False
        self._warned: set[str] = set()
        self._tmp = tempfile.TemporaryDirectory(prefix="aufruf-kiosk-voice-")
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------ what is said

    def ticket_sentences(self, service: str, number: str) -> list[tuple[str, str]]:
        """"Kurzanliegen. Ihre Nummer: K 0 1 7." in each of the kiosk's spoken languages."""
        svc = self.cfg.service(service)
        return [(lang, self.cat.text(lang, "speech.ticket", service=svc.name(lang) if svc else service,
                                     number=self.cat.spoken_number(number, lang))) for lang in self.langs]

    def latest_sentences(self, calls: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """The latest calls, (number, desk) newest first: "Zuletzt aufgerufen: K 0 1 7 zu Schalter 3, ..."."""
        out = []
        for lang in self.langs:
            if not calls:
                out.append((lang, self.cat.text(lang, "speech.latest_none")))
                continue
            items = [self.cat.text(lang, "speech.latest_item", number=self.cat.spoken_number(n, lang),
                                   desk=spoken_desk(self.cfg, self.cat, d, lang)) for n, d in calls[:LATEST]]
            out.append((lang, self.cat.text(lang, "speech.latest", calls=", ".join(items))))
        return out

    # ------------------------------------------------------------ lifecycle (the kiosk's worker)

    def start(self) -> None:
        import pygame
        try:
            if not pygame.mixer.get_init():
                pygame.mixer.init(frequency=22050, size=-16, channels=1, buffer=1024)
            self._mixer = True
        except pygame.error as e:
            self._warn("mixer", f"kiosk speaker: no audio device ({e}); presses get LED and buzzer only")
        if self.binary is None:
            self._warn("espeak", "kiosk speaker: espeak-ng is not installed; nothing is spoken")
        self._thread = threading.Thread(target=self._run, name=f"kiosk-voice-{self.kiosk.id}", daemon=True)
        self._thread.start()

    def say(self, sentences: list[tuple[str, str]]) -> None:
        """Queue sentences (returns at once); they are played after everything queued before."""
        for item in sentences:
            with self._lock:
                self._pending += 1
                self._idle.clear()
            self._q.put(item)

    @property
    def busy(self) -> bool:
        return not self._idle.is_set()

    def wait_idle(self, timeout: float) -> bool:
        return self._idle.wait(timeout)

    def close(self) -> None:
        self._stop.set()
        self._q.put(None)
        if self._thread is not None:
            self._thread.join(5)
        self._tmp.cleanup()

    # ------------------------------------------------------------ worker

    def _warn(self, key: str, text: str) -> None:
        if key not in self._warned:
            self._warned.add(key)
            log.warning(text)

    def _run(self) -> None:
        while not self._stop.is_set():
            item = self._q.get()
            if item is None:
                break
            try:
                self._speak(*item)
            except Exception:  # noqa: BLE001 - speech must never take the kiosk down
                log.exception("kiosk speech failed")
            with self._lock:
                self._pending -= 1
                if self._pending == 0:
                    self._idle.set()
        self._idle.set()

    def _speak(self, lang: str, text: str) -> None:
        if not self._mixer or self.binary is None:
            return
        import pygame
        out = Path(self._tmp.name) / f"{lang}.wav"
        cmd = [self.binary, "-v", self.cat.voice(lang), "-s", str(SPEECH_RATE), "-w", str(out), text]
        try:
            r = subprocess.run(cmd, capture_output=True, timeout=10)
            if r.returncode != 0:
                raise OSError(r.stderr.decode(errors="replace").strip()[:200])
            sound: Any = pygame.mixer.Sound(str(out))
        except (OSError, subprocess.SubprocessError, pygame.error) as e:
            self._warn(f"speech-{lang}", f"kiosk speech in '{lang}' failed: {e}")
            return
        sound.play()
        if self.wait_played:
            self._stop.wait(sound.get_length())     # never cut off: the next waits for this one
        self.log.append((lang, text))
