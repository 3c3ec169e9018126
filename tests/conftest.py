"""Session set-up and fixtures; the helpers tests import are in ``helpers.py``."""

from __future__ import annotations

import contextlib

import pytest

import aigif

with contextlib.suppress(ImportError):  # recreation installed: the profile aigif's commands use (issue 12)
    from aigif._recreate import _determinism

    # Before any test imports torch, as the aigif command does; applying it late is tested in
    # fresh processes (test_determinism.py).
    _determinism.prepare(_determinism.PORTABLE)

from helpers import TABLE1_BYTES, table1  # noqa: E402  (tests/ is on sys.path: this file is there)


@pytest.fixture
def table1_obj() -> aigif.AigifFile:
    return table1()


@pytest.fixture
def table1_bytes() -> bytes:
    return TABLE1_BYTES
