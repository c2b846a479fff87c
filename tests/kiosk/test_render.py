"""render-ticket: the paper preview interprets the layout; the ESC/POS file is the exact bytes."""

import os
import subprocess
import sys
from pathlib import Path

from PIL import Image

from aufruf import config
from kiosk import render
from kiosk import ticket_layout as tl

REPO = Path(__file__).resolve().parents[2]
CFG = config.load(config.EXAMPLE_SITE)


def dark_rows(img: Image.Image) -> list[int]:
    g = img.convert("L")
    return [y for y in range(g.height) if g.crop((0, y, g.width, y + 1)).getextrema()[0] < 100]


def test_preview_is_paper_sized_and_the_number_is_the_tallest_ink():
    data = tl.TicketData("K", "K017", 1_764_088_200_000, 4, 12)
    layout, img, raw = render.render_ticket(CFG, CFG.kiosks[0], data)
    assert img.width == 42 * 12 + 2 * render.MARGIN
    assert abs(img.height - tl.paper_mm(layout) * 8) <= 1
    rows = dark_rows(img)
    # group inked rows into bands: the biggest band is the number, 24 dots times its height multiplier
    bands, start = [], rows[0]
    for a, b in zip(rows, rows[1:] + [None]):
        if b is None or b != a + 1:
            bands.append((start, a))
            start = b
    tallest = max(b - a + 1 for a, b in bands)
    assert tallest > 3 * 24 and tallest <= layout.number_line.height * 24
    assert rows[0] >= tl.CUTTER_MM * 8          # the blank head-to-cutter margin comes first
    assert raw == tl.escpos_bytes(layout, None)


def test_qr_code_is_drawn_module_by_module_where_the_printer_puts_it():
    import dataclasses

    import qrcode
    k = dataclasses.replace(CFG.kiosks[0], qr_url="https://example.org/q/{number}")
    data = tl.TicketData("K", "K017", 1_764_088_200_000, 4, 12)
    layout, img, _ = render.render_ticket(CFG, k, data)
    qr = next(e for e in layout.elements if isinstance(e, tl.Qr))
    y0 = int(tl.CUTTER_MM * 8) + sum(round(tl.element_mm(e) * 8) for e in layout.elements[:layout.elements.index(qr)])
    q = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_L, border=0)
    q.add_data("https://example.org/q/K017")
    q.make(fit=True)
    matrix = q.get_matrix()
    side = len(matrix) * qr.module
    x0 = render.MARGIN + (42 * 12 - side) // 2
    g = img.convert("L")
    seen = [[g.getpixel((x0 + c * qr.module + 1, y0 + r * qr.module + 1)) < 100 for c in range(len(matrix))]
            for r in range(len(matrix))]
    assert seen == matrix


def run(*args):
    return subprocess.run([sys.executable, "-m", "aufrufcli", "render-ticket", *args], cwd=REPO,
                          env=dict(os.environ, PYTHONPATH=str(REPO)), capture_output=True, text=True, timeout=60)


def test_render_ticket_command_writes_png_and_exact_escpos(tmp_path):
    png, binf = tmp_path / "k.png", tmp_path / "k.bin"
    r = run("--config", str(config.EXAMPLE_SITE), "--service", "N", "--png", str(png), "--escpos", str(binf))
    assert r.returncode == 0, r.stderr
    assert "N017" in r.stdout and "paper:" in r.stdout
    img = Image.open(png)
    assert img.width == 552 and img.height > 400
    raw = binf.read_bytes()
    assert raw.startswith(b"\x1b@\x1bt\x13") and b"N017" in raw and raw.endswith(b"\x1dVB\x00")
    assert "Neumeldung".encode("cp858") in raw and "New registration".encode() in raw


def test_render_ticket_unknown_service_is_a_clear_error(tmp_path):
    r = run("--config", str(config.EXAMPLE_SITE), "--service", "X", "--png", str(tmp_path / "x.png"))
    assert r.returncode == 2 and "unknown service 'X'" in r.stderr and "K, N" in r.stderr
    assert not (tmp_path / "x.png").exists()
