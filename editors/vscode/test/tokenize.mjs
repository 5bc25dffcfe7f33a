// Tokenise .cred files with the extension's TextMate grammar, exactly as VS Code does
// (vscode-textmate with the Oniguruma regex engine). Prints JSON on stdout:
// {"FILE": [[[startIndex, endIndex, scope, ...], ...] per line], ...}
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const vsctm = require("vscode-textmate");
const oniguruma = require("vscode-oniguruma");

const here = path.dirname(fileURLToPath(import.meta.url));
const grammarPath = path.join(here, "..", "syntaxes", "cred.tmLanguage.json");

const wasm = fs.readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm"));
await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));

const registry = new vsctm.Registry({
  onigLib: Promise.resolve({
    createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
    createOnigString: (s) => new oniguruma.OnigString(s),
  }),
  loadGrammar: async (scopeName) =>
    scopeName === "source.cred"
      ? vsctm.parseRawGrammar(fs.readFileSync(grammarPath, "utf-8"), grammarPath)
      : null,
});

const grammar = await registry.loadGrammar("source.cred");
const out = {};
for (const file of process.argv.slice(2)) {
  const lines = fs.readFileSync(file, "utf-8").split(/\r?\n/);
  let stack = vsctm.INITIAL;
  out[file] = lines.map((line) => {
    const result = grammar.tokenizeLine(line, stack);
    stack = result.ruleStack;
    return result.tokens.map((t) => [t.startIndex, Math.min(t.endIndex, line.length), ...t.scopes]);
  });
}
process.stdout.write(JSON.stringify(out));
