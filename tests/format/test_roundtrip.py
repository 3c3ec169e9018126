"""Property tests over the whole object model: every field of every dataclass, written and read back.

Properties (R10.1, R10.2, R11):

* ``loads(dumps(x))`` has the same canonical JSON form as ``x`` - except ``compression.text_compressor``
  when ``x`` left it as ``None``: the read object names the compressor the writer chose (R10.3);
* ``dumps(loads(dumps(x))) == dumps(x)`` (a rewrite reproduces the file);
* ``from_json(to_json(y))`` writes the same bytes again, also after a trip through JSON text.
"""

from __future__ import annotations

import dataclasses
import json

from hypothesis import given, settings
from strategies import SETTINGS, compressions_text, files

import aigif


def canonical_text(doc: dict) -> str:
    """JSON text that tells -0.0 from 0.0 and 7 from 7.0, for a strict comparison."""
    return json.dumps(doc, sort_keys=True, ensure_ascii=False)


def without_text_compressor(doc: dict) -> dict:
    doc = json.loads(json.dumps(doc))
    del doc["compression"]["text_compressor"]
    return doc


# ---------------------------------------------------------------------------------------------
# Properties


@given(files())
@SETTINGS
def test_read_back_equals_what_was_written(obj):
    """R10.1/R11: every field survives dumps -> loads; an unset text compressor becomes the writer's choice."""
    data = aigif.dumps(obj)
    back = aigif.loads(data)
    assert back.compression.text_compressor in {"none", "zlib", "zstd", "zstd-dict"}
    if obj.compression.text_compressor is None:
        assert canonical_text(without_text_compressor(aigif.to_json(back))) == canonical_text(
            without_text_compressor(aigif.to_json(obj)))
    else:
        assert back.compression.text_compressor == obj.compression.text_compressor
        assert canonical_text(aigif.to_json(back)) == canonical_text(aigif.to_json(obj))
        assert back == obj  # dataclass equality (the stored text block is not compared)
    assert back.extensions == obj.extensions  # R6.3: byte for byte
    assert back.payload == obj.payload


@given(files())
@SETTINGS
def test_rewrite_is_identical(obj):
    """R10.1/R10.2: dumps(loads(dumps(x))) == dumps(x), and writing is deterministic."""
    data = aigif.dumps(obj)
    assert aigif.dumps(obj) == data
    assert aigif.dumps(aigif.loads(data)) == data


@given(files())
@SETTINGS
def test_json_form_rebuilds_the_same_bytes(obj):
    """R11: from_json(to_json(y)) writes y's bytes again, also through JSON text (json.dumps/loads)."""
    data = aigif.dumps(obj)
    y = aigif.loads(data)
    doc = aigif.to_json(y)
    text = json.dumps(doc)
    assert aigif.dumps(aigif.from_json(doc)) == data
    assert aigif.dumps(aigif.from_json(json.loads(text))) == data
    assert aigif.dumps(aigif.from_json(text)) == data  # from_json accepts JSON text too
    assert json.loads(text) == doc  # the JSON form is plain JSON: nothing is lost by serialising it


@given(files())
@SETTINGS
def test_object_equality_survives_the_json_form(obj):
    """from_json(to_json(y)) == y for a read object (the dataclasses compare field by field)."""
    y = aigif.loads(aigif.dumps(obj))
    assert aigif.from_json(json.loads(json.dumps(aigif.to_json(y)))) == y


@given(files(), compressions_text.filter(lambda c: c is not None))
@settings(max_examples=60, deadline=None)
def test_changing_only_the_text_compressor_keeps_the_contents(obj, compressor):
    """R5.5/R10.2: the text block is re-encoded when the compressor changes; the strings are unchanged."""
    y = aigif.loads(aigif.dumps(obj))
    other = dataclasses.replace(y, compression=dataclasses.replace(y.compression, text_compressor=compressor))
    z = aigif.loads(aigif.dumps(other))
    assert z.compression.text_compressor == compressor
    assert (z.data.prompt, z.data.negative_prompt) == (obj.data.prompt, obj.data.negative_prompt)
    assert canonical_text(without_text_compressor(aigif.to_json(z))) == canonical_text(
        without_text_compressor(aigif.to_json(y)))


def test_strategies_reach_every_dataclass_field():
    """Guard: the strategies name every field of the dataclass tree (so a new field is not forgotten)."""
    import inspect

    import strategies

    source = inspect.getsource(strategies)
    for cls in (aigif.AigifFile, aigif.Compression, aigif.Platform, aigif.Model, aigif.SchedulerOptions,
                aigif.ModelRef, aigif.Adapter, aigif.Data, aigif.Payload, aigif.Extension, aigif.Source,
                aigif.Faithfulness, aigif.SourceText, aigif.Pass, aigif.Image):
        for f in dataclasses.fields(cls):
            if f.name in ("stored_text", "stored_metadata"):
                continue
            assert f"{f.name}=" in source, f"{cls.__name__}.{f.name} is not drawn"
