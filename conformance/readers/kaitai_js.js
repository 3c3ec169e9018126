#!/usr/bin/env node
// An independent AIGIF v1 reader: the JavaScript parser Kaitai Struct generates from spec/aigif.ksy.
//
//   node conformance/readers/kaitai_js.js FILE            canonical JSON (exit 0) or refusal (exit 1)
//   node conformance/readers/kaitai_js.js --batch F...    one JSON line per file
//   node conformance/readers/kaitai_js.js --batch -       the same for paths read from stdin, line by line
//
// Build the parser first with `python tools/format/kaitai_build.py` (the tests do). This adapter uses only
// the generated parser, the `kaitai-struct` runtime, Node's standard library (zlib, crypto,
// TextDecoder), `@bokuweb/zstd-wasm` (libzstd compiled to WebAssembly) for zstd frames,
// aigif/registries.json for registry names and the prompt dictionaries' files in aigif/dictionaries/
// (R5.6), read as files and checked against the SHA-256 the spec publishes.
//
// What it adds to the generated parser is what Kaitai cannot express (docs/kaitai.md): the short-input
// rule of the signature (R3.1), the CRC-32 (R3.3), trailing bytes (R3.4), decimal canonical forms
// and big-integer limits (R4.4), map key order (R4.6), escaped first-edition names (R4.7), text
// block decompression with its cap (R5.5; the zstd frame's structure, its size and window limits and
// its dictionary ID are checked by the .ksy's `zstd_frame` first), the prompt dictionaries (R5.6),
// exact fill of field values (R6.1), 64-bit seeds as BigInt (R5.4), and the mapping of Kaitai's
// exceptions to the error codes of spec section 9. Checks run as each object is read (hooks on the
// generated classes' `_read`), so the first defect in file order is the one reported (R9.2).
//
// Three things of the runtime are replaced, all documented in docs/kaitai.md: its UTF-8 decoder is
// lenient (U+FFFD for bad bytes, a leading BOM dropped), so a strict one is installed; its
// validation errors drop the source path the generated code passes, so they are wrapped to keep it;
// and readBytes truncates lengths to 32-bit signed integers, so lengths are checked before it.
//
// Exit status: 0 accepted (JSON on stdout), 1 refused (`kaitai-js: error: ... [code]` on stderr),
// 2 for anything else: a crash of this reader, which the conformance runner counts as a failure.
"use strict";

const crypto = require("crypto");
const fs = require("fs");
const path = require("path");
const zlib = require("zlib");
const { createRequire } = require("module");

const PROG = "kaitai-js";
// Node exits 1 on an uncaught exception, which would read as "refused": a crash must be exit 2.
for (const event of ["uncaughtException", "unhandledRejection"]) {
  process.on(event, (err) => {
    process.stderr.write(`${PROG}: crashed: ${err && err.stack ? err.stack : err}\n`);
    process.exit(2);
  });
}
const ROOT = path.resolve(__dirname, "..", "..");
const BUILD = process.env.AIGIF_KAITAI_BUILD || path.join(ROOT, "build", "kaitai");
const DICTIONARY_DIR = process.env.AIGIF_KAITAI_DICTIONARIES || path.join(ROOT, "aigif", "dictionaries");
const requireHere = createRequire(__filename); // resolves packages from conformance/readers/node_modules
const KaitaiStream = requireHere("kaitai-struct/KaitaiStream");
const zstd = requireHere("@bokuweb/zstd-wasm"); // libzstd compiled to WebAssembly (init() below)

const SIGNATURE = Buffer.from([0x89, 0x41, 0x49, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]); // R3.1
const MAX_CONTENT = 131076; // R5.5
// R5.6: the prompt dictionaries, dictionary ID -> [file in aigif/dictionaries, SHA-256], as the spec
// publishes them (tests/conformance/test_kaitai.py compares this table with the spec's).
const DICTIONARIES = new Map([
  [32768, ["prompts-v1.zdict", "e22ba2b2bb34f43a386faf45dcccef11572fed03047e560942cdaf4bdb71fd05"]],
]);
const TWO53 = 2n ** 53n;

class Refusal extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

class Utf8Error extends Error {}

// ---------------------------------------------------------------------------------------------
// The runtime: keep the source path of validation errors, check byte lengths, decode UTF-8 strictly

for (const name of ["ValidationNotEqualError", "ValidationLessThanError", "ValidationGreaterThanError",
  "ValidationNotAnyOfError", "ValidationNotInEnumError", "ValidationExprError"]) {
  const Original = KaitaiStream[name];
  const Wrapped = function (...args) {
    const err = new Original(...args);
    err.srcPath = args[args.length - 1]; // the generated code passes it last; the runtime drops it
    return err;
  };
  Wrapped.prototype = Original.prototype;
  KaitaiStream[name] = Wrapped;
}

// kaitai-struct 0.11.0's mapUint8Array (behind readBytes) does `length |= 0`: a length of 2^32 + n
// reads n bytes and 2^31..2^32-1 throws a RangeError. Check the real length against what is left.
const mapUint8Array = KaitaiStream.prototype.mapUint8Array;
KaitaiStream.prototype.mapUint8Array = function (length) {
  if (!(length >= 0 && length <= this.size - this.pos)) throw new KaitaiStream.EOFError(length, this.size - this.pos);
  return mapUint8Array.call(this, length);
};

const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const lenientBytesToStr = KaitaiStream.bytesToStr;
KaitaiStream.bytesToStr = function (arr, encoding) {
  if (String(encoding).toUpperCase() !== "UTF-8") return lenientBytesToStr(arr, encoding);
  try {
    return STRICT_UTF8.decode(arr);
  } catch (err) {
    throw new Utf8Error("a string is not well-formed UTF-8");
  }
};

function loadGenerated() {
  const file = path.join(BUILD, "js", "Aigif.js");
  if (!fs.existsSync(file)) {
    process.stderr.write(`${PROG}: ${file} is missing: run tools/format/kaitai_build.py first\n`);
    process.exit(2);
  }
  // The generated UMD module requires 'kaitai-struct/KaitaiStream', which lives next to this
  // adapter rather than next to build/: run it with this adapter's require.
  const exportsObj = {};
  const factory = new Function("exports", "require", "module", fs.readFileSync(file, "utf8"));
  factory(exportsObj, requireHere, { exports: exportsObj });
  return exportsObj.Aigif;
}

const Aigif = loadGenerated();
const ERRORS = JSON.parse(fs.readFileSync(path.join(BUILD, "errors.json"), "utf8"));
const REGISTRIES = JSON.parse(fs.readFileSync(path.join(ROOT, "aigif", "registries.json"), "utf8"));
const NAMES = {};
const REFUSED_ESCAPES = {};  // R4.7: first-edition names; a name "added" later stays escapable
for (const [key, table] of Object.entries(REGISTRIES)) {
  if (key.startsWith("_")) continue;
  NAMES[key] = new Map(Object.entries(table.entries).map(([code, name]) => [Number(code), name]));
  const added = table.added || {};
  REFUSED_ESCAPES[key] = new Set(Object.values(table.entries).filter((name) => !(name in added)));
}

// ---------------------------------------------------------------------------------------------
// Integers and decimals (R4.1, R4.4)

/** A uvarint's exact value as a BigInt (its `value` instance is a double in JavaScript). */
function bigValue(uv) {
  let value = 0n;
  for (let i = uv.groups.length - 1; i >= 0; i--) value = (value << 7n) | BigInt(uv.groups[i] & 0x7f);
  return value;
}

/** [m, k] with x == m * 10**-k from its shortest round-trip digits, k <= 2, |m| <= 2**53; else null. */
function decimalForm(x) {
  if (!Number.isFinite(x) || Object.is(x, -0)) return null;
  if (x === 0) return [0n, 0];
  const [mantissa, exponent] = Math.abs(x).toExponential().split("e"); // shortest digits, like toString
  const digits = mantissa.replace(".", "");
  const stripped = digits.replace(/0+$/, "");
  const power = Number(exponent) - (digits.length - 1) + (digits.length - stripped.length);
  const k = Math.max(0, -power);
  if (k > 2) return null;
  const m = BigInt(stripped) * 10n ** BigInt(Math.max(0, power));
  if (m > TWO53) return null;
  return [x < 0 ? -m : m, k];
}

function checkDecimal(dec) {
  const head = bigValue(dec.head);
  const k = Number(head & 3n);
  const q = head >> 2n;
  let value;
  if (k === 3) { // q == 0 is a `valid` of the .ksy
    value = dec.binary64;
    if (!Number.isFinite(value)) throw new Refusal("invalid-value", "a decimal is not finite");
    if (decimalForm(value) !== null) {
      throw new Refusal("non-canonical", `decimal ${value} written as binary64 has a decimal form`);
    }
  } else {
    const m = (q >> 1n) ^ -(q & 1n);
    if ((m < 0n ? -m : m) > TWO53) throw new Refusal("limit-exceeded", "decimal significand above 2**53");
    value = Number(`${m}e-${k}`);
    const form = decimalForm(value);
    if (form === null || form[0] !== m || form[1] !== k) {
      throw new Refusal("non-canonical", `decimal ${m}e-${k} is not the shortest form of ${value}`);
    }
  }
  if (dec.allowed === Aigif.DecimalRange.NONZERO && value === 0) {
    throw new Refusal("non-canonical", "a zero eta or guidance rescale is written by leaving the field out");
  }
  if (dec.allowed === Aigif.DecimalRange.ZERO_TO_ONE && !(value >= 0 && value <= 1)) {
    throw new Refusal("invalid-value", `strength ${value} outside 0..1`);
  }
  dec.number = value;
}

// ---------------------------------------------------------------------------------------------
// Names, maps (R4.6, R4.7)

function checkEscapedName(escaped) {
  if (REFUSED_ESCAPES[escaped.registry].has(escaped.name.value)) {
    throw new Refusal("non-canonical", `escaped ${escaped.registry} name ${JSON.stringify(escaped.name.value)} has a code`);
  }
}

/** Compare two strings as UTF-8 bytes, i.e. by code point (JavaScript's < compares UTF-16 units). */
function compareCodePoints(a, b) {
  const x = Buffer.from(a, "utf8");
  const y = Buffer.from(b, "utf8");
  return Buffer.compare(x, y);
}

function checkMap(map) {
  const keys = map.entries.map((entry) => entry.key.value);
  for (let i = 1; i < keys.length; i++) {
    if (compareCodePoints(keys[i - 1], keys[i]) >= 0) {
      throw new Refusal("non-canonical", "map keys are not unique and in ascending order");
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The text block (R5.5)

/** Exactly one zlib stream; more than `cap` bytes out is refused with `over` as soon as seen. */
function inflate(stored, cap, over) {
  let result;
  try {
    result = zlib.inflateSync(stored, { info: true, maxOutputLength: Math.max(cap, 1) });
  } catch (err) {
    if (err instanceof RangeError || err.code === "ERR_BUFFER_TOO_LARGE") {
      throw new Refusal(over, `the content exceeds ${cap} bytes`);
    }
    throw new Refusal("bad-compressed-data", `zlib: ${err.message}`);
  }
  if (result.buffer.length > cap) throw new Refusal(over, `the content exceeds ${cap} bytes`);
  if (result.engine.bytesWritten !== stored.length) {
    throw new Refusal("bad-compressed-data", "bytes after the zlib stream");
  }
  return new Uint8Array(result.buffer);
}

/** The .ksy's `zstd_frame` of a stored block (RFC 8878 3.1.1), parsed now: its checks (the declared
 * size, the content and window limits of R5.5/R6.8, one frame and nothing after it) come before any
 * decoding. Running out of bytes inside it is a frame that ends early. */
function zstdFrame(stored) {
  try {
    return stored.zstdFrame;
  } catch (err) {
    if (err instanceof KaitaiStream.EOFError) throw new Refusal("bad-compressed-data", "zstd: the frame ends early");
    throw err;
  }
}

const heldDictionaries = new Map();
let dictionaryContext = null; // one libzstd decompression context (ZSTD_DCtx), reused

/** R5.6: the prompt dictionary with this ID, read from its file once and checked against the
 * published SHA-256. A dictionary this reader does not hold (not in its table, no file, other bytes)
 * cannot decode the block: `unsupported-compressor`. */
function promptDictionary(dictId) {
  if (!heldDictionaries.has(dictId)) {
    const entry = DICTIONARIES.get(dictId);
    if (entry === undefined) { // the .ksy knows it, this table does not: the same refusal
      throw new Refusal("unsupported-compressor", `zstd dictionary ${dictId} is not held by this reader`);
    }
    const file = path.join(DICTIONARY_DIR, entry[0]);
    let data;
    try {
      data = fs.readFileSync(file);
    } catch (err) {
      throw new Refusal("unsupported-compressor", `zstd dictionary ${dictId}: cannot read ${file} (${err.code})`);
    }
    if (crypto.createHash("sha256").update(data).digest("hex") !== entry[1]) {
      throw new Refusal("unsupported-compressor",
        `zstd dictionary ${dictId}: ${file} is not the published dictionary (its SHA-256 differs)`);
    }
    heldDictionaries.set(dictId, new Uint8Array(data.buffer, data.byteOffset, data.length));
  }
  return heldDictionaries.get(dictId);
}

/** libzstd (WebAssembly) decodes the frame in one call, into a buffer of the declared size, which the
 * .ksy has bounded: one-shot decoding allocates no window. libzstd refuses what libzstd refuses
 * (corrupt literals or sequences, a content size or checksum that does not match). A zstd-dict frame
 * is decoded with ZSTD_decompress_usingDict and the dictionary its header names (the .ksy has
 * checked that it names one of the spec's); libzstd loads it as a full dictionary (its magic
 * 37 A4 30 EC: entropy tables, repeat offsets, content) and refuses a frame whose ID is not its ID. */
function unzstd(stored) {
  const frame = zstdFrame(stored);
  const size = frame.contentSize;
  let out;
  try {
    if (stored.compressor === Aigif.TextCompressor.ZSTD_DICT) {
      const dictionary = promptDictionary(frame.dictionary);
      if (dictionaryContext === null) dictionaryContext = zstd.createDCtx();
      out = zstd.decompressUsingDict(dictionaryContext, stored.data, dictionary);
    } else {
      out = zstd.decompress(stored.data);
    }
  } catch (err) {
    if (err instanceof Refusal) throw err;
    // @bokuweb/zstd-wasm 0.0.27 throws this when ZSTD_isError(result); anything else is a crash.
    const code = /^Failed to compress with code (-?\d+)$/.exec(err && err.message);
    if (code === null) throw err;
    throw new Refusal("bad-compressed-data", `zstd: libzstd refuses the frame (ZSTD error ${-Number(code[1])})`);
  }
  if (out.length !== size) throw new Refusal("bad-compressed-data", "the zstd frame does not match its declared size");
  return out;
}

/** The content of a `stored_block` (R5.5, R6.8): the .ksy has checked a `none` block's size. */
function unpack(stored) {
  if (stored.compressor === Aigif.TextCompressor.NONE) return stored.data;
  if (stored.compressor === Aigif.TextCompressor.ZLIB) {
    if (stored.declared < 0) return inflate(stored.data, stored.maxContent, "limit-exceeded"); // the text block
    const content = inflate(stored.data, stored.declared, "bad-compressed-data"); // R6.8: exactly n bytes
    if (content.length !== stored.declared) {
      throw new Refusal("bad-compressed-data", `the zlib stream holds ${content.length} bytes, not ${stored.declared}`);
    }
    return content;
  }
  return unzstd(stored); // the .ksy's checks leave only zstd and zstd-dict
}

/** Parse decompressed content with a generated type; it must fill the content exactly. */
function parseContent(Type, content, parent, what) {
  const io = new KaitaiStream(content);
  let parsed;
  try {
    parsed = new Type(io, parent, parent._root);
  } catch (err) {
    if (err instanceof KaitaiStream.EOFError) throw new Refusal("malformed-field", `the ${what} ends inside its values`);
    throw err;
  }
  if (!io.isEof()) throw new Refusal("malformed-field", `bytes left over after the ${what}`);
  return parsed;
}

function checkTextBlock(block) {
  block.content = parseContent(Aigif.TextContent, unpack(block.stored), block, "text content");
}

/** R6.8: decompress to exactly n bytes, then the entries fill them. */
function checkSourceMetadata(meta) {
  meta.content = parseContent(Aigif.SourceContent, unpack(meta.stored), meta, "source metadata");
}

// ---------------------------------------------------------------------------------------------
// Fields (R6.1)

function checkField(field) {
  let body;
  try {
    body = field.value.body;
  } catch (err) {
    if (err instanceof KaitaiStream.EOFError) {
      throw new Refusal("malformed-field", `field ${field.tag.value} needs more bytes than its length`);
    }
    throw err;
  }
  if (!(body instanceof Uint8Array) && !body._io.isEof()) {
    throw new Refusal("malformed-field", `field ${field.tag.value} leaves bytes over`);
  }
}

function hook(cls, check) {
  const read = cls.prototype._read;
  cls.prototype._read = function () {
    read.call(this);
    check(this);
  };
}

hook(Aigif.Decimal, checkDecimal);
hook(Aigif.EscapedName, checkEscapedName);
hook(Aigif.Map, checkMap);
hook(Aigif.TextBlock, checkTextBlock);
hook(Aigif.SourceMetadata, checkSourceMetadata);
hook(Aigif.Field, checkField);

// ---------------------------------------------------------------------------------------------
// Reading

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32/ISO-HDLC (reflected 0x04C11DB7, init and final XOR 0xFFFFFFFF), as zlib's crc32 (R3.3). */
function crc32(bytes) {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function parse(data) {
  const head = data.subarray(0, SIGNATURE.length);
  if (data.length < SIGNATURE.length || !head.equals(SIGNATURE)) {
    if (data.length > 0 && data.length < SIGNATURE.length && head.equals(SIGNATURE.subarray(0, data.length))) {
      throw new Refusal("truncated", "the input ends inside the signature");
    }
    throw new Refusal("bad-signature", "not an AIGIF file (the signature does not match)");
  }
  const io = new KaitaiStream(new Uint8Array(data.buffer, data.byteOffset, data.length));
  let root;
  try {
    root = new Aigif(io);
  } catch (err) {
    if (err instanceof Refusal) throw err;
    if (err instanceof Utf8Error) throw new Refusal("bad-utf8", err.message);
    if (err instanceof KaitaiStream.EOFError) throw new Refusal("truncated", "the file ends before its structure does");
    if (err.srcPath !== undefined) {
      const check = ERRORS[err.srcPath];
      if (check === undefined) throw new Error(`no error code for the check at ${err.srcPath}: ${err.message}`);
      throw new Refusal(check.code, `${check.id}: ${check.doc || "check failed"} (.ksy ${err.srcPath})`);
    }
    throw err;
  }
  const end = io.pos;
  if (crc32(data.subarray(0, end - 4)) !== root.crc32) {
    throw new Refusal("bad-checksum", "the CRC-32 does not match the file's contents");
  }
  if (end !== data.length) throw new Refusal("trailing-bytes", `${data.length - end} byte(s) after the checksum`);
  return root;
}

// ---------------------------------------------------------------------------------------------
// The canonical JSON form (spec section 11). Objects are Maps (insertion order, any key);
// floats are wrapped so that they print as Python's repr does (7.0, 1e-05), like `aigif info --json`.

class Float {
  constructor(value) {
    this.value = value;
  }
}

function coded(registry, code, escaped) {
  if (escaped !== undefined) return escaped.name.value;
  const name = NAMES[registry].get(code);
  return name === undefined ? code : name;
}

function hashText(h) {
  const kind = h.kind.value;
  if (kind === 0) return null;
  const name = NAMES.hash_kind.get(kind);
  return `${name === undefined ? kind : name}:${Buffer.from(h.digest).toString("hex")}`;
}

const b64 = (bytes) => Buffer.from(bytes).toString("base64");
const enumName = (table, value) => table[value].toLowerCase();

/** R6.9, R11.3: kind and strength, then exactly the parts that are present, in bit order. */
function passJson(p) {
  const parts = p.parts.value;
  const out = new Map([["kind", coded("pass_kind", p.kind.value, p.kindName)], ["strength", new Float(p.strength.number)]]);
  if (parts & 1) {
    out.set("width", p.width.value);
    out.set("height", p.height.value);
  }
  for (const [bit, key] of [[2, "upscaler"], [4, "model"]]) {
    if (!(parts & bit)) continue;
    const ref = p[key];
    out.set(key, coded(key, ref.code.value, ref.name));
    const digest = hashText(ref.hash);
    if (digest !== null) out.set(`${key}_hash`, digest);
  }
  if (parts & 8) out.set("scheduler", coded("scheduler", p.scheduler.code.value, p.scheduler.name));
  if (parts & 16) out.set("steps", p.steps.value);
  if (parts & 32) out.set("guidance_scale", new Float(p.guidanceScale.number));
  if (parts & 64) {
    out.set("prompt", p.prompt.value);
    out.set("negative_prompt", p.negativePrompt.value);
  }
  return out;
}

function fieldJson(tag, body) {
  const T = Aigif.FieldTag;
  const key = T[tag] === undefined ? null : T[tag].toLowerCase();
  switch (tag) {
    case T.SCHEDULER_OPTIONS: {
      const options = new Map();
      if (body.sigmas) options.set("sigmas", enumName(Aigif.Sigmas, body.sigmas));
      if (body.timestepSpacing) options.set("timestep_spacing", enumName(Aigif.TimestepSpacing, body.timestepSpacing));
      if (body.predictionType) options.set("prediction_type", enumName(Aigif.PredictionType, body.predictionType));
      if (body.rescaleBetasZeroSnr) options.set("rescale_betas_zero_snr", true);
      return ["model", key, options];
    }
    case T.TORCH: case T.DIFFUSERS: case T.CPU_CAPABILITY: case T.ATTENTION: case T.CPU_VENDOR: case T.CPU_MODEL:
      return ["platform", key, body.value];
    case T.SCHEDULER_CONFIG: case T.SOFTWARE:
      return [tag === T.SOFTWARE ? "platform" : "model", key,
        new Map(body.entries.map((entry) => [entry.key.value, entry.value.value]))];
    case T.VAE: {
      const ref = new Map([["name", body.name.value]]);
      const digest = hashText(body.hash);
      if (digest !== null) ref.set("hash", digest);
      return ["model", "vae", ref];
    }
    case T.ADAPTERS:
      return ["model", "adapters", body.adapters.map((a) => {
        const entry = new Map([["name", a.ref.name.value]]);
        const kind = coded("adapter_kind", a.kind.value, a.kindName);
        if (kind !== "lora") entry.set("kind", kind);
        const digest = hashText(a.ref.hash);
        if (digest !== null) entry.set("hash", digest);
        if (a.weight.number !== 1) entry.set("weight", new Float(a.weight.number));
        return entry;
      })];
    case T.THREADS:
      return ["platform", "threads", body.count.value];
    case T.CLIP_SKIP:
      return ["model", "clip_skip", body.layers.value];
    case T.DETERMINISM: {
      const bits = body.flags.value;
      const flags = [];
      for (let bit = 0; Aigif.DeterminismFlag[bit] !== undefined; bit++) {
        if ((bits >> bit) & 1) flags.push(enumName(Aigif.DeterminismFlag, bit));
      }
      return ["platform", "determinism", flags];
    }
    case T.RNG:
      return ["data", "rng", coded("rng", body.code.value, body.name)];
    case T.DETERMINISM_PROFILE:
      return ["platform", "determinism_profile", coded("determinism_profile", body.code.value, body.name)];
    case T.ETA: case T.STRENGTH: case T.GUIDANCE_RESCALE:
      return ["data", key, new Float(body.number)];
    case T.MODEL_HASH:
      return ["model", "hash", hashText(body)];
    case T.PIXEL_DIGEST:
      return ["payload", "pixel_digest", hashText(body)];
    case T.PIXELS:
      return ["payload", "pixels", b64(body.data)];
    case T.MODEL_PAYLOAD:
      return ["payload", "model", b64(body.data)];
    case T.SOURCE_TOOL: case T.SOURCE_VERSION:
      return ["source", tag === T.SOURCE_TOOL ? "tool" : "version", body.value];
    case T.FAITHFULNESS:
      return ["source", "faithfulness", new Map([
        ["level", coded("faithfulness", body.level.value, body.levelName)],
        ["reasons", body.reasons.map((reason) => reason.value)],
      ])];
    case T.SOURCE_METADATA:
      return ["source", "metadata", body.content.entries.map((e) => new Map([
        ["where", e.where.value], ["key", e.key.value], ["text", e.text.value]]))];
    case T.PASSES:
      return ["data", "passes", body.passes.map(passJson)];
    case T.EMBEDDING_TRIGGERS:
      return ["model", key, new Map(body.triggers.entries.map((entry) => [entry.key.value, entry.value.value]))];
    case T.INIT_IMAGE: case T.MASK:
      return ["payload", key, new Map([
        ["compressor", NAMES.pixel_compressor.get(body.compressor.value)],
        ["width", body.width.value],
        ["height", body.height.value],
        ["data", b64(body.data)],
      ])];
    default:
      throw new Error(`field ${tag} has no JSON form`);
  }
}

function toJson(root) {
  const { compression: comp, platform: plat, model: mod, data: dat } = root;
  const text = dat.text.content;
  const doc = new Map([
    ["version", root.version],
    ["compression", new Map([
      ["save_pixels", comp.savePixels],
      ["pixel_compressor", NAMES.pixel_compressor.get(comp.pixelCompressor)],
      ["text_compressor", NAMES.text_compressor.get(comp.textCompressor)],
      ["save_model", comp.saveModel],
      ["model_compressor", NAMES.model_compressor.get(comp.modelCompressor)],
    ])],
    ["platform", new Map([
      ["device", coded("device", plat.device, plat.deviceName)],
      ["arch", coded("arch", plat.arch, plat.archName)],
      ["gpu", coded("gpu", plat.gpu.value, plat.gpuName)],
      ["cuda", coded("cuda", plat.cuda.value, plat.cudaName)],
    ])],
    ["model", new Map([
      ["id", coded("model", mod.modelId.value, mod.modelName)],
      ["dtype", coded("dtype", mod.dtype, mod.dtypeName)],
      ["scheduler", coded("scheduler", mod.scheduler, mod.schedulerName)],
    ])],
    ["data", new Map([
      ["prompt", text.prompt.value],
      ["negative_prompt", text.negativePrompt.value],
      ["height", dat.height.value],
      ["width", dat.width.value],
      ["seed", bigValue(dat.seed)], // R5.4: a BigInt, printed exactly
      ["steps", dat.steps.value],
      ["guidance_scale", new Float(dat.guidanceScale.number)],
    ])],
  ]);
  const payload = new Map();
  const source = new Map();
  const extensions = [];
  for (const field of root.fields) {
    const tag = field.tag.value;
    const body = field.value.body;
    if (body instanceof Uint8Array && tag !== Aigif.FieldTag.PIXELS && tag !== Aigif.FieldTag.MODEL_PAYLOAD) {
      extensions.push(new Map([["tag", tag], ["data", b64(body)]])); // R6.3: unknown ancillary, kept
      continue;
    }
    const [section, key, value] = fieldJson(tag, body);
    (section === "payload" ? payload : section === "source" ? source : doc.get(section)).set(key, value);
  }
  if (payload.size) doc.set("payload", payload);
  if (source.size) doc.set("source", source);
  if (extensions.length) doc.set("extensions", extensions);
  return doc;
}

/** Python's repr of a float: shortest round-trip digits, exponent form below 1e-4 and from 1e16. */
function pyFloat(x) {
  if (!Number.isFinite(x)) throw new Error(`not a finite number: ${x}`);
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const sign = x < 0 ? "-" : "";
  const [mantissa, exponent] = Math.abs(x).toExponential().split("e");
  const digits = mantissa.replace(".", "");
  const point = Number(exponent) + 1; // digits = 0.DIGITS * 10**point
  if (point > -4 && point <= 16) {
    if (point <= 0) return `${sign}0.${"0".repeat(-point)}${digits}`;
    if (point >= digits.length) return `${sign}${digits}${"0".repeat(point - digits.length)}.0`;
    return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
  }
  const e = point - 1;
  const frac = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  return `${sign}${frac}e${e < 0 ? "-" : "+"}${String(Math.abs(e)).padStart(2, "0")}`;
}

/** JSON text as Python's json.dumps(doc, indent=indent, ensure_ascii=False) writes it. */
function dumps(value, indent = 2, level = 0) {
  const pad = indent === null ? "" : "\n" + " ".repeat(indent * (level + 1));
  const end = indent === null ? "" : "\n" + " ".repeat(indent * level);
  const sep = indent === null ? ", " : ",";
  if (value === null) return "null";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number") {
    if (!Number.isInteger(value)) throw new Error(`an integer was expected, got ${value}`);
    return String(value);
  }
  if (value instanceof Float) return pyFloat(value.value);
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) {
    if (!value.length) return "[]";
    return "[" + value.map((item) => pad + dumps(item, indent, level + 1)).join(sep) + end + "]";
  }
  if (value instanceof Map) {
    if (!value.size) return "{}";
    const items = [...value].map(([key, item]) => pad + JSON.stringify(key) + ": " + dumps(item, indent, level + 1));
    return "{" + items.join(sep) + end + "}";
  }
  throw new Error(`cannot write ${typeof value} as JSON`);
}

function read(data) {
  return toJson(parse(data));
}

/** Write all of `text` to standard output (fd 1), synchronously, however large. */
function writeOut(text) {
  const bytes = Buffer.from(text, "utf8");
  for (let done = 0; done < bytes.length;) {
    try {
      done += fs.writeSync(1, bytes, done, bytes.length - done);
    } catch (err) {
      if (err.code !== "EAGAIN") throw err; // a non-blocking pipe that is full: try again
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Command line

function one(file) {
  let data;
  try {
    data = fs.readFileSync(file);
  } catch (err) {
    process.stderr.write(`${PROG}: cannot read ${file}: ${err.message}\n`);
    return 2;
  }
  let text;
  try {
    text = dumps(read(data)) + "\n";
  } catch (err) {
    if (err instanceof Refusal) {
      process.stderr.write(`${PROG}: error: ${err.message} [${err.code}]\n`);
      return 1;
    }
    throw err;
  }
  writeOut(text);
  return 0;
}

/** One JSON line per file: {file, json} accepted, {file, error, message} refused, {file, crash}. */
function answer(file) {
  let line;
  try {
    line = new Map([["file", file], ["json", read(fs.readFileSync(file))]]);
  } catch (err) {
    line = err instanceof Refusal
      ? new Map([["file", file], ["error", err.code], ["message", err.message]])
      : new Map([["file", file], ["crash", `${err && err.name}: ${err && err.message}`]]);
  }
  writeOut(dumps(line, null) + "\n");
}

function batch(files) {
  if (files.length === 1 && files[0] === "-") { // paths on stdin, answered line by line as they come
    const lines = require("readline").createInterface({ input: process.stdin, crlfDelay: Infinity });
    lines.on("line", (line) => {
      if (line.trim()) answer(line);
    });
    return 0;
  }
  files.forEach(answer);
  return 0;
}

function main(argv) {
  if (argv[0] === "--batch") return batch(argv.slice(1));
  if (argv.length !== 1 || argv[0].startsWith("-")) {
    process.stderr.write(`usage: ${PROG} FILE | --batch FILE... | --batch - (paths on stdin)\n`);
    return 2;
  }
  try {
    return one(argv[0]);
  } catch (err) { // a crash of this reader: exit 2, never 1 (which means "refused")
    process.stderr.write(`${PROG}: crashed on ${argv[0]}: ${err && err.stack ? err.stack : err}\n`);
    return 2;
  }
}

// libzstd's WebAssembly is instantiated once, asynchronously (it reads zstd.wasm from the package:
// no network); everything after that, decoding included, is synchronous.
zstd.init().then(() => {
  process.exitCode = main(process.argv.slice(2));
}, (err) => {
  process.stderr.write(`${PROG}: cannot start: libzstd (@bokuweb/zstd-wasm) failed to load: ${err}\n`);
  process.exitCode = 2;
});
