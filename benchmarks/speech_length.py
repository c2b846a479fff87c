"""How long one call takes to announce with 1, 3 and 5 spoken languages (gong + espeak-ng speech).

A call must be heard to its end before the next one starts: the board holds
the next call until the announcement is over, and at least ``min_call_s``.
This prints, per number of languages, the announcement's length in seconds
(gong plus each language's WAV as espeak-ng renders it), the time espeak-ng
takes to render it, and how many calls a minute one display can then
announce back to back.

    python benchmarks/speech_length.py [--calls N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import wave
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from aufruf import config, texts  # noqa: E402
from display.board import BoardEntry  # noqa: E402
from display.sound import GONG_S, Speaker, announcement_texts  # noqa: E402

SETS = {1: ["de"], 3: ["de", "tr", "ar"], 5: ["de", "tr", "ar", "uk", "en"]}
NUMBERS = [("K017", "3"), ("N104", "1"), ("K288", "4"), ("K009", "2")]


def site_for(langs: list[str]) -> config.SiteConfig:
    text = (REPO / "examples" / "site-languages.toml").read_text(encoding="utf-8")
    text = text.replace('speech_languages = ["de", "tr", "ar"]',
                        "speech_languages = [" + ", ".join(f'"{x}"' for x in langs) + "]")
    return config.parse(text, "site-languages.toml")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--calls", type=int, default=len(NUMBERS), help="calls per language set (default 4)")
    args = ap.parse_args()
    sp = Speaker()
    if not sp.available:
        print("espeak-ng is not installed")
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        for n, langs in SETS.items():
            cfg = site_for(langs)
            cat = texts.for_site(cfg)
            lengths, renders = [], []
            for i in range(args.calls):
                number, desk = NUMBERS[i % len(NUMBERS)]
                total = GONG_S
                t0 = time.perf_counter()
                for lang, text in announcement_texts(cfg, BoardEntry(number, desk), cfg.displays[0], cat):
                    out = Path(tmp) / f"{lang}.wav"
                    sp.render(cat.voice(lang), text, out)
                    with wave.open(str(out)) as w:
                        total += w.getnframes() / w.getframerate()
                renders.append(time.perf_counter() - t0)
                lengths.append(total)
            mean = statistics.mean(lengths)
            print(f"{n} language(s) ({', '.join(langs)}): announcement {mean:5.1f} s "
                  f"(min {min(lengths):.1f}, max {max(lengths):.1f}); espeak-ng renders it in "
                  f"{statistics.median(renders) * 1000:.0f} ms; at most {60 / max(mean, 15.0):.1f} calls/min "
                  f"per display with min_call_s 15")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
