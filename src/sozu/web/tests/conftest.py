from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def clean_cache() -> Iterator[None]:
    """Rate limits and used TOTP codes live in the cache: each test starts from none."""
    cache.clear()
    yield
    cache.clear()
