// End to end in a real browser (Debian's Chromium, driven by playwright-core) against a
// real embedded server: sign in, submit through the form, watch it finish, see the plots
// and the leaderboard. Screenshots go to ../test-artifacts/.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";

const root = resolve(import.meta.dirname, "../..");
const artifacts = join(root, "test-artifacts");
mkdirSync(artifacts, { recursive: true });

const port = await new Promise((ok) => {
  const server = createServer().listen(0, "127.0.0.1", () => { const p = server.address().port; server.close(() => ok(p)); });
});
const home = mkdtempSync(join(tmpdir(), "optbench-e2e-"));
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("OPTBENCH_")));
const serve = spawn(join(root, ".venv/bin/python"), ["-m", "cli.main", "serve", "--port", String(port), "--workers", "2"],
                    { cwd: root, env: { ...env, OPTBENCH_HOME: home }, stdio: "ignore" });
const base = `http://127.0.0.1:${port}`;
let browser;
let failures = 0;
let passes = 0;

function check(name, condition) {
  if (condition) { passes++; console.log(`ok - ${name}`); } else { failures++; console.log(`not ok - ${name}`); }
}
async function until(what, probe, seconds = 120) {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    try { if (await probe()) return true; } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`timed out waiting for ${what}`);
}

try {
  await until("the server", async () => (await fetch(`${base}/health`)).ok, 90);
  const token = readFileSync(join(home, "token"), "utf8").trim();
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--no-first-run"],
  });
  const page = await browser.newPage({ viewport: { width: 1300, height: 950 } });
  page.on("pageerror", (error) => { failures++; console.log(`not ok - page error: ${error.message}`); });

  await page.goto(`${base}/`);
  await page.waitForSelector("#token");
  check("unsigned visitors are asked for a token", (await page.textContent("main")).includes("Paste an API token"));
  await page.fill("#token", "obt_wrong");
  await page.click("#go");
  await page.waitForSelector("#msg .error");
  check("a bad token is refused", (await page.textContent("#msg")).includes("not valid"));
  await page.fill("#token", token);
  await page.click("#go");
  await page.waitForSelector("text=No experiments yet");
  check("signed in: the empty list says what to do", true);

  await page.goto(`${base}/#/submit`);
  await page.waitForSelector("input[name=restarts]");
  await page.fill("input[name=restarts]", "0");
  await page.click("#send");
  await page.waitForSelector("[data-error=restarts]:not(:empty)");
  check("validation errors show next to the field", (await page.textContent("[data-error=restarts]")).includes("greater than 0"));
  await page.fill("input[name=restarts]", "120");
  await page.fill("input[name=iterations]", "1500");
  await page.check("input[name=optimizers][value=nim_mbh]");
  await page.check("input[name=functions][value=six_hump_camel]");
  await page.click("#send");
  await page.waitForURL(/#\/experiments\/\d+/);
  await page.waitForSelector("#contour .scatterlayer .trace .points path", { timeout: 120000 });
  const points = await page.$$eval("#contour .scatterlayer .trace .points path", (nodes) => nodes.length);
  check(`the contour plot has end points drawn (${points})`, points >= 120);
  const bars = await page.$$eval("#bars .barlayer .point", (nodes) => nodes.length);
  check(`the distribution bars are drawn (${bars})`, bars >= 4);
  check("the between-optimizer test table is shown", (await page.textContent("#tests")).includes("nim_mbh"));
  await page.screenshot({ path: join(artifacts, "landscape-experiment.png"), fullPage: true });
  await page.selectOption("#function", "six_hump_camel");
  await page.waitForFunction(() => document.querySelector("#contour")?.textContent?.includes("six_hump_camel: end points"));
  check("switching the function redraws the contour", true);
  await page.screenshot({ path: join(artifacts, "landscape-six-hump.png"), fullPage: true });

  // A small training experiment (through the API, as the CLI would) for the training views.
  const spec = { kind: "training", name: "digits (e2e)", task: "digits", optimizers: [
    { name: "sgd", hyperparameters: { lr: 0.05 } }, { name: "sam", hyperparameters: { lr: 0.05 } }],
    trajectories: 2, budget: { epochs: 2 }, evaluate_every: 0.25, batch_size: 64, population_size: 3, device: "cpu" };
  const accepted = await (await fetch(`${base}/api/v1/experiments`, { method: "POST", body: JSON.stringify(spec),
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" } })).json();
  await page.goto(`${base}/#/experiments`);
  await page.waitForSelector("#experiments .progress");
  check("the list shows experiments with progress bars", (await page.$$("#experiments tr")).length >= 3);
  await page.screenshot({ path: join(artifacts, "experiments.png"), fullPage: true });
  await page.goto(`${base}/#/experiments/${accepted.id}`);
  await page.waitForSelector("#curves .scatterlayer .trace", { timeout: 180000 });
  check("learning curves are drawn", (await page.$$("#curves .scatterlayer .trace")).length === 2);
  check("Set A / Set B boxes are drawn", (await page.$$("#boxes .boxlayer .trace")).length === 2);
  check("the p-value tables are shown", (await page.textContent("#results")).includes("Set A vs Set B"));
  await page.fill("#L", "2");
  await page.dispatchEvent("#L", "change");
  await page.waitForFunction(() => (document.querySelector("#L"))?.value === "2");
  await page.screenshot({ path: join(artifacts, "training-experiment.png"), fullPage: true });

  await page.goto(`${base}/#/compare/${accepted.id}?a=sgd&b=sam`);
  await page.waitForSelector("#pair p");
  check("the compare page tests two optimizers", (await page.textContent("#pair")).includes("Mann–Whitney"));

  await page.goto(`${base}/#/leaderboard?task=digits`);
  await page.waitForSelector("#leaderboard tr td");
  const rows = await page.$$("#leaderboard tr");
  check(`the leaderboard ranks the configurations (${rows.length - 1})`, rows.length - 1 === 2);
  await page.screenshot({ path: join(artifacts, "leaderboard.png"), fullPage: true });
} catch (error) {
  failures++;
  console.log(`not ok - ${error.message}`);
} finally {
  await browser?.close();
  serve.kill("SIGTERM");
  await new Promise((r) => serve.once("exit", r));
  rmSync(home, { recursive: true, force: true });
}
console.log(`${passes} passed, ${failures} failed`);
process.exit(failures ? 1 : 0);
