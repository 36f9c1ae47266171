#!/usr/bin/env node
// Validate AsyncAPI documents with the official parser (@asyncapi/parser).
//
// Usage: node validate.mjs [--strict] [FILE...]   (no FILE, or "-": read stdin)
// Prints one line per diagnostic ("<severity> <code> at <path>: <message>") and a
// verdict per document. Exits 1 if any document has an error (with --strict: or a
// warning), 2 if an input can't be read, 0 otherwise.
import { readFileSync } from "node:fs";
import { DiagnosticSeverity, Parser } from "@asyncapi/parser";

const args = process.argv.slice(2);
const strict = args.includes("--strict");
const files = args.filter((arg) => arg !== "--strict");
if (files.length === 0) files.push("-");

const severities = {
  [DiagnosticSeverity.Error]: "error",
  [DiagnosticSeverity.Warning]: "warning",
  [DiagnosticSeverity.Information]: "info",
  [DiagnosticSeverity.Hint]: "hint",
};
const failing = strict
  ? [DiagnosticSeverity.Error, DiagnosticSeverity.Warning]
  : [DiagnosticSeverity.Error];

async function validate(parser, file) {
  const name = file === "-" ? "stdin" : file;
  let text;
  try {
    text = readFileSync(file === "-" ? 0 : file, "utf8");
  } catch (error) {
    console.error(`${name}: cannot read: ${error.message}`);
    return 2;
  }
  const { document, diagnostics } = await parser.parse(text, {
    source: file === "-" ? undefined : file,
  });
  let failed = document === undefined;
  for (const diagnostic of diagnostics) {
    const severity = severities[diagnostic.severity] ?? String(diagnostic.severity);
    const path = diagnostic.path.length ? diagnostic.path.join(".") : "(document)";
    console.log(`${name}: ${severity} ${diagnostic.code} at ${path}: ${diagnostic.message}`);
    failed ||= failing.includes(diagnostic.severity);
  }
  if (failed) {
    console.log(`${name}: invalid AsyncAPI document`);
    return 1;
  }
  console.log(`${name}: valid AsyncAPI ${document.version()} document`);
  return 0;
}

const parser = new Parser();
let status = 0;
for (const file of files) {
  status = Math.max(status, await validate(parser, file));
}
process.exit(status);
