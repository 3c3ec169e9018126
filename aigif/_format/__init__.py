"""The format core: the AIGIF v1 bitstream, its object model and its JSON form (spec sections 3-11).

Nothing here imports Pillow, torch, the importer, the recreator or the command line
(``tests/test_layers.py``). From the bottom up:

- ``_limits``, ``_registry``: spec section 8's limits and section 7's code tables;
- ``_wire``: section 4's primitives, as construct classes and as the fast path's ``Reader``;
- ``_compression``: the text compressors by code, with bounded decompression (R5.5, R5.6);
- ``_model``: the ``AigifFile`` dataclass tree;
- ``_fields``: the field table of section 6.7, one row per field;
- ``_schema``: the construct schema, the executable definition of the bitstream;
- ``_fastread``: the accept-only fast path; ``_assemble``: plain values -> objects, for both readers;
- ``_read`` (the one error boundary), ``_write``, ``_json`` (section 11).
"""
