meta:
  id: aigif
  title: AIGIF v1 (AI-Generated Image Format)
  file-extension: aigif
  license: Apache-2.0
  ks-version: '0.11'
  endian: be
  bit-endian: be
doc: |
  An independent description of the AIGIF v1 bitstream (spec/aigif-v1.md), written from the spec
  text for Kaitai Struct 0.11. It is not generated from the reference library: the conformance
  tests compile it to Python and JavaScript and run the whole conformance suite through both
  generated readers (conformance/readers, docs/kaitai.md).

  Conventions of this file:

  * Every `valid` (and the signature's `contents`) carries a custom key `-aigif-error` naming the
    error code of spec section 9 that a reader reports when the check fails. Kaitai ignores keys
    that start with `-`; the build (tools/format/kaitai_build.py) turns them into a map from the source path
    (`/types/uvarint/seq/1`, the path the generated code puts in its validation errors) to the code.
  * A check that is not a property of one attribute is a zero-size attribute named `check_*`
    (`size: 0` reads nothing) whose `valid` expression states the rule. They sit where the spec
    checks the rule, so the generated parser reports errors in the order of R9.2.
  * What Kaitai cannot express is done by the reader around the generated parser, and each such
    type says so under "Reader:" in its doc: the CRC-32 (R3.3), trailing bytes (R3.4), the short
    input rule of R3.1, strict UTF-8 (R4.3; the JavaScript runtime decodes leniently), decimal
    canonical forms (R4.4), escaped first-edition names (R4.7), map key order (R4.6),
    decompression of the text block (R5.5) and of the source metadata (R6.8) (the Zstandard frame
    itself, with its size and window limits and its dictionary ID, is described here: zstd_frame),
    the prompt dictionaries' files and their SHA-256 (R5.6), and the exact fill
    of field values (R6.1), which are
    parsed lazily (`field_value.body`) so that running out of bytes inside a value is told apart
    from running out of file. See docs/kaitai.md for the full table.
  * Integers above 2^53 (the seed, R5.4) are exact in the generated Python; in JavaScript the
    `value` instances are doubles, so a reader rebuilds big values from `uvarint.groups` with BigInt.
doc-ref: spec/aigif-v1.md
seq:
  - id: magic
    contents: [0x89, 0x41, 0x49, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]
    doc: |
      R3.1: the signature. A reader checks it before parsing: input shorter than 8 bytes is
      `truncated` if it is a non-empty prefix of the signature, `bad-signature` otherwise.
    -aigif-error: bad-signature
  - id: version
    type: u1
    valid: 1
    doc: R3.2, checked before anything after it is read.
    -aigif-error: unsupported-version
  - id: compression
    type: compression
  - id: platform
    type: platform
  - id: model
    type: model_section
  - id: data
    type: data
  - id: num_fields
    type: uvarint
    valid:
      expr: _.value <= 256
    doc: R6.1, at most 256 fields.
    -aigif-error: limit-exceeded
  - id: fields
    type: >-
      field(_index == 0 ? -1 : fields[_index - 1].tag.value,
      _index == 0 or fields[_index - 1].tags_ascending,
      _index == 0 ? -1 : fields[_index - 1].len_pixels,
      _index > 0 and fields[_index - 1].has_model_payload,
      _index > 0 and fields[_index - 1].has_strength,
      _index > 0 and fields[_index - 1].has_init_image,
      _index > 0 and fields[_index - 1].has_mask)
    repeat: expr
    repeat-expr: num_fields.value
    doc: |
      R6.1-R6.3, R6.7. Each field gets what the checks after the list (R6.2, R6.5, R6.6, R6.10)
      need to know about the fields before it (Kaitai expressions have no fold over an array).
  - id: check_field_order
    size: 0
    valid:
      expr: num_fields.value == 0 or fields.last.tags_ascending
    doc: R6.2, tags strictly ascending (so each tag at most once), checked over the whole list.
    -aigif-error: field-order
  - id: check_pixels_present
    size: 0
    valid:
      expr: not compression.save_pixels or (num_fields.value > 0 and fields.last.len_pixels >= 0)
    doc: R6.5, save pixels set requires field 19.
    -aigif-error: missing-field
  - id: check_pixels_flagged
    size: 0
    valid:
      expr: compression.save_pixels or num_fields.value == 0 or fields.last.len_pixels < 0
    doc: R6.5, field 19 requires save pixels.
    -aigif-error: non-canonical
  - id: check_raw_pixels_size
    size: 0
    valid:
      expr: >-
        not compression.save_pixels
        or compression.pixel_compressor != pixel_compressor::none
        or fields.last.len_pixels == data.height.value * data.width.value * 3
    doc: R6.6, raw pixels are exactly width x height x 3 bytes.
    -aigif-error: invalid-value
  - id: check_model_present
    size: 0
    valid:
      expr: not compression.save_model or (num_fields.value > 0 and fields.last.has_model_payload)
    doc: R6.5, save model set requires field 21.
    -aigif-error: missing-field
  - id: check_model_flagged
    size: 0
    valid:
      expr: compression.save_model or num_fields.value == 0 or not fields.last.has_model_payload
    doc: R6.5, field 21 requires save model.
    -aigif-error: non-canonical
  - id: check_init_image_has_strength
    size: 0
    valid:
      expr: num_fields.value == 0 or not fields.last.has_init_image or fields.last.has_strength
    doc: R6.10, the init image (field 29) requires the strength (field 15).
    -aigif-error: missing-field
  - id: check_mask_has_init_image
    size: 0
    valid:
      expr: num_fields.value == 0 or not fields.last.has_mask or fields.last.has_init_image
    doc: R6.10, the mask (field 31) requires the init image (field 29).
    -aigif-error: missing-field
  - id: crc32
    type: u4
    doc: |
      R3.3: CRC-32 (ISO-HDLC, zlib's crc32) of every byte before it, big-endian.
      Reader: Kaitai has no CRC, so the reader computes it after the parse (the structure is
      checked first, R9.2), then refuses any byte after it (R3.4, `trailing-bytes`).
types:
  # -------------------------------------------------------------------------------------------
  # Primitive types (spec section 4)
  uvarint:
    doc: |
      R4.1: unsigned LEB128, 7 bits per byte, least significant group first, at most 10 bytes
      and 2^64 - 1, no overlong form (a last byte 0x00 after other bytes).
      The loop is bounded with `groups.size` rather than `_index`: in repeat-until, `_index` is
      the index of the last element in Python but the count of elements in JavaScript (Kaitai
      Struct issue #958).
    seq:
      - id: groups
        type: u1
        repeat: until
        repeat-until: _ < 0x80 or groups.size >= 10
      - id: check_length
        size: 0
        valid:
          expr: groups.last < 0x80
        doc: R4.1, more than 10 bytes.
        -aigif-error: limit-exceeded
      - id: check_canonical
        size: 0
        valid:
          expr: groups.size == 1 or groups.last != 0
        doc: R4.1, overlong form.
        -aigif-error: non-canonical
      - id: check_range
        size: 0
        valid:
          expr: groups.size < 10 or groups.last <= 1
        doc: R4.1, value above 2^64 - 1.
        -aigif-error: limit-exceeded
    instances:
      value:
        value: >-
          (groups[0] & 0x7f)
          + (groups.size > 1 ? (groups[1] & 0x7f) * 0x80 : 0)
          + (groups.size > 2 ? (groups[2] & 0x7f) * 0x4000 : 0)
          + (groups.size > 3 ? (groups[3] & 0x7f) * 0x200000 : 0)
          + (groups.size > 4 ? (groups[4] & 0x7f) * 0x10000000 : 0)
          + (groups.size > 5 ? (groups[5] & 0x7f) * 0x800000000 : 0)
          + (groups.size > 6 ? (groups[6] & 0x7f) * 0x40000000000 : 0)
          + (groups.size > 7 ? (groups[7] & 0x7f) * 0x2000000000000 : 0)
          + (groups.size > 8 ? (groups[8] & 0x7f) * 0x100000000000000 : 0)
          + (groups.size > 9 ? (groups[9] & 0x7f) * 0x8000000000000000 : 0)
        doc: The value (exact in Python; a double, exact up to 2^53, in JavaScript).
  exp_code:
    doc: |
      R4.2: a registry code of 1 to 8 bytes, every byte but the last 0xFF; n bytes with last
      byte b have the value 255 * (n - 1) + b (0 to 2039). Every value has one encoding.
    seq:
      - id: code_bytes
        type: u1
        repeat: until
        repeat-until: _ != 0xff or code_bytes.size >= 8
      - id: check_length
        size: 0
        valid:
          expr: code_bytes.last != 0xff
        doc: R4.2, an 8th byte 0xFF.
        -aigif-error: limit-exceeded
    instances:
      value:
        value: 255 * (code_bytes.size - 1) + code_bytes.last
  string:
    doc: |
      R4.3: a uvarint byte length (at most 65,535) and that many bytes of UTF-8. A name is a
      string that must not be empty.
      Reader: UTF-8 must be strict (RFC 3629: no overlong forms, surrogates or code points above
      U+10FFFF) and must keep a leading U+FEFF; the generated Python decodes strictly, the
      JavaScript reader installs a strict decoder (`bad-utf8`).
    params:
      - id: is_name
        type: bool
    seq:
      - id: len_value
        type: uvarint
        valid:
          expr: _.value <= 65535
        doc: R4.3, at most 65,535 bytes (checked before the bytes are read, R8.1).
        -aigif-error: limit-exceeded
      - id: check_not_empty
        size: 0
        valid:
          expr: not is_name or len_value.value > 0
        doc: R4.3, a name is not empty.
        -aigif-error: invalid-value
      - id: value
        type: str
        size: len_value.value
        encoding: UTF-8
  decimal:
    doc: |
      R4.4: a number that round-trips exactly. A uvarint head h; k = h & 3, q = h >> 2. If k < 3
      the value is the binary64 nearest to m * 10^-k with m = zigzag-decoded q (|m| <= 2^53); if
      k = 3, q is 0 and an IEEE 754 binary64 follows (finite).
      Reader: the head's high bits (q, up to 2^62) need a big integer in JavaScript; the reader
      checks |m| <= 2^53 (`limit-exceeded`), finiteness (`invalid-value`), the canonical form
      (the shortest round-trip digits with at most 2 decimals and |m| <= 2^53 use k < 3, every
      other value and -0.0 use binary64; `non-canonical`), then the range the param `allowed`
      names (R6.4: zero is absence, `non-canonical`; R6.7: strength in 0..1, `invalid-value`).
    params:
      - id: allowed
        type: u1
        enum: decimal_range
    seq:
      - id: head
        type: uvarint
      - id: check_binary64_head
        size: 0
        valid:
          expr: (head.groups[0] & 3) != 3 or head.value == 3
        doc: R4.4, q must be 0 when k = 3.
        -aigif-error: non-canonical
      - id: binary64
        type: f8
        if: is_binary64
    instances:
      k:
        value: head.groups[0] & 3
      is_binary64:
        value: (head.groups[0] & 3) == 3
  hash:
    doc: |
      R4.5: a hash-kind code (7.12), a uvarint length of at most 64 and that many bytes. A known
      kind has the registry's length; kind 0 (none) has length 0 and means "no hash". A hash that
      is a field of its own (16, 20) must not be of kind none (R6.4).
    params:
      - id: standalone
        type: bool
    seq:
      - id: kind
        type: exp_code
      - id: len_digest
        type: uvarint
        valid:
          expr: _.value <= 64
        doc: R4.5, at most 64 bytes.
        -aigif-error: limit-exceeded
      - id: digest
        size: len_digest.value
      - id: check_length_of_kind
        size: 0
        valid:
          expr: expected_len < 0 or len_digest.value == expected_len
        doc: R4.5, a known kind has its registry length.
        -aigif-error: invalid-value
      - id: check_not_none
        size: 0
        valid:
          expr: not standalone or kind.value != 0
        doc: R6.4, a hash field of kind none is written by leaving the field out.
        -aigif-error: non-canonical
    instances:
      kind_id:
        value: kind.value
        enum: hash_kind
      expected_len:
        value: >-
          kind.value == 0 ? 0 : kind.value == 1 ? 32 : kind.value == 2 ? 5 : kind.value == 3 ? 4
          : kind.value == 4 ? 32 : kind.value == 5 ? 4 : kind.value == 6 ? 6 : kind.value == 7 ? 6 : -1
        doc: The registry length of a known kind (7.12), -1 for an unknown kind (any length <= 64).
  map:
    doc: |
      R4.6: a uvarint count of 1 to 256 entries, then (name, string) pairs.
      Reader: keys must be strictly ascending as UTF-8 bytes (`non-canonical`). This is not a
      `valid` because comparing strings in Kaitai expressions is code point order in Python but
      UTF-16 code unit order in JavaScript, which differ above U+FFFF.
    seq:
      - id: num_entries
        type: uvarint
        valid:
          expr: _.value <= 256
        doc: R4.6, at most 256 entries.
        -aigif-error: limit-exceeded
      - id: check_not_empty
        size: 0
        valid:
          expr: num_entries.value >= 1
        doc: R4.6/R6.4, an empty map is written by leaving its field out.
        -aigif-error: non-canonical
      - id: entries
        type: map_entry(_index == 0 or entries[_index - 1].values_not_empty)
        repeat: expr
        repeat-expr: num_entries.value
    instances:
      values_not_empty:
        value: num_entries.value == 0 or entries.last.values_not_empty
        doc: Whether no value of the map is empty (for R6.11's triggers, checked after the map).
  map_entry:
    doc: |
      R4.6, one key (a name) and its value (a string). `prev_values_not_empty` says whether the
      values of the entries before it are all non-empty (Kaitai expressions have no fold).
    params:
      - id: prev_values_not_empty
        type: bool
    seq:
      - id: key
        type: string(true)
      - id: value
        type: string(false)
    instances:
      values_not_empty:
        value: prev_values_not_empty and value.len_value.value > 0
  escaped_name:
    doc: |
      R4.7: the name that follows an escape code (15 for a 4-bit code, 254 for an exp code) of
      an open registry. `registry` is the registry's key in aigif/registries.json.
      Reader: the name must not be one the registry has had a code for since its first
      edition (`non-canonical`); a name added later (`added` in registries.json) is accepted.
    params:
      - id: registry
        type: str
    seq:
      - id: name
        type: string(true)
  model_ref:
    doc: R4.8, a model's file or repository name, then a hash (kind 0 if none is known).
    seq:
      - id: name
        type: string(true)
      - id: hash
        type: hash(false)
  # -------------------------------------------------------------------------------------------
  # The core (spec section 5)
  compression:
    doc: |
      R5.1: two bytes of bit fields, most significant first. Compressors are closed registries:
      an unknown code is `unsupported-compressor`. A compressor is 0 when nothing is saved.
    seq:
      - id: save_pixels
        type: b1
      - id: pixel_compressor
        type: b4
        enum: pixel_compressor
        valid:
          in-enum: true
        -aigif-error: unsupported-compressor
      - id: text_compressor
        type: b4
        enum: text_compressor
        valid:
          in-enum: true
        -aigif-error: unsupported-compressor
      - id: save_model
        type: b1
      - id: model_compressor
        type: b4
        enum: model_compressor
        valid:
          in-enum: true
        -aigif-error: unsupported-compressor
      - id: reserved
        type: b2
        valid: 0
        -aigif-error: reserved-bits
      - id: check_pixel_compressor_unused
        size: 0
        valid:
          expr: save_pixels or pixel_compressor == pixel_compressor::none
        doc: R5.1, pixel compressor 0 when save pixels is 0.
        -aigif-error: non-canonical
      - id: check_model_compressor_unused
        size: 0
        valid:
          expr: save_model or model_compressor == model_compressor::none
        doc: R5.1, model compressor 0 when save model is 0.
        -aigif-error: non-canonical
  platform:
    doc: |
      R5.2 (Table I b). Open registries; an escape code is followed by the value's name (R4.7);
      when two 4-bit codes share a byte, the first code's name comes first.
    seq:
      - id: device
        type: b4
        enum: device
      - id: arch
        type: b4
        enum: arch
      - id: device_name
        type: escaped_name("device")
        if: device.to_i == 15
      - id: arch_name
        type: escaped_name("arch")
        if: arch.to_i == 15
      - id: gpu
        type: exp_code
      - id: gpu_name
        type: escaped_name("gpu")
        if: gpu.value == 254
      - id: cuda
        type: exp_code
      - id: cuda_name
        type: escaped_name("cuda")
        if: cuda.value == 254
    instances:
      gpu_id:
        value: gpu.value
        enum: gpu
      cuda_id:
        value: cuda.value
        enum: cuda
  model_section:
    doc: R5.3 (Table I c). The model ID is an exp code, the data type and scheduler share a byte.
    seq:
      - id: model_id
        type: exp_code
      - id: model_name
        type: escaped_name("model")
        if: model_id.value == 254
      - id: dtype
        type: b4
        enum: dtype
      - id: scheduler
        type: b4
        enum: scheduler
      - id: dtype_name
        type: escaped_name("dtype")
        if: dtype.to_i == 15
      - id: scheduler_name
        type: escaped_name("scheduler")
        if: scheduler.to_i == 15
    instances:
      model_enum:
        value: model_id.value
        enum: model
  data:
    doc: R5.4 (Table I d). Heights and widths 1..16,384; steps 1..10,000; the seed is 64-bit.
    seq:
      - id: text
        type: text_block(_root.compression.text_compressor)
      - id: height
        type: uvarint
        valid:
          expr: _.value <= 16384
        -aigif-error: limit-exceeded
      - id: check_height_min
        size: 0
        valid:
          expr: height.value >= 1
        -aigif-error: invalid-value
      - id: width
        type: uvarint
        valid:
          expr: _.value <= 16384
        -aigif-error: limit-exceeded
      - id: check_width_min
        size: 0
        valid:
          expr: width.value >= 1
        -aigif-error: invalid-value
      - id: seed
        type: uvarint
        doc: 0 to 2^64 - 1; a JavaScript reader decodes it with BigInt (R5.4 note).
      - id: steps
        type: uvarint
        valid:
          expr: _.value <= 10000
        -aigif-error: limit-exceeded
      - id: check_steps_min
        size: 0
        valid:
          expr: steps.value >= 1
        -aigif-error: invalid-value
      - id: guidance_scale
        type: decimal(decimal_range::any)
  text_block:
    doc: |
      R5.5: a uvarint length and the stored block: the content (text_content) transformed by the
      text compressor (none; zlib: exactly one zlib stream; zstd: exactly one frame that declares
      its content size and names no dictionary; zstd-dict: the same, made with the prompt
      dictionary its header names, R5.6). The length itself has no limit of its own: a length
      past the end of the file is `truncated`; with compressor none the limit of the content
      applies to the stored block once its bytes are present (stored_block).
      Reader: decompress (not with `process: zlib`, which has no output cap) and stop with
      `limit-exceeded` as soon as the content would exceed 131,076 bytes; refuse a stream that
      does not decompress or is followed by anything, and (zstd) a frame whose content does not
      match its declared size, with `bad-compressed-data`. For zstd and zstd-dict the reader
      first parses `stored.zstd_frame` (lazily, so that running out of bytes in it is
      `bad-compressed-data`, not `truncated`): its checks (declared size, the limits, the
      dictionary ID, one frame and nothing after it) come before any decoding; for zstd-dict it
      then decodes with the dictionary `zstd_frame.dictionary` names (R5.6: the file of the
      table, byte for byte as published, its SHA-256 checked; a dictionary the reader does not
      hold is `unsupported-compressor`). Then it parses the content as text_content and refuses
      content the two strings do not fill exactly with `malformed-field`.
    params:
      - id: compressor
        type: u1
        enum: text_compressor
    seq:
      - id: len_stored
        type: uvarint
      - id: stored
        size: len_stored.value
        type: stored_block(compressor, 131076, 20, -1)
  stored_block:
    doc: |
      R5.5 (text block) and R6.8 (source metadata): a block stored by a text compressor, as a
      stream of its own (`size:` reads it whole, so a text block that runs past the end of the
      file is `truncated` before any check here). `max_content` is the content's limit (131,076
      bytes for the text block, 16 MiB for the source metadata), `max_window_log` the log2 of
      the largest zstd window (20, 24) and `declared` the content length the source metadata
      declares (-1 for the text block, which declares none).
    params:
      - id: compressor
        type: u1
        enum: text_compressor
      - id: max_content
        type: u4
      - id: max_window_log
        type: u1
      - id: declared
        type: s8
    seq:
      - id: check_none_declared
        size: 0
        valid:
          expr: compressor != text_compressor::none or declared < 0 or _io.size == declared
        doc: R6.8, with compressor none the stored block is the content of the declared length.
        -aigif-error: bad-compressed-data
      - id: check_none_limit
        size: 0
        valid:
          expr: compressor != text_compressor::none or _io.size <= max_content
        doc: |
          R5.5, with compressor none the stored block (the content) is at most 131,076 bytes.
          Checked once those bytes are present: a length past the end of the file is `truncated`.
        -aigif-error: limit-exceeded
    instances:
      data:
        pos: 0
        size-eos: true
        doc: The stored bytes, for the reader to decompress (or to take as the content with none).
      zstd_frame:
        pos: 0
        type: zstd_frame(compressor, max_content, max_window_log, declared)
        if: compressor == text_compressor::zstd or compressor == text_compressor::zstd_dict
        doc: |
          Parsed on demand by the reader, before decoding: running out of bytes inside it is
          `bad-compressed-data` (a frame that ends early), not `truncated`.
  zstd_frame:
    doc: |
      R5.5 and R6.8 with RFC 8878 section 3.1.1: the one Zstandard frame a zstd stored block
      holds, down to its block headers (the blocks' contents are decoded by the reader's
      libzstd). Every defect of the frame's structure is `bad-compressed-data`, and so is a
      content size other than the one the source metadata declares (R6.8); a declared content
      size above the text block's 131,076 bytes or a window above 1 MiB (text block, 2^20
      bytes) or 16 MiB (source metadata) is `limit-exceeded`, checked from the header, before a
      decoder would allocate anything. The dictionary ID (R5.5, R5.6): a zstd frame names none
      (`bad-compressed-data`), a zstd-dict frame names one (`bad-compressed-data` without), and that
      one must be in the spec's table of prompt dictionaries (enum prompt_dictionary;
      `unsupported-compressor` for any other ID). The checks stand in the order the reference
      reader makes them: declared size, content size, window, dictionary.
      Reader: decode the blocks, with the dictionary `dictionary` names for zstd-dict.
    params:
      - id: compressor
        type: u1
        enum: text_compressor
        doc: zstd or zstd_dict (the stored block's compressor).
      - id: max_content
        type: u4
      - id: max_window_log
        type: u1
      - id: declared
        type: s8
    seq:
      - id: magic
        contents: [0x28, 0xb5, 0x2f, 0xfd]
        doc: RFC 8878 3.1.1, Magic_Number 0xFD2FB528 (a skippable frame is not a frame here).
        -aigif-error: bad-compressed-data
      - id: content_size_flag
        type: b2
        doc: Frame_Header_Descriptor bits 7-6 (RFC 8878 3.1.1.1.1.1).
      - id: single_segment
        type: b1
        doc: Bit 5; when set there is no window descriptor and the window is the content size.
      - id: unused_bit
        type: b1
        doc: Bit 4, not interpreted by a decoder (RFC 8878 3.1.1.1.1.3).
      - id: reserved_bit
        type: b1
        valid:
          expr: not _
        doc: Bit 3, must be 0 (RFC 8878 3.1.1.1.1.4).
        -aigif-error: bad-compressed-data
      - id: has_checksum
        type: b1
        doc: Bit 2, a 4-byte content checksum follows the last block.
      - id: dictionary_id_flag
        type: b2
        doc: Bits 1-0, the size of the Dictionary_ID field (0, 1, 2 or 4 bytes).
      - id: window_exponent
        type: b5
        if: not single_segment
        doc: Window_Descriptor (RFC 8878 3.1.1.1.2), Window_Log = 10 + exponent.
      - id: window_mantissa
        type: b3
        if: not single_segment
      - id: dictionary_id
        type:
          switch-on: dictionary_id_flag
          cases:
            1: u1
            2: u2le
            3: u4le
        if: dictionary_id_flag != 0
        doc: Dictionary_ID (RFC 8878 3.1.1.1.3), little-endian; 0 (or no field) names no dictionary.
      - id: content_size_field
        type:
          switch-on: content_size_flag
          cases:
            0: u1
            1: u2le
            2: u4le
            3: u8le
        if: content_size_flag != 0 or single_segment
        doc: Frame_Content_Size (RFC 8878 3.1.1.1.4); the 2-byte form is offset by 256.
      - id: check_declares_size
        size: 0
        valid:
          expr: content_size_flag != 0 or single_segment
        doc: R5.5, the frame header declares the content size.
        -aigif-error: bad-compressed-data
      - id: check_declared_size
        size: 0
        valid:
          expr: declared < 0 or content_size == declared
        doc: R6.8, the frame holds the content length the source metadata declares.
        -aigif-error: bad-compressed-data
      - id: check_content_size
        size: 0
        valid:
          expr: content_size <= max_content
        doc: R5.5, the declared content is within its limit (131,076 bytes for the text block).
        -aigif-error: limit-exceeded
      - id: check_window
        size: 0
        valid:
          expr: >-
            single_segment or window_exponent + 10 < max_window_log
            or (window_exponent + 10 == max_window_log and window_mantissa == 0)
        doc: |
          R5.5, R6.8: the frame header declares a window of at most 1 MiB (2^20 bytes), or 16 MiB.
          (1 + mantissa / 8) * 2^(10 + exponent) <= 2^max_window_log; a single-segment frame's
          window is its content size, already within its limit.
        -aigif-error: limit-exceeded
      - id: check_no_dictionary
        size: 0
        valid:
          expr: compressor != text_compressor::zstd or dictionary_id_flag == 0 or dictionary_id == 0
        doc: R5.5, R6.8, a zstd frame names no dictionary (it cannot be decoded without one).
        -aigif-error: bad-compressed-data
      - id: check_names_dictionary
        size: 0
        valid:
          expr: compressor != text_compressor::zstd_dict or (dictionary_id_flag != 0 and dictionary_id != 0)
        doc: R5.6, a zstd-dict frame names its dictionary by its dictionary ID.
        -aigif-error: bad-compressed-data
      - id: check_dictionary_known
        size: 0
        valid:
          expr: >-
            compressor != text_compressor::zstd_dict
            or dictionary_id == prompt_dictionary::prompts_v1.to_i
        doc: |
          R5.6, the dictionary ID is one of the spec's prompt dictionaries (enum prompt_dictionary).
          Every entry of the enum is listed in the expression: a reader cannot decode a frame made
          with a dictionary it does not have.
        -aigif-error: unsupported-compressor
      - id: blocks
        type: zstd_block
        repeat: until
        repeat-until: _.is_last
        doc: RFC 8878 3.1.1.2, the blocks up to the one marked last.
      - id: checksum
        size: 4
        if: has_checksum
        doc: The low 32 bits of the content's XXH64, checked by the reader's decoder.
      - id: check_end
        size: 0
        valid:
          expr: _io.eof
        doc: R5.5, exactly one frame and nothing after it.
        -aigif-error: bad-compressed-data
    instances:
      content_size:
        value: >-
          content_size_flag == 0 and not single_segment ? -1
          : content_size_flag == 1 ? content_size_field + 256 : content_size_field
        doc: The declared content size (-1 when the header does not declare it).
      dictionary:
        value: 'dictionary_id_flag == 0 ? 0 : dictionary_id'
        enum: prompt_dictionary
        doc: The prompt dictionary the frame names (R5.6); 0 when it names none.
  zstd_block:
    doc: |
      RFC 8878 3.1.1.2 for R5.5: a 3-byte little-endian block header (Last_Block bit 0,
      Block_Type bits 1-2, Block_Size bits 3-23), then Block_Size bytes, or one byte for an RLE
      block. Type 3 is reserved (`bad-compressed-data`).
    seq:
      - id: header
        type: u1
        repeat: expr
        repeat-expr: 3
      - id: check_type
        size: 0
        valid:
          expr: block_type != 3
        doc: RFC 8878 3.1.1.2.2, block type 3 is reserved.
        -aigif-error: bad-compressed-data
      - id: body
        size: 'block_type == 1 ? 1 : block_size'
    instances:
      is_last:
        value: (header[0] & 1) == 1
      block_type:
        value: (header[0] >> 1) & 3
      block_size:
        value: (header[0] >> 3) + header[1] * 32 + header[2] * 8192
  text_content:
    doc: R5.5, the (decompressed) content of the text block.
    seq:
      - id: prompt
        type: string(false)
      - id: negative_prompt
        type: string(false)
  # -------------------------------------------------------------------------------------------
  # Fields (spec section 6)
  field:
    doc: |
      R6.1: an exp code tag, a uvarint length (at most 2^32 - 1) and the value. An odd tag is
      critical (R6.3): a reader refuses an unknown one; an unknown even tag is skipped and kept.
      Reader: `value.body` is parsed lazily, so that a known value that needs more bytes than its
      length is `malformed-field` rather than `truncated`; the reader also refuses a value that
      leaves bytes over (`malformed-field`).
    params:
      - id: prev_tag
        type: s4
        doc: The previous field's tag, -1 for the first field.
      - id: prev_tags_ascending
        type: bool
      - id: prev_len_pixels
        type: s8
      - id: prev_has_model_payload
        type: bool
      - id: prev_has_strength
        type: bool
      - id: prev_has_init_image
        type: bool
      - id: prev_has_mask
        type: bool
    seq:
      - id: tag
        type: exp_code
      - id: len_value
        type: uvarint
        valid:
          expr: _.value <= 4294967295
        doc: R6.1, at most 2^32 - 1 bytes (checked before the value is read, R8.1).
        -aigif-error: limit-exceeded
      - id: value
        size: len_value.value
        type: field_value(tag.value)
      - id: check_critical_known
        size: 0
        valid:
          expr: tag.value % 2 == 0 or tag.value <= 21 or (tag.value >= 25 and tag.value <= 31)
        doc: R6.3, every odd tag up to 21 and from 25 to 31 is a known field (6.7).
        -aigif-error: unknown-critical-field
    instances:
      tag_id:
        value: tag.value
        enum: field_tag
      tags_ascending:
        value: prev_tags_ascending and prev_tag < tag.value
        doc: R6.2, this tag and every one before it strictly ascending.
      len_pixels:
        value: 'tag.value == 19 ? len_value.value : prev_len_pixels'
        doc: The length of the pixels field (19) among the fields up to this one, -1 if none.
      has_model_payload:
        value: tag.value == 21 or prev_has_model_payload
        doc: Whether the model payload field (21) is among the fields up to this one.
      has_strength:
        value: tag.value == 15 or prev_has_strength
        doc: Whether the strength field (15) is among the fields up to this one.
      has_init_image:
        value: tag.value == 29 or prev_has_init_image
        doc: Whether the init image field (29) is among the fields up to this one.
      has_mask:
        value: tag.value == 31 or prev_has_mask
        doc: Whether the mask field (31) is among the fields up to this one.
  field_value:
    doc: R6.7, a field's value, by tag; an unknown tag's value is raw bytes (R6.3).
    params:
      - id: tag
        type: u2
    instances:
      tag_id:
        value: tag
        enum: field_tag
      body:
        pos: 0
        size-eos: true
        type:
          switch-on: tag_id
          cases:
            'field_tag::scheduler_options': scheduler_options
            'field_tag::torch': string(true)
            'field_tag::scheduler_config': map
            'field_tag::diffusers': string(true)
            'field_tag::vae': model_ref
            'field_tag::cpu_capability': string(true)
            'field_tag::adapters': adapter_list
            'field_tag::threads': threads
            'field_tag::clip_skip': clip_skip
            'field_tag::determinism': determinism
            'field_tag::rng': rng_field
            'field_tag::attention': string(true)
            'field_tag::eta': decimal(decimal_range::nonzero)
            'field_tag::software': map
            'field_tag::strength': decimal(decimal_range::zero_to_one)
            'field_tag::model_hash': hash(true)
            'field_tag::guidance_rescale': decimal(decimal_range::nonzero)
            'field_tag::pixels': payload
            'field_tag::pixel_digest': hash(true)
            'field_tag::model_payload': payload
            'field_tag::source_tool': string(true)
            'field_tag::source_version': string(true)
            'field_tag::faithfulness': faithfulness_field
            'field_tag::passes': pass_list
            'field_tag::source_metadata': source_metadata
            'field_tag::embedding_triggers': embedding_triggers
            'field_tag::init_image': image(3)
            'field_tag::mask': image(1)
            'field_tag::cpu_vendor': string(true)
            'field_tag::cpu_model': string(true)
            'field_tag::determinism_profile': determinism_profile_field
  scheduler_options:
    doc: R6.7 field 1, uvarint 1..127 (0 is absence, R6.4); bits least significant first.
    seq:
      - id: bits
        type: uvarint
        valid:
          expr: _.value <= 127
        -aigif-error: limit-exceeded
      - id: check_not_default
        size: 0
        valid:
          expr: bits.value >= 1
        -aigif-error: non-canonical
    instances:
      sigmas:
        value: bits.value & 3
        enum: sigmas
      timestep_spacing:
        value: (bits.value >> 2) & 3
        enum: timestep_spacing
      prediction_type:
        value: (bits.value >> 4) & 3
        enum: prediction_type
      rescale_betas_zero_snr:
        value: (bits.value & 0x40) != 0
  threads:
    doc: R6.7 field 8, uvarint 1..65,535.
    seq:
      - id: count
        type: uvarint
        valid:
          expr: _.value <= 65535
        -aigif-error: limit-exceeded
      - id: check_min
        size: 0
        valid:
          expr: count.value >= 1
        -aigif-error: invalid-value
  clip_skip:
    doc: R6.7 field 9, uvarint 1..64 (0 is absence, R6.4).
    seq:
      - id: layers
        type: uvarint
        valid:
          expr: _.value <= 64
        -aigif-error: limit-exceeded
      - id: check_not_zero
        size: 0
        valid:
          expr: layers.value >= 1
        -aigif-error: non-canonical
  determinism:
    doc: R6.7 field 10, uvarint of flag bits (enum determinism_flag); 0 is meaningful (all off).
    seq:
      - id: flags
        type: uvarint
        valid:
          expr: _.value <= 31
        doc: Undefined bits must be 0 (R6.7).
        -aigif-error: limit-exceeded
  determinism_profile_field:
    doc: R6.7 field 36, an exp code of 7.15 (open, escape 254); 0 (native) is a value, not absence.
    seq:
      - id: code
        type: exp_code
      - id: name
        type: escaped_name("determinism_profile")
        if: code.value == 254
  rng_field:
    doc: R6.7 field 11, an exp code of 7.11 (open, escape 254); 0 (cpu) is absence (R6.4).
    seq:
      - id: code
        type: exp_code
      - id: check_not_cpu
        size: 0
        valid:
          expr: code.value != 0
        -aigif-error: non-canonical
      - id: name
        type: escaped_name("rng")
        if: code.value == 254
    instances:
      rng_id:
        value: code.value
        enum: rng
  adapter_list:
    doc: R6.7 field 7, a uvarint count 1..256 (0 is absence, R6.4), then the adapters.
    seq:
      - id: num_adapters
        type: uvarint
        valid:
          expr: _.value <= 256
        -aigif-error: limit-exceeded
      - id: check_not_empty
        size: 0
        valid:
          expr: num_adapters.value >= 1
        -aigif-error: non-canonical
      - id: adapters
        type: adapter
        repeat: expr
        repeat-expr: num_adapters.value
  adapter:
    doc: R6.7 field 7, one adapter (kind (7.13, escape 254 + name), model reference, weight).
    seq:
      - id: kind
        type: exp_code
      - id: kind_name
        type: escaped_name("adapter_kind")
        if: kind.value == 254
      - id: ref
        type: model_ref
      - id: weight
        type: decimal(decimal_range::any)
    instances:
      kind_id:
        value: kind.value
        enum: adapter_kind
  faithfulness_field:
    doc: |
      R6.7, field 24: a level (exp code of 7.14, open, escape 254 + name), a uvarint count of 0
      to 256 reasons, then the reasons, each a string.
    seq:
      - id: level
        type: exp_code
      - id: level_name
        type: escaped_name("faithfulness")
        if: level.value == 254
      - id: num_reasons
        type: uvarint
        valid:
          expr: _.value <= 256
        doc: R6.7, at most 256 reasons.
        -aigif-error: limit-exceeded
      - id: reasons
        type: string(false)
        repeat: expr
        repeat-expr: num_reasons.value
    instances:
      level_id:
        value: level.value
        enum: faithfulness
  pass_list:
    doc: |
      R6.9, field 25: a uvarint count of 1 to 8 (0 is absence, R6.4: `non-canonical`), then the
      passes after the first, in order.
    seq:
      - id: num_passes
        type: uvarint
        valid:
          expr: _.value <= 8
        doc: R6.9, at most 8 passes after the first.
        -aigif-error: limit-exceeded
      - id: check_not_empty
        size: 0
        valid:
          expr: num_passes.value >= 1
        doc: R6.4, no pass after the first is written by leaving the field out.
        -aigif-error: non-canonical
      - id: passes
        type: pass_entry
        repeat: expr
        repeat-expr: num_passes.value
  pass_entry:
    doc: |
      R6.9, one pass: a kind (exp code of 7.16, open, escape 254 + name), a strength (decimal
      0..1), a uvarint `parts` of 0 to 127 whose bit i says that optional part i follows, then
      the present parts in bit order: width and height (bit 0), upscaler and its hash (bit 1),
      model and its hash (bit 2), scheduler (bit 3), steps (bit 4), guidance scale (bit 5),
      prompt and negative prompt (bit 6).
    seq:
      - id: kind
        type: exp_code
      - id: kind_name
        type: escaped_name("pass_kind")
        if: kind.value == 254
      - id: strength
        type: decimal(decimal_range::zero_to_one)
      - id: parts
        type: uvarint
        valid:
          expr: _.value <= 127
        doc: R6.9, bits 0 to 6; a set bit 7 or above is above the largest value (R6.7).
        -aigif-error: limit-exceeded
      - id: width
        type: dimension
        if: (parts.value & 1) != 0
      - id: height
        type: dimension
        if: (parts.value & 1) != 0
      - id: upscaler
        type: coded_ref("upscaler")
        if: (parts.value & 2) != 0
        doc: Registry 7.17; the hash is an upscaling model's (kind 0 when none is known).
      - id: model
        type: coded_ref("model")
        if: (parts.value & 4) != 0
        doc: Registry 7.8 (R5.3's model ID); the hash is the model's (kind 0 when none is known).
      - id: scheduler
        type: pass_scheduler
        if: (parts.value & 8) != 0
      - id: steps
        type: uvarint
        if: (parts.value & 16) != 0
        valid:
          expr: _.value <= 10000
        doc: R6.9 with R5.4's limits, 1 to 10,000.
        -aigif-error: limit-exceeded
      - id: check_steps_min
        size: 0
        if: (parts.value & 16) != 0
        valid:
          expr: steps.value >= 1
        doc: R6.9 with R5.4's limits, at least one step.
        -aigif-error: invalid-value
      - id: guidance_scale
        type: decimal(decimal_range::any)
        if: (parts.value & 32) != 0
      - id: prompt
        type: string(false)
        if: (parts.value & 64) != 0
      - id: negative_prompt
        type: string(false)
        if: (parts.value & 64) != 0
    instances:
      kind_id:
        value: kind.value
        enum: pass_kind
  pass_scheduler:
    doc: |
      R6.9 bit 3: a scheduler (7.10) as a uvarint 0 to 15 (above 15: `limit-exceeded`); 15 is the
      escape of the 4-bit registry, and the scheduler's name follows (R4.7).
    seq:
      - id: code
        type: uvarint
        valid:
          expr: _.value <= 15
        doc: R6.9, a 4-bit registry code as a uvarint, at most 15.
        -aigif-error: limit-exceeded
      - id: name
        type: escaped_name("scheduler")
        if: code.value == 15
    instances:
      scheduler_id:
        value: code.value
        enum: scheduler
  coded_ref:
    doc: |
      R6.9 bits 1 and 2: an exp code of the open registry `registry` (escape 254 + name, R4.7),
      then a hash (R4.5; kind 0 when none is known).
    params:
      - id: registry
        type: str
    seq:
      - id: code
        type: exp_code
      - id: name
        type: escaped_name(registry)
        if: code.value == 254
      - id: hash
        type: hash(false)
  dimension:
    doc: R6.9, R6.10, a width or height with R5.4's limits and codes (1 to 16,384).
    seq:
      - id: pixels
        type: uvarint
        valid:
          expr: _.value <= 16384
        doc: R5.4, at most 16,384.
        -aigif-error: limit-exceeded
      - id: check_min
        size: 0
        valid:
          expr: pixels.value >= 1
        doc: R5.4, at least 1.
        -aigif-error: invalid-value
    instances:
      value:
        value: pixels.value
  embedding_triggers:
    doc: |
      R6.11, field 27: a map (R4.6) of embedding adapter name -> trigger text; a trigger is not
      empty (`invalid-value`), checked after the map's own rules (its key order included, which
      the reader checks when the map has been read).
    seq:
      - id: triggers
        type: map
      - id: check_triggers_not_empty
        size: 0
        valid:
          expr: triggers.values_not_empty
        doc: R6.11, a trigger is not empty.
        -aigif-error: invalid-value
  image:
    doc: |
      R6.10, fields 29 and 31: an exp code compressor of the pixel-compressor registry (7.1,
      closed), a width and a height (1 to 16,384 each), then the image encoded by that
      compressor, to the end of the field. With compressor none the image is raw 8-bit samples:
      width x height x `channels` bytes (3 for the init image, 1 for the mask). A reader that
      does not decode images (this one) accepts a compressed image it could not decode (R6.10
      MAY, as R6.6).
    params:
      - id: channels
        type: u1
    seq:
      - id: compressor
        type: exp_code
      - id: check_compressor_known
        size: 0
        valid:
          expr: compressor.value <= pixel_compressor::webp.to_i
        doc: |
          R6.10, a code of the pixel-compressor registry (7.1, closed; codes 0 to 3, the last
          being webp).
        -aigif-error: unsupported-compressor
      - id: width
        type: dimension
      - id: height
        type: dimension
      - id: data
        size-eos: true
      - id: check_raw_size
        size: 0
        valid:
          expr: >-
            compressor.value != pixel_compressor::none.to_i
            or data.size == width.value * height.value * channels
        doc: R6.10, a raw image is exactly width x height x channels bytes.
        -aigif-error: invalid-value
    instances:
      compressor_id:
        value: compressor.value
        enum: pixel_compressor
  source_metadata:
    doc: |
      R6.8, field 26: an exp code compressor of the text-compressor registry (7.2, closed), a
      uvarint content length n of 1 to 16,777,216, then the stored block to the end of the field.
      Reader: decompress the stored block under R5.5's rules (one stream or frame, nothing
      after it; `bad-compressed-data` as soon as the content would exceed n or when it is not n
      bytes), then parse the content as source_content, which must fill it exactly
      (`malformed-field`).
    seq:
      - id: compressor
        type: exp_code
      - id: check_compressor_known
        size: 0
        valid:
          expr: compressor.value <= text_compressor::zstd_dict.to_i
        doc: |
          R6.8, a code of the text-compressor registry (7.2, closed; codes 0 to 3, the last being
          zstd-dict, whose dictionary rules are R5.6's).
        -aigif-error: unsupported-compressor
      - id: len_content
        type: uvarint
        valid:
          expr: _.value <= 16777216
        doc: R6.8, a content of at most 16,777,216 bytes.
        -aigif-error: limit-exceeded
      - id: check_len_content_min
        size: 0
        valid:
          expr: len_content.value >= 1
        doc: R6.8, a content of at least one byte.
        -aigif-error: invalid-value
      - id: stored
        size-eos: true
        type: stored_block(compressor_id, 16777216, 24, len_content.value)
    instances:
      compressor_id:
        value: compressor.value
        enum: text_compressor
  source_content:
    doc: |
      R6.8, the (decompressed) content of the source metadata: a uvarint count of 1 to 256
      entries, then per entry a name `where`, a name `key` and a text.
    seq:
      - id: num_entries
        type: uvarint
        valid:
          expr: _.value <= 256
        doc: R6.8, at most 256 entries.
        -aigif-error: limit-exceeded
      - id: check_not_empty
        size: 0
        valid:
          expr: num_entries.value >= 1
        doc: R6.8, at least one entry (no metadata is written by leaving the field out).
        -aigif-error: non-canonical
      - id: entries
        type: source_entry
        repeat: expr
        repeat-expr: num_entries.value
  source_entry:
    doc: R6.8, one text the source image carried, where it was and under which key.
    seq:
      - id: where
        type: string(true)
      - id: key
        type: string(true)
      - id: text
        type: source_text
  source_text:
    doc: |
      R6.8: a string with R4.3's rules but without its 65,535-byte limit (the content length,
      at most 16,777,216 bytes, bounds it).
    seq:
      - id: len_value
        type: uvarint
        valid:
          expr: _.value <= 16777216
        doc: R6.8, at most the largest content.
        -aigif-error: limit-exceeded
      - id: value
        type: str
        size: len_value.value
        encoding: UTF-8
  payload:
    doc: R6.7 fields 19 and 21, bytes encoded by the pixel or model compressor (opaque here).
    seq:
      - id: data
        size-eos: true
enums:
  prompt_dictionary:
    # R5.6: the published prompt dictionaries, by dictionary ID (appended, never changed). The
    # readers hold the files and check each one's SHA-256 before using it.
    32768:
      id: prompts_v1
      doc: aigif/dictionaries/prompts-v1.zdict, 114,621 bytes, SHA-256 e22ba2b2bb34f43a386faf45dcccef11572fed03047e560942cdaf4bdb71fd05
      -file: prompts-v1.zdict
      -sha256: e22ba2b2bb34f43a386faf45dcccef11572fed03047e560942cdaf4bdb71fd05
  decimal_range:
    0:
      id: any
      doc: any finite value
    1:
      id: nonzero
      doc: 0 is what absence means (eta, guidance rescale; R6.4)
    2:
      id: zero_to_one
      doc: 0 to 1 inclusive (strength; R6.7)
  field_tag:
    1: scheduler_options
    2: torch
    3: scheduler_config
    4: diffusers
    5: vae
    6: cpu_capability
    7: adapters
    8: threads
    9: clip_skip
    10: determinism
    11: rng
    12: attention
    13: eta
    14: software
    15: strength
    16: model_hash
    17: guidance_rescale
    18: source_tool
    19: pixels
    20: pixel_digest
    21: model_payload
    22: source_version
    24: faithfulness
    25: passes
    26: source_metadata
    27: embedding_triggers
    29: init_image
    31: mask
    32: cpu_vendor
    34: cpu_model
    36: determinism_profile
  sigmas:
    0: default
    1: karras
    2: exponential
    3: beta
  timestep_spacing:
    0: default
    1: leading
    2: linspace
    3: trailing
  prediction_type:
    0: default
    1: epsilon
    2: v_prediction
    3: sample
  determinism_flag:
    0: deterministic_algorithms
    1: cudnn_deterministic
    2: cudnn_benchmark
    3: tf32_matmul
    4: tf32_cudnn
  # BEGIN GENERATED registries (tools/format/kaitai_build.py --write-enums; from aigif/registries.json)
  pixel_compressor:  # 4-bit, closed
    0: none
    1: png
    2: jpegxl
    3: webp
  text_compressor:  # 4-bit, closed
    0: none
    1: zlib
    2: zstd
    3:
      id: zstd_dict
      -orig-id: "zstd-dict"
  model_compressor:  # 4-bit, closed
    0: none
    1: int8
  device:  # 4-bit, open
    0: cpu
    1: gpu
    2: mps
    3: rocm
    4: xpu
    5: npu
    6: unknown
  arch:  # 4-bit, open
    0: unknown
    1: x86_64
    2: aarch64
    3: ppc64le
    4: s390x
    5: riscv64
    6: loongarch64
  gpu:  # exp code, open
    0: none
    1:
      id: nvidia_geforce_gtx_1080_ti
      -orig-id: "NVIDIA GeForce GTX 1080 Ti"
    2:
      id: nvidia_geforce_gtx_1060_6gb
      -orig-id: "NVIDIA GeForce GTX 1060 6GB"
    3:
      id: nvidia_geforce_gtx_1070
      -orig-id: "NVIDIA GeForce GTX 1070"
    4:
      id: nvidia_geforce_gtx_1080
      -orig-id: "NVIDIA GeForce GTX 1080"
    5:
      id: tesla_p100_pcie_16gb
      -orig-id: "Tesla P100-PCIE-16GB"
    6:
      id: tesla_p4
      -orig-id: "Tesla P4"
    7:
      id: tesla_p40
      -orig-id: "Tesla P40"
    8:
      id: tesla_v100_sxm2_16gb
      -orig-id: "Tesla V100-SXM2-16GB"
    9:
      id: tesla_v100_sxm2_32gb
      -orig-id: "Tesla V100-SXM2-32GB"
    10:
      id: tesla_v100_pcie_16gb
      -orig-id: "Tesla V100-PCIE-16GB"
    11:
      id: nvidia_titan_v
      -orig-id: "NVIDIA TITAN V"
    12:
      id: nvidia_geforce_gtx_1660_super
      -orig-id: "NVIDIA GeForce GTX 1660 SUPER"
    13:
      id: nvidia_geforce_gtx_1660_ti
      -orig-id: "NVIDIA GeForce GTX 1660 Ti"
    14:
      id: nvidia_geforce_rtx_2060
      -orig-id: "NVIDIA GeForce RTX 2060"
    15:
      id: nvidia_geforce_rtx_2070
      -orig-id: "NVIDIA GeForce RTX 2070"
    16:
      id: nvidia_geforce_rtx_2080
      -orig-id: "NVIDIA GeForce RTX 2080"
    17:
      id: nvidia_geforce_rtx_2080_ti
      -orig-id: "NVIDIA GeForce RTX 2080 Ti"
    18:
      id: nvidia_titan_rtx
      -orig-id: "NVIDIA TITAN RTX"
    19:
      id: tesla_t4
      -orig-id: "Tesla T4"
    20:
      id: quadro_rtx_6000
      -orig-id: "Quadro RTX 6000"
    21:
      id: quadro_rtx_8000
      -orig-id: "Quadro RTX 8000"
    22:
      id: nvidia_geforce_rtx_3060
      -orig-id: "NVIDIA GeForce RTX 3060"
    23:
      id: nvidia_geforce_rtx_3060_ti
      -orig-id: "NVIDIA GeForce RTX 3060 Ti"
    24:
      id: nvidia_geforce_rtx_3070
      -orig-id: "NVIDIA GeForce RTX 3070"
    25:
      id: nvidia_geforce_rtx_3070_ti
      -orig-id: "NVIDIA GeForce RTX 3070 Ti"
    26:
      id: nvidia_geforce_rtx_3080
      -orig-id: "NVIDIA GeForce RTX 3080"
    27:
      id: nvidia_geforce_rtx_3080_ti
      -orig-id: "NVIDIA GeForce RTX 3080 Ti"
    28:
      id: nvidia_geforce_rtx_3090
      -orig-id: "NVIDIA GeForce RTX 3090"
    29:
      id: nvidia_geforce_rtx_3090_ti
      -orig-id: "NVIDIA GeForce RTX 3090 Ti"
    30:
      id: nvidia_rtx_a4000
      -orig-id: "NVIDIA RTX A4000"
    31:
      id: nvidia_rtx_a5000
      -orig-id: "NVIDIA RTX A5000"
    32:
      id: nvidia_rtx_a6000
      -orig-id: "NVIDIA RTX A6000"
    33:
      id: nvidia_a10
      -orig-id: "NVIDIA A10"
    34:
      id: nvidia_a10g
      -orig-id: "NVIDIA A10G"
    35:
      id: nvidia_a40
      -orig-id: "NVIDIA A40"
    36:
      id: nvidia_a100_sxm4_40gb
      -orig-id: "NVIDIA A100-SXM4-40GB"
    37:
      id: nvidia_a100_sxm4_80gb
      -orig-id: "NVIDIA A100-SXM4-80GB"
    38:
      id: nvidia_a100_pcie_40gb
      -orig-id: "NVIDIA A100-PCIE-40GB"
    39:
      id: nvidia_a100_80gb_pcie
      -orig-id: "NVIDIA A100 80GB PCIe"
    40:
      id: nvidia_geforce_rtx_4060
      -orig-id: "NVIDIA GeForce RTX 4060"
    41:
      id: nvidia_geforce_rtx_4060_ti
      -orig-id: "NVIDIA GeForce RTX 4060 Ti"
    42:
      id: nvidia_geforce_rtx_4070
      -orig-id: "NVIDIA GeForce RTX 4070"
    43:
      id: nvidia_geforce_rtx_4070_ti
      -orig-id: "NVIDIA GeForce RTX 4070 Ti"
    44:
      id: nvidia_geforce_rtx_4070_super
      -orig-id: "NVIDIA GeForce RTX 4070 SUPER"
    45:
      id: nvidia_geforce_rtx_4080
      -orig-id: "NVIDIA GeForce RTX 4080"
    46:
      id: nvidia_geforce_rtx_4080_super
      -orig-id: "NVIDIA GeForce RTX 4080 SUPER"
    47:
      id: nvidia_geforce_rtx_4090
      -orig-id: "NVIDIA GeForce RTX 4090"
    48:
      id: nvidia_rtx_4000_ada_generation
      -orig-id: "NVIDIA RTX 4000 Ada Generation"
    49:
      id: nvidia_rtx_6000_ada_generation
      -orig-id: "NVIDIA RTX 6000 Ada Generation"
    50:
      id: nvidia_l4
      -orig-id: "NVIDIA L4"
    51:
      id: nvidia_l40
      -orig-id: "NVIDIA L40"
    52:
      id: nvidia_l40s
      -orig-id: "NVIDIA L40S"
    53:
      id: nvidia_h100_80gb_hbm3
      -orig-id: "NVIDIA H100 80GB HBM3"
    54:
      id: nvidia_h100_pcie
      -orig-id: "NVIDIA H100 PCIe"
    55:
      id: nvidia_h100_nvl
      -orig-id: "NVIDIA H100 NVL"
    56:
      id: nvidia_h200
      -orig-id: "NVIDIA H200"
    57:
      id: nvidia_gh200_480gb
      -orig-id: "NVIDIA GH200 480GB"
    58:
      id: nvidia_geforce_rtx_5070
      -orig-id: "NVIDIA GeForce RTX 5070"
    59:
      id: nvidia_geforce_rtx_5070_ti
      -orig-id: "NVIDIA GeForce RTX 5070 Ti"
    60:
      id: nvidia_geforce_rtx_5080
      -orig-id: "NVIDIA GeForce RTX 5080"
    61:
      id: nvidia_geforce_rtx_5090
      -orig-id: "NVIDIA GeForce RTX 5090"
    62:
      id: nvidia_rtx_pro_6000_blackwell_workstation_edition
      -orig-id: "NVIDIA RTX PRO 6000 Blackwell Workstation Edition"
    63:
      id: nvidia_b200
      -orig-id: "NVIDIA B200"
    64:
      id: nvidia_gb200
      -orig-id: "NVIDIA GB200"
    65:
      id: nvidia_rtx_pro_6000_blackwell_server_edition
      -orig-id: "NVIDIA RTX PRO 6000 Blackwell Server Edition"
    66:
      id: nvidia_b300
      -orig-id: "NVIDIA B300"
  cuda:  # exp code, open
    0: none
    1: cu121
    2: cu110
    3: cu111
    4: cu113
    5: cu115
    6: cu116
    7: cu117
    8: cu118
    9: cu120
    10: cu122
    11: cu123
    12: cu124
    13: cu125
    14: cu126
    15: cu128
    16: cu129
    17: cu130
    18: cu131
    19: cu132
  model:  # exp code, open
    0:
      id: stable_diffusion_v1_5
      -orig-id: "stable-diffusion-v1-5"
    1:
      id: stable_diffusion_v1_4
      -orig-id: "stable-diffusion-v1-4"
    2:
      id: stable_diffusion_2_base
      -orig-id: "stable-diffusion-2-base"
    3:
      id: stable_diffusion_2
      -orig-id: "stable-diffusion-2"
    4:
      id: stable_diffusion_2_1_base
      -orig-id: "stable-diffusion-2-1-base"
    5:
      id: stable_diffusion_2_1
      -orig-id: "stable-diffusion-2-1"
    6:
      id: stable_diffusion_xl_base_1_0
      -orig-id: "stable-diffusion-xl-base-1.0"
    7:
      id: stable_diffusion_xl_refiner_1_0
      -orig-id: "stable-diffusion-xl-refiner-1.0"
    8:
      id: sd_turbo
      -orig-id: "sd-turbo"
    9:
      id: sdxl_turbo
      -orig-id: "sdxl-turbo"
    10:
      id: lcm_sdxl
      -orig-id: "lcm-sdxl"
    11:
      id: lcm_dreamshaper_v7
      -orig-id: "lcm-dreamshaper-v7"
    12:
      id: sdxl_lightning
      -orig-id: "sdxl-lightning"
    13:
      id: hyper_sd
      -orig-id: "hyper-sd"
    14:
      id: playground_v2_5_1024px_aesthetic
      -orig-id: "playground-v2.5-1024px-aesthetic"
    15:
      id: ssd_1b
      -orig-id: "ssd-1b"
    16:
      id: segmind_vega
      -orig-id: "segmind-vega"
    17:
      id: stable_diffusion_3_medium
      -orig-id: "stable-diffusion-3-medium"
    18:
      id: stable_diffusion_3_5_medium
      -orig-id: "stable-diffusion-3.5-medium"
    19:
      id: stable_diffusion_3_5_large
      -orig-id: "stable-diffusion-3.5-large"
    20:
      id: stable_diffusion_3_5_large_turbo
      -orig-id: "stable-diffusion-3.5-large-turbo"
    21:
      id: flux_1_dev
      -orig-id: "flux.1-dev"
    22:
      id: flux_1_schnell
      -orig-id: "flux.1-schnell"
    23:
      id: pixart_sigma_xl_2_1024_ms
      -orig-id: "pixart-sigma-xl-2-1024-ms"
    24:
      id: kandinsky_2_2_decoder
      -orig-id: "kandinsky-2-2-decoder"
    25:
      id: aigif_tiny_sd
      -orig-id: "aigif-tiny-sd"
  dtype:  # 4-bit, open
    0: float32
    1: float16
    2: bfloat16
    3: float8_e4m3fn
    4: float8_e5m2
  scheduler:  # 4-bit, open
    0: ddim
    1: pndm
    2: lms
    3: euler
    4: euler_a
    5: heun
    6: dpmpp_2m
    7: dpmpp_2m_sde
    8: dpmpp_sde
    9: dpm2
    10: dpm2_a
    11: unipc
    12: deis
    13: lcm
    14: tcd
  rng:  # exp code, open
    0: cpu
    1: cuda
    2:
      id: a1111_nv
      -orig-id: "a1111-nv"
  hash_kind:  # exp code, open
    0: none
    1: sha256
    2: autov2
    3: autov1
    4: blake3
    5: crc32
    6: autov3
    7:
      id: sha256_12
      -orig-id: "sha256-12"
  adapter_kind:  # exp code, open
    0: lora
    1: lycoris
    2: embedding
    3: hypernetwork
    4:
      id: ip_adapter
      -orig-id: "ip-adapter"
    5: controlnet
    6:
      id: t2i_adapter
      -orig-id: "t2i-adapter"
  faithfulness:  # exp code, open
    0:
      id: exact_possible
      -orig-id: "exact-possible"
    1: approximate
    2:
      id: not_recreatable
      -orig-id: "not-recreatable"
  determinism_profile:  # exp code, open
    0: native
    1:
      id: cpu_portable_1
      -orig-id: "cpu-portable-1"
  pass_kind:  # exp code, open
    0: hires
    1: refiner
  upscaler:  # exp code, open
    0: latent
    1:
      id: latent_antialiased
      -orig-id: "latent-antialiased"
    2:
      id: latent_bicubic
      -orig-id: "latent-bicubic"
    3:
      id: latent_bicubic_antialiased
      -orig-id: "latent-bicubic-antialiased"
    4:
      id: latent_nearest
      -orig-id: "latent-nearest"
    5:
      id: latent_nearest_exact
      -orig-id: "latent-nearest-exact"
    6: none
    7: lanczos
    8: nearest
  # END GENERATED registries
