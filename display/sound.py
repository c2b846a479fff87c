"""Chime and spoken calls: a two-tone gong synthesised here, speech through espeak-ng.

:class:`SoundPlayer` plays, for every call handed to :meth:`SoundPlayer.announce`,
the gong and then the call in each of the display's spoken languages
(``speech_languages``, each with its espeak-ng voice from the catalogue, the
whole sequence ``repeat`` times), one call after the other, never cut off,
on its own thread (the board never waits for sound). It records what it
played in ``log`` and the espeak-ng commands it ran in ``commands``, so tests
count chimes and speech with SDL's dummy audio driver. No audio device or no
espeak-ng is logged once; the board goes on silently.

The audio device is opened on the sound thread and, while there is none (the TV
that carries HDMI sound is off, a USB speaker is plugged in later), tried again
every :data:`AUDIO_RETRY_S`; a device that goes away is reopened the same way.
The site file chooses it (``[[displays]] audio_device``: ``hdmi``, ``hdmi2``,
``jack`` or an ALSA device name); without one, ALSA's default is tried and then
``sysdefault`` (on Raspberry Pi OS with the desktop, ALSA's default is PipeWire,
which the service user has no session for).
"""

from __future__ import annotations

import io
import logging
import math
import os
import queue
import shutil
import struct
import subprocess
import tempfile
import threading
import wave
from pathlib import Path
from typing import Callable

from aufruf.config import Display, SiteConfig
from aufruf.texts import Catalogue, for_site, spoken_desk

from .board import BoardEntry

log = logging.getLogger(__name__)

RATE = 22050
STRIKES = ((0.0, 659.25), (0.55, 523.25))        # E5 then C5: the classic two-tone "ding-dong"
PARTIALS = ((1.0, 1.0, 2.2), (2.0, 0.35, 4.0), (2.76, 0.18, 6.0), (5.4, 0.06, 9.0))  # ratio, level, decay/s
GONG_S = 2.2
SPEECH_RATE = 140
AUDIO_RETRY_S = 10.0
# the site file's short names for the Pi's outputs (the card names of Raspberry Pi OS bookworm)
ALSA_SHORTCUTS = {
    "hdmi": "hdmi:CARD=vc4hdmi0,DEV=0",        # HDMI 0 (the port next to the power input)
    "hdmi2": "hdmi:CARD=vc4hdmi1,DEV=0",
    "jack": "plughw:CARD=Headphones,DEV=0",    # the 3.5 mm jack (Pi 3 and 4)
}
_REOPEN = object()


def alsa_device(name: str | None) -> str | None:
    """The ALSA device for the site file's ``audio_device`` (None: ALSA's default)."""
    if not name or name == "default":
        return None
    return ALSA_SHORTCUTS.get(name, name)


def _setenv(key: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(key, None)
    else:
        os.environ[key] = value


def device_candidates(name: str | None, env: dict[str, str]) -> list[str | None]:
    """The ALSA devices to try in order; None is ALSA's default (AUDIODEV unset)."""
    configured = alsa_device(name)
    if configured:
        return [configured]
    if env.get("AUDIODEV"):
        return [env["AUDIODEV"]]
    return [None, "sysdefault"]


def gong_wav(rate: int = RATE) -> bytes:
    """The chime as a 16-bit mono WAV file (bytes): two bell-like strikes with decaying partials."""
    n = int(GONG_S * rate)
    out = [0.0] * n
    for start, freq in STRIKES:
        s0 = int(start * rate)
        for ratio, level, decay in PARTIALS:
            w = 2 * math.pi * freq * ratio / rate
            k = math.exp(-decay / rate)
            amp = level
            for i in range(n - s0):
                out[s0 + i] += amp * math.sin(w * i)
                amp *= k
        attack = int(0.004 * rate)
        for i in range(attack):
            # soften the strike's first milliseconds (no click)
            out[s0 + i] *= 0.5 + 0.5 * i / attack
    peak = max(abs(x) for x in out) or 1.0
    fade = int(0.05 * rate)
    for i in range(fade):
        out[n - 1 - i] *= i / fade
    scale = 0.7 * 32767 / peak
    pcm = struct.pack(f"<{n}h", *(int(x * scale) for x in out))
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm)
    return buf.getvalue()


def speech_languages(cfg: SiteConfig, display: Display | None) -> tuple[str, ...]:
    """The languages a display speaks, in order: ``speech_languages``, else its board languages."""
    if display is None:
        return cfg.languages
    return display.speech_languages or display.languages or cfg.languages


def announcement_texts(cfg: SiteConfig, call: BoardEntry, display: Display | None = None,
                       cat: Catalogue | None = None) -> list[tuple[str, str]]:
    """What is said for a call, per spoken language: the site's ``[announcements]`` template, else the
    catalogue's ``speech.call`` (``speech.recall`` for a recall), the number letter by letter and digit
    by digit as the customer reads it off the ticket."""
    cat = cat or for_site(cfg)
    out = []
    for lang in speech_languages(cfg, display):
        number = cat.spoken_number(call.number, lang)
        desk = spoken_desk(cfg, cat, call.desk, lang)
        template = cfg.announcements.get(lang)
        if template:
            try:
                out.append((lang, template.format(number=number, desk=desk)))
                continue
            except (KeyError, IndexError, ValueError):
                pass
        out.append((lang, cat.text(lang, "speech.recall" if call.recall else "speech.call",
                                   number=number, desk=desk)))
    return out


class Speaker:
    """Renders a sentence to a WAV file with espeak-ng (the mixer then plays it after the chime)."""

    def __init__(self, binary: str | None = None, rate: int = SPEECH_RATE):
        self.binary = binary or shutil.which("espeak-ng")
        self.rate = rate

    @property
    def available(self) -> bool:
        return self.binary is not None

    def command(self, voice: str, text: str, out: Path) -> list[str]:
        return [self.binary or "espeak-ng", "-v", voice, "-s", str(self.rate), "-w", str(out), text]

    def render(self, voice: str, text: str, out: Path) -> list[str]:
        """Write ``text`` spoken by the espeak-ng ``voice`` to ``out``; returns the command; raises OSError."""
        cmd = self.command(voice, text, out)
        r = subprocess.run(cmd, capture_output=True, timeout=10)
        if r.returncode != 0 or not out.exists():
            raise OSError(f"espeak-ng failed ({r.returncode}): {r.stderr.decode(errors='replace').strip()[:200]}")
        return cmd


class SoundPlayer:
    """Chime + speech for each call, in order, on a worker thread."""

    def __init__(self, cfg: SiteConfig, display: Display, speaker: Speaker | None = None, *,
                 wait_played: bool = True, retry_s: float = AUDIO_RETRY_S):
        self.cfg = cfg
        self.retry_s = retry_s
        self.device: str | None = None      # the ALSA device that opened (None: the default)
        self.opens = 0
        self._candidates = device_candidates(display.audio_device, dict(os.environ))
        self.wait_played = wait_played      # False: do not wait for a sound to end (tests, dummy audio)
        self.display = display
        self.speaker = speaker or Speaker()
        self.cat = for_site(cfg)
        self.log: list[tuple[str, ...]] = []          # ("chime", number) / ("speech", lang, text)
        self.commands: list[list[str]] = []
        self._q: queue.Queue[BoardEntry | None] = queue.Queue()
        self._idle = threading.Event()
        self._idle.set()
        self._lock = threading.Lock()
        self._queued = 0
        self._stop = threading.Event()
        self._mixer = False
        self._chime = None
        self._warned: set[str] = set()
        self._tmp = tempfile.TemporaryDirectory(prefix="aufruf-speech-")
        self._thread: threading.Thread | None = None
        self.on_idle: Callable[[], None] | None = None     # called (on the sound thread) when all is played

    @property
    def state(self) -> str:
        """For the device status: 'ok', 'silent' (no audio device) or 'no-speech'."""
        if not self._mixer:
            return "silent"
        return "ok" if self.speaker.available or not self.display.speech else "no-speech"

    def start(self) -> None:
        """Open the audio device (or note once that there is none) and start the worker."""
        self._open()
        if self.display.speech and not self.speaker.available:
            self._warn("espeak", "espeak-ng is not installed: calls are chimed but not spoken")
        self._thread = threading.Thread(target=self._run, name="display-sound", daemon=True)
        self._thread.start()

    def device_lost(self) -> None:
        """The audio device went away (SDL's AUDIODEVICEREMOVED): reopen it on the sound thread."""
        self._q.put(_REOPEN)  # type: ignore[arg-type]

    def _open(self) -> bool:
        """Try each candidate device once; True when the mixer is open."""
        import pygame
        if pygame.mixer.get_init():
            self._mixer = True
            return True
        saved = {k: os.environ.get(k) for k in ("SDL_AUDIODRIVER", "AUDIODEV")}
        driver = saved["SDL_AUDIODRIVER"]
        if self._candidates != [None, "sysdefault"] and not driver:
            driver = "alsa"     # a chosen ALSA device: ALSA directly, not through PipeWire or PulseAudio
        errors = []
        try:
            for dev in self._candidates:
                # SDL reads both when the device opens; they are put back afterwards
                _setenv("SDL_AUDIODRIVER", driver)
                _setenv("AUDIODEV", dev)
                try:
                    pygame.mixer.init(frequency=RATE, size=-16, channels=1, buffer=1024)
                except pygame.error as e:
                    errors.append(f"{dev or 'default'}: {e}")
                    continue
                self._mixer = True
                self.device = dev
                self._chime = None
                self._warned.discard("mixer")
                log.info("sound on %s (SDL audio driver %s)%s", dev or "the default device",
                         driver or "auto", " again" if self.opens > 0 else "")
                self.opens += 1             # after the log line: a watcher of ``opens`` finds it written
                return True
        finally:
            for k, v in saved.items():
                _setenv(k, v)
        self._mixer = False
        self._warn("mixer", f"no audio device ({'; '.join(errors)}): calls are shown but not heard; "
                            f"trying again every {self.retry_s:g} s (SDL audio driver {driver or 'auto'})")
        return False

    def announce(self, call: BoardEntry) -> None:
        """Queue the chime and speech for ``call`` (returns at once)."""
        with self._lock:
            self._queued += 1
            self._idle.clear()
        self._q.put(call)

    @property
    def busy(self) -> bool:
        """Still chiming or speaking (the board holds the next call of a burst until done)."""
        return not self._idle.is_set()

    def wait_idle(self, timeout: float) -> bool:
        """Block until every queued announcement has been played (for tests and shutdown)."""
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

    def _play(self, sound) -> None:
        sound.play()
        if self.wait_played:
            self._stop.wait(sound.get_length())

    def _run(self) -> None:
        import pygame
        while not self._stop.is_set():
            try:
                call = self._q.get(timeout=None if self._mixer else self.retry_s)
            except queue.Empty:
                self._open()
                continue
            if call is None:
                break
            if call is _REOPEN:
                log.warning("the audio device went away; reopening it")
                pygame.mixer.quit()
                self._mixer = False
                self._open()
                continue
            if not self._mixer:
                self._open()        # a call while silent: try the device at once
            try:
                self._announce(call, pygame)
            except Exception:  # noqa: BLE001 - sound must never take the board down
                log.exception("announcing %s failed", call.number)
            with self._lock:
                self._queued -= 1
                done = self._queued == 0
                if done:
                    self._idle.set()
            if done and self.on_idle is not None:
                self.on_idle()
        self._idle.set()

    def _announce(self, call: BoardEntry, pygame) -> None:
        if not self._mixer:
            return
        if self.display.chime:
            if self._chime is None:
                self._chime = pygame.mixer.Sound(file=io.BytesIO(gong_wav()))
            self._play(self._chime)
            self.log.append(("chime", call.number))
        if not self.display.speech or not self.speaker.available:
            return
        said = announcement_texts(self.cfg, call, self.display, self.cat)
        sounds = []
        for lang, text in said:          # render every language first: no gap between them
            out = Path(self._tmp.name) / f"{lang}.wav"
            try:
                self.commands.append(self.speaker.render(self.cat.voice(lang), text, out))
                sounds.append((lang, text, pygame.mixer.Sound(str(out))))
            except (OSError, subprocess.SubprocessError, pygame.error) as e:
                self._warn(f"speech-{lang}", f"speech in '{lang}' failed: {e}")
        for _ in range(self.display.repeat):
            for lang, text, speech in sounds:
                self._play(speech)
                self.log.append(("speech", lang, text))
        log.info("announced %s -> desk %s%s", call.number, call.desk, " (recall)" if call.recall else "")
