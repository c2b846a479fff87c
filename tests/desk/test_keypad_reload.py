"""Local keypads through the controller's worker: pause/resume, and a reload that adds or drops a counter."""

from keypads import PluggableKeypad, keystrokes
from probe import wait_until

from aufruf import config

DESK1 = "/dev/input/by-id/usb-keypad-desk1-event-kbd"
DESK5 = "/dev/input/by-id/usb-keypad-desk5-event-kbd"


def write_site(site, name, text):
    path = site.root / name
    path.write_text(config.replace_table(text, "broker", {"host": "127.0.0.1", "port": site.port,
                                                          "credentials_dir": str(site.creds)}))
    return path


def test_star_pauses_and_resumes_through_the_worker(site, desk_service):
    plug = PluggableKeypad()
    p = site.probe()
    svc = desk_service(site, keypads=True, keypad_opener=plug.open, keypad_retry_s=0.02)
    reader = svc.readers[DESK1]
    assert reader.connected.wait(5)
    p.wait_for("desk/1/state", lambda b: b["status"] == "idle")
    mark = p.mark()
    plug.by_path[DESK1].feed(keystrokes("KEY_KPASTERISK"))
    assert p.wait_for("desk/1/state", lambda b: b["status"] == "paused", start=mark)
    mark = p.mark()
    plug.by_path[DESK1].feed(keystrokes("KEY_KPASTERISK"))
    assert p.wait_for("desk/1/state", lambda b: b["status"] == "idle", start=mark)
    wait_until(lambda: len(p.all("desk/1/reply")) == 2, what="both replies")
    assert [r["ok"] for r in p.all("desk/1/reply")] == [True, True]


def test_a_reload_starts_the_keypad_of_a_new_counter_and_drops_a_removed_one(site, desk_service):
    plug = PluggableKeypad()
    p = site.probe()
    svc = desk_service(site, keypads=True, keypad_opener=plug.open, keypad_retry_s=0.02)
    old = svc.readers[DESK1]
    assert old.connected.wait(5)
    # desk 1 (and its keypad) leaves the site; desk 5 with its own keypad comes
    text = site.config_path.read_text()
    text = text.replace(f'[[keypads]]\ndesk = "1"\ndevice = "{DESK1}"\n',
                        f'[[keypads]]\ndesk = "5"\ndevice = "{DESK5}"\n')
    text += '\n[[desks]]\nid = "5"\nlabel = "Schalter 5"\nservices = ["K"]\n'
    start = text.index('[[desks]]\nid = "1"')
    text = text[:start] + text[text.index("[[desks]]", start + 1):]
    svc.controller.request_reload(str(write_site(site, "site-5.toml", text)))
    wait_until(lambda: DESK5 in svc.readers and DESK1 not in svc.readers, what="the readers following the reload")
    assert not old._thread.is_alive()                       # the retired keypad's reader ended cleanly
    new = svc.readers[DESK5]
    assert new.connected.wait(5)
    assert p.request("kiosk/entrance/request", "kiosk/entrance/ticket", {"v": 1, "id": "r1", "service": "K"})["ok"]
    plug.by_path[DESK5].feed(keystrokes("KEY_KPENTER"))
    reply = p.wait_for("desk/5/reply")
    assert reply["ok"] and reply["ticket"] == "K001"
    assert p.wait_for("board", lambda b: b["calls"] and b["calls"][0] == {"number": "K001", "desk": "5",
                                                                          "at": b["calls"][0]["at"]})
