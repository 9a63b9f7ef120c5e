// TypeScript types for the web page, generated from the API's OpenAPI document.
//
//   node scripts/types.mjs          regenerate src/api/schema.d.ts (`make types`)
//   node scripts/types.mjs --check  fail when the checked-in file is stale (`make test`)
//
// The document is dumped from the application itself (no server), with the OPTBENCH_*
// settings cleared so that the output does not depend on who runs it.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const frontend = resolve(import.meta.dirname, "..");
const root = resolve(frontend, "..");
const target = join(frontend, "src/api/schema.d.ts");
const check = process.argv.includes("--check");

/** The generated file, with no line over 120 characters: long descriptions are wrapped
 * at words, long unions (enums) at their `|` (outside string literals). */
function wrapLines(source, width = 120) {
  return source.split("\n").flatMap((line) => {
    if (line.length <= width) return [line];
    const comment = /^(\s*(?:\/\*\*|\*) )(.*)$/.exec(line);
    return comment ? wrapComment(comment[1], comment[2], width) : wrapUnion(line, width);
  }).join("\n");
}

function wrapComment(prefix, text, width) {
  const indent = prefix.replace("/**", " *");
  const lines = [];
  let current = prefix;
  for (const word of text.split(" ")) {
    if (current.trim() !== "*" && current.trim() !== "/**" && current.length + word.length + 1 > width) {
      lines.push(current.trimEnd());
      current = indent;
    }
    current += (current.endsWith(" ") ? "" : " ") + word;
  }
  return [...lines, current];
}

function wrapUnion(line, width) {
  const parts = [];
  let quote = null;
  let start = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) { if (c === "\\") i++; else if (c === quote) quote = null; }
    else if (c === '"' || c === "'") quote = c;
    else if (line.startsWith(" | ", i)) { parts.push(line.slice(start, i)); start = i + 1; }
  }
  parts.push(line.slice(start));
  if (parts.length === 1) return [line];
  const indent = " ".repeat(line.length - line.trimStart().length + 4);
  const lines = [];
  let current = parts[0];
  for (const part of parts.slice(1)) {
    if (current.length + part.length + 1 > width) {
      lines.push(current);
      current = indent + part.trimStart();
    } else current += ` ${part.trimStart()}`;
  }
  return [...lines, current];
}

const scratch = mkdtempSync(join(tmpdir(), "optbench-types-"));
try {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("OPTBENCH_")));
  const dump = [
    "import json, sys",
    "from api.app import create_app",
    "document = create_app().openapi()",
    "document['info'].pop('version', None)  # the commit; not part of the contract",
    "json.dump(document, sys.stdout, indent=1, sort_keys=True)",
  ].join("\n");
  let document;
  try {
    document = execFileSync(join(root, ".venv/bin/python"), ["-c", dump], {
      // Built-ins only: the page is typed against this repository, not the plugins installed here.
      cwd: root, env: { ...env, OPTBENCH_HOME: scratch, OPTBENCH_PLUGINS: "false" }, encoding: "utf8",
      maxBuffer: 64 << 20,
      stdio: ["ignore", "pipe", "inherit"],
    });
  } catch {
    console.error("not ok - the OpenAPI document could not be dumped (the API does not import; see above)");
    process.exit(1);
  }
  const input = join(scratch, "openapi.json");
  const output = join(scratch, "schema.d.ts");
  writeFileSync(input, document);
  execFileSync(process.execPath, [join(frontend, "node_modules/openapi-typescript/bin/cli.js"), input,
    "--output", output, "--alphabetize"], { cwd: frontend, stdio: ["ignore", "ignore", "inherit"] });
  const generated = wrapLines(readFileSync(output, "utf8"));
  if (check) {
    let current = "";
    try { current = readFileSync(target, "utf8"); } catch { /* missing counts as stale */ }
    if (current !== generated) {
      console.error("not ok - src/api/schema.d.ts is stale: the API changed; run `make types` and commit it");
      process.exitCode = 1;
    } else {
      console.log("ok - src/api/schema.d.ts matches the API's OpenAPI document");
    }
  } else {
    writeFileSync(target, generated);
    console.log(`wrote ${target}`);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
