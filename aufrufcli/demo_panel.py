"""The demo window's side panel: the kiosk's buttons and last ticket, and the four counters.

Clicks and keys become the same actions real hardware causes: a kiosk button
drives its mock GPIO pin, a counter button sends the desk command over MQTT.
Actions run on a worker thread so the window never waits for the broker.

Keys: 1 / 2 press the kiosk's K / N button; F1-F4 (or clicking a counter)
select a counter; then n or Space = next, r = recall, x = no-show,
d = done, p = pause / resume, t = transfer to N; Esc quits.
"""

from __future__ import annotations

import queue
import threading
from typing import Any

import pygame

from display.render import BG, FG as TEXT, FONT_BOLD, HIGHLIGHT as ACCENT, MUTED as DIM, PANEL  # the board's look

BUTTON = (40, 72, 120)
BUTTON_HOT = (64, 104, 168)
ACTIONS = (("next", "n", "Weiter"), ("recall", "r", "Wdh."), ("noshow", "x", "Nicht da"), ("done", "d", "Fertig"),
           ("pause", "p", "Pause"))
KEYS = {pygame.K_n: "next", pygame.K_SPACE: "next", pygame.K_r: "recall", pygame.K_x: "noshow",
        pygame.K_d: "done", pygame.K_p: "pause", pygame.K_t: "transfer"}


class DemoWindow:
    """Lays out the window: the board (left, 16:9), counters below it, the kiosk on the right."""

    def __init__(self, screen: Any):
        self.screen = screen
        w, h = screen.get_size()
        side = max(300, w // 4)
        bw = w - side
        bh = min(h * 3 // 4, bw * 9 // 16)
        self.board_rect = pygame.Rect(0, 0, bw, bh)
        self.board_surface = screen.subsurface(self.board_rect)
        self.counter_rect = pygame.Rect(0, bh, bw, h - bh)
        self.kiosk_rect = pygame.Rect(bw, 0, side, h)
        self.font = pygame.font.Font(str(FONT_BOLD), max(12, h // 60))
        self.running = True
        self.selected = "1"
        self.status = "Klicken oder Tasten: 1/2 Wartenummer, F1-F4 Schalter, n = Weiter"
        self.office = None
        self.dirty = True
        self.buttons: list[tuple[pygame.Rect, tuple]] = []
        self._ticket_surface = None
        self._ticket_for = None
        self._actions: queue.Queue = queue.Queue()
        self._worker = threading.Thread(target=self._work, name="demo-actions", daemon=True)
        self._worker.start()

    def attach(self, office: Any) -> None:
        self.office = office
        self.desks = [d.id for d in office.cfg.desks]
        self.services = [b.service for b in office.cfg.kiosk("entrance").buttons]

    def help_text(self) -> str:
        return ("aufruf demo running. Keys: 1/2 = kiosk buttons K/N; F1-F4 select a counter; "
                "n/Space next, r recall, x no-show, d done, p pause/resume, t transfer to N; Esc quits.")

    # ------------------------------------------------------------ input

    def handle(self, event: Any) -> None:
        if event.type == pygame.QUIT:
            self.running = False
        elif event.type == pygame.KEYDOWN:
            if event.key in (pygame.K_ESCAPE, pygame.K_q):
                self.running = False
            elif event.key in (pygame.K_1, pygame.K_2, pygame.K_KP1, pygame.K_KP2):
                i = 0 if event.key in (pygame.K_1, pygame.K_KP1) else 1
                if i < len(self.services):
                    self._actions.put(("press", self.services[i]))
            elif pygame.K_F1 <= event.key <= pygame.K_F12:
                i = event.key - pygame.K_F1
                if i < len(self.desks):
                    self.selected = self.desks[i]
                    self.dirty = True
            elif event.key in KEYS:
                self._actions.put(("desk", self.selected, KEYS[event.key]))
        elif event.type == pygame.MOUSEBUTTONDOWN and event.button == 1:
            for rect, action in self.buttons:
                if rect.collidepoint(event.pos):
                    if action[0] in ("desk", "select"):
                        self.selected = action[1]
                    if action[0] != "select":
                        self._actions.put(action)
                    self.dirty = True
                    break

    def _work(self) -> None:
        while True:
            action = self._actions.get()
            if action is None:
                return
            try:
                if action[0] == "press":
                    self.office.press(action[1])
                    self.status = f"Taste {action[1]} gedrückt"
                else:
                    _, desk, what = action
                    extra = {}
                    st = self.office.desk_state(desk)
                    if what == "pause" and st is not None and st.status == "paused":
                        what = "resume"
                    if what == "transfer":
                        extra = {"service": "N"}
                    r = self.office.command(desk, what, **extra)
                    label = self.office.cfg.desk(desk).label("de")
                    self.status = (f"{label}: {what} {r.ticket or ''}" if r.ok
                                   else f"{label}: {what} abgelehnt: {r.error}")
            except Exception as e:  # noqa: BLE001 - show it, keep the demo running
                self.status = f"Fehler: {e}"
            self.dirty = True

    def close(self) -> None:
        self._actions.put(None)

    # ------------------------------------------------------------ drawing

    def draw(self) -> list:
        """Redraw the panel when something changed; returns the rectangles to update."""
        ticket = self.office.kiosk.last_layout if self.office else None
        if ticket is not self._ticket_for:
            self._ticket_for = ticket
            self._ticket_surface = None
            self.dirty = True
        if not self.dirty:
            return []
        self.dirty = False
        self.buttons = []
        self._draw_counters()
        self._draw_kiosk()
        return [self.counter_rect, self.kiosk_rect]

    def _button(self, rect: pygame.Rect, text: str, action: tuple, hot: bool = False) -> None:
        pygame.draw.rect(self.screen, BUTTON_HOT if hot else BUTTON, rect, border_radius=6)
        label = self.font.render(text, True, TEXT)
        self.screen.blit(label, label.get_rect(center=rect.center))
        self.buttons.append((rect, action))

    def _draw_counters(self) -> None:
        r = self.counter_rect
        self.screen.fill(BG, r)
        if not self.office:
            return
        rows = len(self.desks)
        row_h = (r.height - 30) // max(1, rows)
        for i, desk in enumerate(self.desks):
            y = r.y + 6 + i * row_h
            st = self.office.desk_state(desk)
            label = self.office.cfg.desk(desk).label("de")
            state = {"serving": f"bedient {st.ticket}", "idle": "frei", "paused": "Pause"}.get(st.status, st.status) \
                if st else "?"
            hot = desk == self.selected
            name_rect = pygame.Rect(r.x + 8, y, r.width // 4, row_h - 6)
            self._button(name_rect, f"F{i + 1}  {label}", ("select", desk), hot)
            s = self.font.render(state, True, ACCENT if st and st.status == "serving" else DIM)
            self.screen.blit(s, (name_rect.right + 10, y + (row_h - 6 - s.get_height()) // 2))
            bx = r.x + r.width * 2 // 5
            bw = (r.right - bx - 8) // len(ACTIONS)
            for j, (action, key, text) in enumerate(ACTIONS):
                br = pygame.Rect(bx + j * bw, y, bw - 6, row_h - 6)
                self._button(br, f"{text} ({key})", ("desk", desk, action))
        s = self.font.render(self.status, True, TEXT)
        self.screen.blit(s, (r.x + 8, r.bottom - 24))

    def _draw_kiosk(self) -> None:
        r = self.kiosk_rect
        self.screen.fill(PANEL, r)
        title = self.font.render("Kiosk am Eingang", True, DIM)
        self.screen.blit(title, (r.x + 12, r.y + 10))
        if not self.office:
            return
        y = r.y + 40
        for i, svc in enumerate(self.services):
            name = self.office.cfg.service(svc).name("de")
            br = pygame.Rect(r.x + 12, y, r.width - 24, 56)
            self._button(br, f"{i + 1}:  {svc}  {name}", ("press", svc))
            y += 64
        if self._ticket_surface is None and self._ticket_for is not None:
            img = self.office.ticket_image().convert("RGB")
            surf = pygame.image.frombytes(img.tobytes(), img.size, "RGB")
            avail_w, avail_h = r.width - 24, r.bottom - y - 12
            scale = min(avail_w / surf.get_width(), avail_h / surf.get_height(), 1.0)
            self._ticket_surface = pygame.transform.smoothscale(
                surf, (int(surf.get_width() * scale), int(surf.get_height() * scale)))
        if self._ticket_surface is not None:
            self.screen.blit(self._ticket_surface, (r.x + (r.width - self._ticket_surface.get_width()) // 2, y + 4))
        else:
            hint = self.font.render("(noch kein Ticket gedruckt)", True, DIM)
            self.screen.blit(hint, (r.x + 12, y + 8))
