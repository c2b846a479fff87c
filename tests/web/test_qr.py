"""The QR on a rendered ticket decodes (zbarimg) to the address of that ticket's page, which answers."""

import shutil
import subprocess
import urllib.request

import pytest

from aufruf import protocol
from kiosk import ticket_layout as tl
from kiosk.render import render_ticket


def test_the_printed_qr_opens_that_tickets_page(web_site, web, tmp_path):
    zbarimg = shutil.which("zbarimg")
    if zbarimg is None:
        pytest.fail("the QR test needs zbarimg: apt-get install -y zbar-tools")
    kiosk = web_site.probe("kiosk-entrance")
    reply = kiosk.request("kiosk/entrance/request", "kiosk/entrance/ticket",
                          {"v": 1, "id": "qr-1", "service": "N"})
    assert reply["ok"], reply
    kcfg = web_site.cfg.kiosk("entrance")
    assert kcfg.qr_url == web_site.url + "/t/{number}-{key}"   # the default with a [[webs]]
    data = tl.TicketData.from_reply(protocol.TicketInfo.from_dict(reply["ticket"]))
    layout, image, _ = render_ticket(web_site.cfg, kcfg, data)
    png = tmp_path / "ticket.png"
    image.save(png)
    out = subprocess.run([zbarimg, "--quiet", "--raw", str(png)], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    url = out.stdout.strip()
    assert url == web_site.ticket_url("N001", web_site.cfg.service_day(data.issued_at_ms))
    # the address is also printed as text, for people who type
    printed = " ".join(e.text for e in layout.elements if isinstance(e, tl.Line))
    assert url.split("://", 1)[1][:20] in printed.replace(" ", "")
    with urllib.request.urlopen(url, timeout=5) as r:
        body = r.read().decode("utf-8")
    assert r.status == 200 and "N001" in body and '"state":"waiting"' in body
