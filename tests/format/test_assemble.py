"""``_assemble._fresh`` builds frozen dataclasses without ``__init__``: it must equal normal construction."""

from __future__ import annotations

import dataclasses

import pytest

import aigif
from aigif._format import _assemble
from aigif._format._fields import BY_NAME

CLASSES = [aigif.AigifFile, aigif.Compression, aigif.Platform, aigif.Model, aigif.Data, aigif.Payload]


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_defaults_equal_normal_construction(cls):
    fresh = _assemble._fresh(cls, {})
    assert fresh == cls()
    assert type(fresh) is cls
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(fresh, dataclasses.fields(cls)[0].name, None)


def test_mutable_defaults_are_not_shared():
    a, b = _assemble._fresh(aigif.Platform, {}), _assemble._fresh(aigif.Platform, {})
    assert a.software == {} and a.software is not b.software


def test_given_values_win_and_unknown_names_are_refused():
    data = _assemble._fresh(aigif.Data, {"prompt": "x", "seed": 7})
    assert data == aigif.Data(prompt="x", seed=7)
    with pytest.raises(TypeError):
        _assemble._fresh(aigif.Data, {"sead": 7})


def test_assemble_places_every_field_where_the_object_has_it():
    values = {BY_NAME[name]: value for name, value in (
        ("torch", "2.13.0"), ("clip_skip", 2), ("eta", 0.5), ("model_hash", "sha256:" + "00" * 32),
        ("model_payload", b"weights"))}
    values[100] = b"\x01"
    obj = _assemble.assemble((0, 0, 0), ("cpu", "unknown", "none", "none"), ("m", "float32", "ddim"),
                             ("p", "", b"\x01p\x00"), (8, 8, 1, 1), 7.5, values)
    assert obj.platform.torch == "2.13.0" and obj.model.clip_skip == 2 and obj.data.eta == 0.5
    assert obj.model.hash == "sha256:" + "00" * 32 and obj.payload.model == b"weights"
    assert obj.extensions == (aigif.Extension(100, b"\x01"),)
