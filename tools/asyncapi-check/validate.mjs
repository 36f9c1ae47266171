#!/usr/bin/env node
// Validate an AsyncAPI document with the official parser (@asyncapi/parser).
//
// Usage: node validate.mjs [FILE]   (no FILE, or "-": read the document from stdin)
// Prints one line per diagnostic (severity, path, message) and exits 1 if any is an
// error, 2 if the input can't be read, 0 otherwise. Warnings and hints are printed
// but don't fail: pass --strict to fail on warnings too.
import { readFileSync } from "node:fs";
import { Parser, DiagnosticSeverity } from "@asyncapi/parser";

const args = process.argv.slice(2);
const strict = args.includes("--strict");
const files = args.filter((arg) => arg !== "--strict");
if (files.length > 1) {
  console.error("usage: node validate.mjs [--strict] [FILE|-]");
  process.exit(2);
}
const source = files.length === 0 || files[0] === "-" ? 0 : files[0];

let text;
try {
  text = readFileSync(source, "utf8");
} catch (error) {
  console.error(`cannot read ${source === 0 ? "stdin" : source}: ${error.message}`);
  process.exit(2);
}

const names = {
  [DiagnosticSeverity.Error]: "error",
  [DiagnosticSeverity.Warning]: "warning",
  [DiagnosticSeverity.Information]: "info",
  [DiagnosticSeverity.Hint]: "hint",
};

const parser = new Parser();
const { document, diagnostics } = await parser.parse(text, {
  source: source === 0 ? undefined : source,
});
let failed = document === undefined;
for (const diagnostic of diagnostics) {
  const severity = names[diagnostic.severity] ?? String(diagnostic.severity);
  const path = diagnostic.path.length ? diagnostic.path.join(".") : "(document)";
  console.log(`${severity} ${diagnostic.code} at ${path}: ${diagnostic.message}`);
  if (
    diagnostic.severity === DiagnosticSeverity.Error ||
    (strict && diagnostic.severity === DiagnosticSeverity.Warning)
  ) {
    failed = true;
  }
}
if (failed) {
  console.log("invalid AsyncAPI document");
  process.exit(1);
}
console.log(`valid AsyncAPI ${document.version()} document`);
