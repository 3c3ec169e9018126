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


@pytest.fixture(scope="session")
def model_fixtures(tmp_path_factory):
    """The tiny single-file checkpoint, VAE, LoRAs and embedding in A1111 and ComfyUI trees
    (tools/recreate/build_model_fixtures.py), built once per session: (root, {relative path: SHA-256})."""
    import importlib.util
    from pathlib import Path

    tool = Path(__file__).resolve().parents[2] / "tools" / "recreate" / "build_model_fixtures.py"
    spec = importlib.util.spec_from_file_location("build_model_fixtures", tool)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    root = tmp_path_factory.mktemp("model-fixtures")
    return root, module.build(root)
