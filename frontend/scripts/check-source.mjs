// Source rules for frontend/src, run by `make test` (and `npm run check`):
//  * no line over 120 characters, in any file;
//  * no `any` type written anywhere (the TypeScript parser finds every `any` keyword, so
//    comments and strings that say "any" do not count).
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import ts from "typescript";

const MAX = 120;
const frontend = resolve(import.meta.dirname, "..");
const roots = process.argv.slice(2).length ? process.argv.slice(2).map((p) => resolve(p)) : [join(frontend, "src")];

function* files(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else yield path;
  }
}

const problems = [];
for (const root of roots) {
  for (const path of files(root)) {
    const name = relative(frontend, path);
    const text = readFileSync(path, "utf8");
    text.split("\n").forEach((line, i) => {
      if (line.length > MAX) problems.push(`${name}:${i + 1}: line of ${line.length} characters (at most ${MAX})`);
    });
    if (!/\.(ts|tsx|mts)$/.test(path)) continue;
    const kind = path.endsWith(".tsx") ? ts.ScriptKind.TSX : ts.ScriptKind.TS;
    const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true, kind);
    const visit = (node) => {
      if (node.kind === ts.SyntaxKind.AnyKeyword) {
        const { line } = source.getLineAndCharacterOfPosition(node.getStart());
        problems.push(`${name}:${line + 1}: \`any\` type (say what it is, or \`unknown\`)`);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
}
for (const problem of problems) console.log(`not ok - ${problem}`);
if (problems.length) process.exit(1);
console.log(`ok - ${roots.map((r) => relative(frontend, r)).join(", ")}: lines ≤ ${MAX}, no \`any\``);
