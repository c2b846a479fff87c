"""``aufruf render-ticket``: a ticket as a paper-like PNG preview and as raw ESC/POS bytes.

The preview interprets the same :class:`~kiosk.ticket_layout.Layout` the
printer gets: every line is drawn in a monospaced font on the printer's
12x24-dot character grid and scaled by the same width/height multipliers the
printer uses (nearest neighbour, like the printer's own enlargement), the QR
code is drawn module by module, the blank head-to-cutter margin is at the top
and the cut at the bottom. One pixel is one printer dot (203 dpi).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path
from typing import Any

from aufruf.config import DEFAULT_PATH, Kiosk, SiteConfig

from . import ticket_layout as tl

CELL_W, CELL_H = 12, 24           # font A character cell, in dots
MARGIN = 24                       # paper beyond the printable width, each side
PAPER = (252, 250, 244)
INK = (20, 20, 20)
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")


def _font(bold: bool) -> Any:
    from PIL import ImageFont
    name = "DejaVuSansMono-Bold.ttf" if bold else "DejaVuSansMono.ttf"
    try:
        return ImageFont.truetype(str(FONT_DIR / name), 20)
    except OSError:
        return ImageFont.load_default(20)


def _line_image(line: tl.Line) -> Any:
    """One line at normal size on the character grid, then enlarged like the printer does."""
    from PIL import Image, ImageDraw
    w = max(1, len(line.text)) * CELL_W
    img = Image.new("L", (w, CELL_H), 255)
    d = ImageDraw.Draw(img)
    font = _font(line.bold)
    for i, ch in enumerate(line.text):
        d.text((i * CELL_W + CELL_W / 2, CELL_H / 2), ch, font=font, fill=0, anchor="mm")
    if line.width > 1 or line.height > 1:
        img = img.resize((w * line.width, CELL_H * line.height), Image.NEAREST)
    return img


def render_image(layout: tl.Layout) -> Any:
    """A PIL image of the ticket as it comes out of the printer (one pixel per dot)."""
    from PIL import Image, ImageDraw
    printable = layout.width_chars * CELL_W
    width = printable + 2 * MARGIN
    height = int(round(tl.paper_mm(layout) * tl.DOTS_PER_MM))
    img = Image.new("RGB", (width, height), PAPER)
    draw = ImageDraw.Draw(img)
    y = int(tl.CUTTER_MM * tl.DOTS_PER_MM)          # the blank part between head and cutter
    for e in layout.elements:
        advance = int(round(tl.element_mm(e, layout.dpi) * tl.DOTS_PER_MM))
        if isinstance(e, tl.Line) and e.image:
            # the same bitmap the printer gets: black dots where it prints
            li = tl.line_bitmap(e, printable).convert("L")
            img.paste(INK, (MARGIN, y + max(0, advance - li.height) // 2), li.point(lambda v: 255 - v))
        elif isinstance(e, tl.Line):
            li = _line_image(e)
            if li.width > printable:
                li = li.crop((0, 0, printable, li.height))   # the printer drops what does not fit
            x = {"left": 0, "center": (printable - li.width) // 2, "right": printable - li.width}[e.align]
            mask = li.point(lambda v: 255 - v)
            img.paste(INK, (MARGIN + x, y + max(0, advance - li.height) // 2), mask)
        elif isinstance(e, tl.Qr):
            import qrcode
            q = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_L, border=0)
            q.add_data(e.data)
            q.make(fit=True)
            matrix = q.get_matrix()
            side = len(matrix) * e.module
            x0 = MARGIN + (printable - side) // 2
            for r, row in enumerate(matrix):
                for c, on in enumerate(row):
                    if on:
                        draw.rectangle((x0 + c * e.module, y + r * e.module,
                                        x0 + (c + 1) * e.module - 1, y + (r + 1) * e.module - 1), fill=INK)
        y += advance if not isinstance(e, tl.Cut) else 0
    # the cut: a dashed edge at the bottom
    for x in range(0, width, 12):
        draw.line((x, height - 1, x + 6, height - 1), fill=(150, 150, 150), width=1)
    draw.rectangle((0, 0, width - 1, height - 1), outline=(200, 196, 186))
    return img


def sample_ticket(cfg: SiteConfig, service: str, now_ms: int | None = None) -> tl.TicketData:
    """Believable sample data for a preview: the 17th ticket of the day, 4 ahead, about 12 minutes."""
    svc = cfg.service(service)
    seq = min(svc.last, svc.first + 16) if svc else 17
    return tl.TicketData(service=service, number=f"{service}{seq:03d}",
                         issued_at_ms=now_ms if now_ms is not None else time.time_ns() // 1_000_000,
                         ahead=4, eta_min=12)


def render_ticket(cfg: SiteConfig, kiosk: Kiosk, data: tl.TicketData) -> tuple[tl.Layout, Any, bytes]:
    """The layout, the preview image and the ESC/POS bytes of one ticket on this kiosk's printer."""
    profile = tl.load_profile(kiosk.printer.profile)
    layout = tl.build(cfg, kiosk, data, profile)
    return layout, render_image(layout), tl.escpos_bytes(layout, kiosk.printer.profile)


# ---------------------------------------------------------------- command line

def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", default=DEFAULT_PATH, help=f"the site config (default {DEFAULT_PATH})")
    p.add_argument("--service", required=True, help="the service key whose ticket to render, e.g. K")
    p.add_argument("--kiosk", help="the kiosk whose printer and footer to use (default: the first)")
    p.add_argument("--png", help="write the paper preview here")
    p.add_argument("--escpos", help="write the raw ESC/POS bytes here (send them with: cat out.bin > /dev/usb/lp0)")
    p.add_argument("--test", action="store_true", help="render the maintenance test print instead of a ticket")


def main(args: argparse.Namespace) -> int:
    from aufruf.config import load_or_exit
    cfg = load_or_exit(args.config)
    if cfg.service(args.service) is None:
        print(f"unknown service {args.service!r}; this site has: {', '.join(s.key for s in cfg.services)}",
              file=sys.stderr)
        return 2
    if args.kiosk:
        kiosk = cfg.kiosk(args.kiosk)
        if kiosk is None:
            print(f"unknown kiosk {args.kiosk!r}; this site has: {', '.join(k.id for k in cfg.kiosks) or 'none'}",
                  file=sys.stderr)
            return 2
    elif cfg.kiosks:
        kiosk = cfg.kiosks[0]
    else:
        from aufruf.config import Printer
        kiosk = Kiosk(id="preview", buttons=(), printer=Printer())
    data = sample_ticket(cfg, args.service)
    if args.test:
        data = dataclasses.replace(data, number=None, ahead=None, eta_min=None)
    layout, image, raw = render_ticket(cfg, kiosk, data)
    for e in layout.elements:
        if isinstance(e, tl.Line):
            size = f"  [{e.width}x{e.height}]" if e.height > 1 else ""
            print(f"{e.text.center(layout.width_chars)}{size}")
        elif isinstance(e, tl.Qr):
            print(f"[QR {e.data}]".center(layout.width_chars))
        elif isinstance(e, tl.Cut):
            print("- " * (layout.width_chars // 2) + "(cut)")
    print(f"paper: {tl.paper_mm(layout):.0f} mm, code page {layout.codepage or 'auto'}, "
          f"{len(raw)} bytes ESC/POS, printer profile {kiosk.printer.profile or 'default'}")
    try:
        if args.png:
            image.save(args.png)
            print(f"wrote {args.png} ({image.width}x{image.height} px, one pixel per printer dot)")
        if args.escpos:
            Path(args.escpos).write_bytes(raw)
            print(f"wrote {args.escpos} ({len(raw)} bytes)")
    except OSError as e:
        print(f"cannot write: {e}", file=sys.stderr)
        return 1
    return 0
