"""Display fixtures: the model site's config."""

import pytest

from aufruf import config
from sites import EXAMPLE


@pytest.fixture
def cfg():
    return config.load(EXAMPLE)
