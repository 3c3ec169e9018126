"""Fixtures of the recreation tests."""

import pytest


@pytest.fixture(scope="module")
def module_caches(tmp_path_factory):
    """Hash-verification cache and HF cache in tmp dirs for a whole module (its tests share loaded
    pipelines), so tests never touch the user's caches or contact the Hub."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AIGIF_CACHE_DIR", str(tmp_path_factory.mktemp("aigif-cache")))
        mp.setenv("HF_HUB_OFFLINE", "1")
        yield
