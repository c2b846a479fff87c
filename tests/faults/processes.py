"""Fault-test helpers: real device processes, and a client that retries like a kiosk."""

import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))


def start_process(site, *args, name="desk"):
    """`python -m aufrufcli <args> --config <site>` as its own process, logging to the test dir."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    log = open(site.root / f"{name}.log", "ab")
    return subprocess.Popen([sys.executable, "-m", "aufrufcli", *args, "--config", str(site.config_path)],
                            cwd=REPO, env=env, stdout=log, stderr=log)


def start_desk(site):
    return start_process(site, "desk", "--data", str(site.data), "--no-keypads")


def retry_until_answered(probe, topic, reply_topic, bodies, timeout=40.0):
    """Like a kiosk: resend each request under its own id until it has an answer; id -> reply."""
    answers = {}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for body in probe.all(reply_topic):
            if isinstance(body, dict) and "id" in body:
                answers.setdefault(body["id"], body)
        missing = [b for b in bodies if b["id"] not in answers]
        if not missing:
            return answers
        for b in missing[:50]:
            probe.publish(topic, b)
        time.sleep(0.3)
    raise AssertionError(f"{len([b for b in bodies if b['id'] not in answers])} requests never answered")
