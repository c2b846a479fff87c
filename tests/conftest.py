"""Test fixtures: a real Mosquitto per test, provisioned with the project's own broker config.

``site`` gives a temporary copy of the model site whose ``[broker]`` points at
a fresh Mosquitto on a free port, started with the ``mosquitto.conf``, ``acl``
and ``passwd`` that ``aufruf provision`` writes (no anonymous access); see
``tests/sites.py``.
"""

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("GPIOZERO_PIN_FACTORY", "mock")
# what the processes under test keep between starts (the kiosk's printer database) stays out of the home
os.environ.pop("CACHE_DIRECTORY", None)
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="aufruf-test-cache-")
atexit.register(shutil.rmtree, os.environ["XDG_CACHE_HOME"], True)

sys.path.insert(0, str(Path(__file__).resolve().parent))

from probe import Probe  # noqa: E402
from sites import Site  # noqa: E402


@pytest.fixture
def site(tmp_path):
    s = Site(tmp_path)
    probes: list[Probe] = []
    orig = s.probe

    def tracked(*a, **kw):
        p = orig(*a, **kw)
        probes.append(p)
        return p
    s.probe = tracked  # type: ignore[method-assign]
    yield s
    for p in probes:
        p.close()
    s.stop()


@pytest.fixture
def site_factory(tmp_path):
    """Make a site from custom TOML text (the [broker] table is replaced)."""
    made: list[Site] = []

    def make(text: str, name: str = "custom") -> Site:
        d = tmp_path / name
        d.mkdir()
        s = Site(d, text)
        made.append(s)
        return s
    yield make
    for s in made:
        s.stop()


@pytest.fixture
def desk_service(request):
    """Start (and at the end stop) the desk controller in-process: ``desk_service(site=..., **DeskService kw)``."""
    from desk.app import DeskService
    made = []

    def make(s=None, *, start: bool = True, **kw):
        s = s or request.getfixturevalue("site")
        kw.setdefault("keypads", False)
        svc = DeskService(s.cfg, "main", str(s.data), **kw)
        made.append(svc)
        if start:
            svc.start()
            assert svc.link.wait_connected(5), "the controller did not connect to the test broker"
        return svc
    yield make
    for svc in reversed(made):
        svc.stop()
