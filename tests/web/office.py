"""Tickets and calls for the web tests, sent the way staff send them (user staff-info)."""

from __future__ import annotations

import itertools

_ids = itertools.count(1)


class Office:
    def __init__(self, site):
        self.site = site
        self.probe = site.probe("staff-info")

    def issue(self, service: str = "K") -> dict:
        r = self.probe.request("kiosk/info/request", "kiosk/info/ticket",
                               {"v": 1, "id": f"web-test-{next(_ids)}", "service": service})
        assert r["ok"], r
        return r["ticket"]

    def command(self, desk: str, action: str, **extra) -> dict:
        r = self.probe.request(f"desk/{desk}/command", f"desk/{desk}/reply",
                               {"v": 1, "id": f"web-cmd-{next(_ids)}", "action": action, **extra})
        assert r["ok"], r
        return r
