#!/usr/bin/env node
// Compile a .ksy with the npm Kaitai Struct compiler (run by tools/format/kaitai_build.py).
//
//   node ksc_compile.js SPEC.ksy OUTDIR
//
// writes OUTDIR/python/<id>.py, OUTDIR/js/<Class>.js and OUTDIR/errors.json: the map from the
// source path of each `valid`/`contents` check (the path the generated code puts into its
// validation errors, e.g. "/types/uvarint/seq/1") to the AIGIF error code in its `-aigif-error`
// key. A check without a known code is a build error, so that no validation failure can go
// unmapped.
"use strict";
const fs = require("fs");
const path = require("path");
const yaml = require("js-yaml");
const ksc = require("kaitai-struct-compiler");

const CODES = new Set([
  "truncated", "bad-signature", "unsupported-version", "bad-checksum", "trailing-bytes", "limit-exceeded",
  "non-canonical", "reserved-bits", "unsupported-compressor", "bad-compressed-data", "bad-utf8",
  "malformed-field", "field-order", "unknown-critical-field", "missing-field", "invalid-value",
]);

function errorMap(spec) {
  const map = {};
  const problems = [];
  function attrs(list, where) {
    (list || []).forEach((attr, i) => {
      const p = `${where}/${i}`;
      visit(attr, p);
    });
  }
  function visit(attr, p) {
    const checked = attr.valid !== undefined || attr.contents !== undefined;
    const code = attr["-aigif-error"];
    if (checked && code === undefined) problems.push(`${p} (${attr.id}) has a check but no -aigif-error`);
    if (code !== undefined && !checked) problems.push(`${p} (${attr.id}) has -aigif-error but no check`);
    if (code !== undefined && !CODES.has(code)) problems.push(`${p} (${attr.id}): unknown error code ${code}`);
    if (checked && code !== undefined) {
      const doc = String(attr.doc || "").split("\n")[0].trim();
      map[p] = { code, id: attr.id, doc };
    }
  }
  function type(t, where) {
    attrs(t.seq, `${where}/seq`);
    for (const [name, inst] of Object.entries(t.instances || {})) visit(inst, `${where}/instances/${name}`);
    for (const [name, sub] of Object.entries(t.types || {})) type(sub, `${where}/types/${name}`);
  }
  type(spec, "");
  if (problems.length) throw new Error("error codes in the .ksy:\n  " + problems.join("\n  "));
  return map;
}

async function main() {
  const [src, out] = process.argv.slice(2);
  if (!src || !out) {
    console.error("usage: node ksc_compile.js SPEC.ksy OUTDIR");
    process.exit(2);
  }
  const spec = yaml.load(fs.readFileSync(src, "utf8"));
  const errors = errorMap(spec);
  const targets = { python: "python", javascript: "js" };
  for (const [lang, dir] of Object.entries(targets)) {
    const files = await ksc.compile(lang, spec, null, false);
    fs.mkdirSync(path.join(out, dir), { recursive: true });
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(out, dir, name), text);
  }
  fs.writeFileSync(path.join(out, "errors.json"), JSON.stringify(errors, null, 1) + "\n");
  fs.writeFileSync(path.join(out, "compiler.json"),
    JSON.stringify({ version: ksc.version, buildDate: ksc.buildDate }) + "\n");
}

main().catch((err) => {
  // The Scala.js compiler throws objects whose text is in a mangled field; show that text.
  const text = (err && (err.jl_Throwable__f_s || err.message)) || String(err);
  console.error(`ksc_compile: ${text}`);
  process.exit(1);
});
