// End to end in a real browser (Debian's Chromium, driven by playwright-core) against a
// real embedded server (`optbench serve` on a free port, its own OPTBENCH_HOME): every view
// of the page, under the page's Content-Security-Policy. Screenshots go to ../test-artifacts/.
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
  const server = createServer().listen(0, "127.0.0.1", () => {
    const p = server.address().port;
    server.close(() => ok(p));
  });
});
const home = mkdtempSync(join(tmpdir(), "optbench-e2e-"));
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("OPTBENCH_")));
const serve = spawn(join(root, ".venv/bin/python"), ["-m", "cli.main", "serve", "--port", String(port), "--workers", "2"],
  { cwd: root, env: { ...env, OPTBENCH_HOME: home, OPTBENCH_MAX_SUBMISSIONS_PER_MINUTE: "200" }, stdio: "ignore" });
const base = `http://127.0.0.1:${port}`;
let browser;
let failures = 0;
let passes = 0;

function check(name, condition) {
  if (condition) {
    passes++;
    console.log(`ok - ${name}`);
  } else {
    failures++;
    console.log(`not ok - ${name}`);
  }
}
async function until(what, probe, seconds = 120) {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    try { if (await probe()) return true; } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`timed out waiting for ${what}`);
}
/** Wait for `selector`; fail at once, with the page's words, if the view shows an error. */
async function shows(page, selector, timeout = 120000) {
  const error = page.waitForSelector("main .error", { timeout }).then(async (e) => {
    throw new Error(`the page says: ${await e.textContent()} (waiting for ${selector})`);
  }, () => new Promise(() => {}));  // no error shown: only the selector's own wait decides
  error.catch(() => {});
  return Promise.race([page.waitForSelector(selector, { timeout }), error]);
}
const shot = (page, name) => page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });

try {
  await until("the server", async () => (await fetch(`${base}/health`)).ok, 90);
  const token = readFileSync(join(home, "token"), "utf8").trim();
  const headers = { Authorization: `Bearer ${token}`, "Content-Type": "application/json" };
  const api = async (path, init = {}) => {
    const response = await fetch(`${base}/api/v1${path}`, { ...init, headers });
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status} ${await response.text()}`);
    return response.json();
  };
  const submit = (spec) => api("/experiments", { method: "POST", body: JSON.stringify(spec) });
  const finished = (id, seconds = 240) => until(`experiment ${id}`, async () =>
    ["succeeded", "failed", "cancelled"].includes((await api(`/experiments/${id}`)).status), seconds);

  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
      "--disable-component-update", "--no-first-run"],
  });
  const page = await browser.newPage({ viewport: { width: 1300, height: 950 } });
  const violations = [];
  const badAnswers = [];
  page.on("pageerror", (error) => {
    failures++;
    console.log(`not ok - page error: ${error.message}`);
  });
  page.on("console", (message) => {
    if (message.text().startsWith("csp-violation")) violations.push(message.text());
  });
  page.on("response", (response) => {
    const url = new URL(response.url());
    if (response.status() >= 500 || (response.status() === 404 && !url.pathname.startsWith("/api/"))) {
      badAnswers.push(`${response.status()} ${url.pathname}`);
    }
  });
  await page.addInitScript(() => document.addEventListener("securitypolicyviolation", (e) =>
    console.log(`csp-violation ${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`)));

  // Sign-in, under the page's Content-Security-Policy.
  const entry = await page.goto(`${base}/`);
  const policy = entry.headers()["content-security-policy"] ?? "";
  check("the page is served with a Content-Security-Policy", policy.includes("script-src 'self'")
    && !policy.includes("unsafe-eval") && !policy.includes("unsafe-inline"));
  await page.waitForSelector("#token");
  check("unsigned visitors are asked for a token", (await page.textContent("main")).includes("Paste an API token"));
  await page.fill("#token", "obt_wrong");
  await page.click("#go");
  await page.waitForSelector("#msg .error");
  check("a bad token is refused", (await page.textContent("#msg")).includes("not valid"));
  await shot(page, "signin");
  await page.fill("#token", token);
  await page.click("#go");
  await page.waitForSelector("text=No experiments yet");
  check("signed in: the empty list says what to do", true);

  // The submission form: a 422 shown next to its field, then a landscape experiment.
  await page.goto(`${base}/#/submit`);
  await page.waitForSelector("input[name=restarts]");
  await page.fill("input[name=restarts]", "0");
  await page.click("#send");
  await page.waitForSelector("[data-error=restarts]:not(:empty)");
  check("validation errors show next to the field", (await page.textContent("[data-error=restarts]")).includes("greater than 0"));
  await shot(page, "submit-error");
  // A sweep, submitted through the form: one configuration per value, plotted against it.
  await page.waitForSelector("input[name=sweep-nig_sgd]");
  await page.fill("input[name=restarts]", "100");
  await page.fill("input[name=iterations]", "1000");
  await page.uncheck("input[name=optimizers][value=sgd]");
  await page.check("input[name=optimizers][value=nig_sgd]");
  await page.fill("input[name=sweep-nig_sgd]", '{"rho": [1, 30, 300]}');
  await page.click("#send");
  await page.waitForURL(/#\/experiments\/\d+/);
  const sweepId = Number(/experiments\/(\d+)/.exec(page.url())[1]);
  await page.goto(`${base}/#/submit`);
  await page.waitForSelector("input[name=restarts]");
  await page.fill("input[name=restarts]", "120");
  await page.fill("input[name=iterations]", "1500");
  await page.check("input[name=optimizers][value=nim_mbh]");
  await page.check("input[name=functions][value=six_hump_camel]");
  await page.click("#send");
  await page.waitForURL(/#\/experiments\/\d+/);
  const landscapeId = Number(/experiments\/(\d+)/.exec(page.url())[1]);

  // A small training experiment (through the API, as the CLI would) for the training views:
  // SGD swept over two step sizes, and SAM; sharpness measured at every evaluation point.
  const training = await submit({ kind: "training", name: "digits (e2e)", task: "digits", optimizers: [
    { name: "sgd", sweep: { lr: [0.02, 0.05] } }, { name: "sam", hyperparameters: { lr: 0.05 } }],
    trajectories: 2, budget: { epochs: 2 }, evaluate_every: 0.25, batch_size: 64, population_size: 3, device: "cpu",
    sharpness: true, sharpness_iterations: 40, sharpness_batch: 128 });  // enough to converge

  // The queue: per member, the runs running and queued, and where each experiment stands.
  await page.goto(`${base}/#/queue`);
  await shows(page, "#queue tbody tr");
  check("the queue shows the waiting training experiment and its member",
    (await page.textContent("#queue")).includes("digits (e2e)")
    && (await page.textContent("#queue-members")).includes("local"));
  await shot(page, "queue");
  await page.goto(`${base}/#/experiments/${landscapeId}`);

  // Landscape detail: contour with end points, paths toggle, bars, tests.
  await shows(page, "#contour .scatterlayer .trace .points path");
  const points = await page.$$eval("#contour .scatterlayer .trace .points path", (nodes) => nodes.length);
  check(`the contour plot has end points drawn (${points})`, points >= 120);
  const bars = await page.$$eval("#bars .barlayer .point", (nodes) => nodes.length);
  check(`the distribution bars are drawn (${bars})`, bars >= 4);
  check("the between-optimizer test table is shown", (await page.textContent("#tests")).includes("nim_mbh"));
  check("each pair has its paired test beside the unpaired one", (await page.textContent("#tests")).includes("paired p"));
  check("the basin table counts the settled restarts", /\d+ \(\d+\)/.test(await page.textContent("#basins")));
  const lines = () => page.$$eval("#contour .scatterlayer .trace .js-line", (nodes) => nodes.length);
  const hiddenPaths = await lines();
  await page.click("#contour .legend .traces:has-text('sgd paths')");
  await until("the sgd paths", async () => (await lines()) > hiddenPaths, 10);
  check("clicking 'sgd paths' in the legend draws the restart paths", true);
  await shot(page, "landscape-experiment");
  await page.selectOption("#function", "six_hump_camel");
  await page.waitForFunction(() => document.querySelector("#contour")?.textContent?.includes("six_hump_camel: end points"));
  check("switching the function redraws the contour", true);
  await shot(page, "landscape-six-hump");

  await page.goto(`${base}/#/experiments/${sweepId}`);
  await shows(page, "[id='sweep-nig_sgd'] .scatterlayer .trace", 300000);
  const sweepLines = await page.$$eval("[id='sweep-nig_sgd'] .scatterlayer .trace", (nodes) => nodes.length);
  check(`the sweep plots each basin's fraction against rho (${sweepLines} lines)`, sweepLines === 5);
  const sweepPoints = await page.$$eval("[id='sweep-nig_sgd'] .scatterlayer .trace:first-child .points path",
    (nodes) => nodes.length);
  check(`one point per swept value (${sweepPoints})`, sweepPoints === 3);
  await shot(page, "landscape-sweep");

  // The list: progress bars, a status filter and pages of 20.
  for (let i = 0; i < 19; i++) {
    await submit({ kind: "landscape", name: `tiny ${i}`, functions: ["himmelblau"], optimizers: ["sgd"],
      restarts: 2, iterations: 2 });
  }
  await page.goto(`${base}/#/experiments`);
  await page.waitForSelector("#experiments .progress");
  check("the list shows experiments with progress bars", (await page.$$("#experiments tbody tr")).length === 20);
  await shot(page, "experiments");
  await page.click("text=next");
  await page.waitForFunction(() => document.querySelectorAll("#experiments tbody tr").length === 2);
  check("the second page holds the oldest experiments",
    (await page.textContent("#experiments")).includes(String(landscapeId)));
  await finished(training.id);
  await page.goto(`${base}/#/experiments`);
  await page.selectOption("#status", "succeeded");
  await page.waitForURL(/status=succeeded/);
  await until("the filtered list", async () => {
    const statuses = await page.$$eval("#experiments .status", (n) => n.map((e) => e.textContent));
    return statuses.length > 0 && statuses.every((s) => s === "succeeded");
  }, 60);
  check("the status filter shows only succeeded experiments", true);

  // Opening a training experiment costs at most 3 API requests: the experiment, its view
  // (every statistic the page shows) and its kept models.
  await page.goto("about:blank");
  const opened = [];
  const counting = (request) => {
    const url = new URL(request.url());
    if (url.pathname.startsWith("/api/")) opened.push(`${request.method()} ${url.pathname}`);
  };
  page.on("request", counting);
  await page.goto(`${base}/#/experiments/${training.id}`);
  await shows(page, "#kept-models tbody tr");
  await shows(page, "#sharpness-sets tbody tr");
  await page.waitForTimeout(1500);  // anything the page would still ask for
  page.off("request", counting);
  check(`a training experiment opens in at most 3 API requests (${opened.join(", ")})`, opened.length <= 3);
  const again = page.waitForResponse((r) => new URL(r.url()).pathname.endsWith(`/experiments/${training.id}/view`));
  await page.reload();
  const sent = await (await again).request().allHeaders();
  check("opened again, the view is revalidated with its ETag (If-None-Match: the server's 304)",
    Boolean(sent["if-none-match"]));

  // Training detail: learning curves, Set A/B boxes, tables, adjustable L (kept in the URL).
  await page.goto(`${base}/#/experiments/${training.id}`);
  await shows(page, "#curves .scatterlayer .trace");
  check("learning curves are drawn", (await page.$$("#curves .scatterlayer .trace")).length === 3);
  await shows(page, "#boxes .boxlayer .trace");
  check("Set A / Set B boxes are drawn", (await page.$$("#boxes .boxlayer .trace")).length === 2);
  check("the p-value tables are shown", (await page.textContent("#results")).includes("Set A vs Set B"));
  await page.fill("#L", "2");
  await page.dispatchEvent("#L", "change");
  await page.waitForURL(/L=2/);
  await page.waitForFunction(() => document.querySelector("#L")?.value === "2");
  check("L is adjustable and kept in the URL", true);
  await shows(page, "#set-comparison tbody tr");
  check("Set A / Set B overlap is reported per optimizer", (await page.textContent("#set-comparison")).includes("%"));
  await page.goto(`${base}/#/experiments/${training.id}`);
  await shows(page, "#warnings li");
  check("a large overlap comes with a warning in words", (await page.textContent("#warnings")).includes("also in Set B"));
  const said = await page.$$eval("#warnings li",
    (items) => items.map((li) => li.textContent.split(": ").slice(1).join(": ")));
  check(`each warning is said once, naming its optimizers (${said.length})`, new Set(said).size === said.length);
  await shot(page, "training-experiment");

  // The training sweep and sharpness: Set A vs Set B, and against the metric.
  await shows(page, "[id='sweep-sgd'] .scatterlayer .trace");
  const swept = await page.$$eval("[id='sweep-sgd'] .scatterlayer .trace .points path", (nodes) => nodes.length);
  check(`the training sweep plots the Set A median per step size (${swept} points)`, swept === 2);
  await shows(page, "#sharpness-boxes .boxlayer .trace");
  check("sharpness of Set A and Set B is drawn", (await page.$$("#sharpness-boxes .boxlayer .trace")).length === 2);
  const scatter = await page.$$("#sharpness-metric .scatterlayer .trace");
  check(`sharpness against the metric is drawn per configuration (${scatter.length})`, scatter.length === 3);
  check("Set A vs Set B on sharpness is tested", (await page.textContent("#sharpness-sets")).includes("sam"));
  check("the pairs are tested on sharpness", (await page.textContent("#sharpness-pairs")).includes("sam"));
  await page.$eval("#sharpness", (e) => e.scrollIntoView());
  await shot(page, "training-sharpness");

  // Kept models: listed with their Set A/B membership, each downloadable as safetensors.
  await shows(page, "#kept-models tbody tr");
  const kept = await page.$$("#kept-models tbody tr");
  check(`the kept models are listed (${kept.length})`, kept.length >= 18);
  check("kept models say which set they belong to", (await page.textContent("#kept-models")).includes("A + B"));
  // A DOM click: the full-page screenshots resize the viewport, and Plotly's responsive
  // relayout can still be moving the table under a pointer click.
  const [download] = await Promise.all([page.waitForEvent("download"),
    page.dispatchEvent("#kept-models button.download", "click")]);
  const file = readFileSync(await download.path());
  const headerLength = Number(file.readBigUInt64LE(0));
  const header = JSON.parse(file.subarray(8, 8 + headerLength).toString("utf8"));
  check(`a kept model downloads as safetensors (${download.suggestedFilename()}, ${file.length} bytes)`,
    download.suggestedFilename().endsWith(".safetensors") && Object.keys(header).length > 1);
  await shot(page, "training-kept-models");

  // Navigating away cancels the requests of the view that is gone.
  await page.route("**/view?*", async (route) => {
    await new Promise((r) => setTimeout(r, 1500));
    await route.continue().catch(() => {});
  });
  const aborted = [];
  page.on("requestfailed", (request) => aborted.push(`${request.url()} ${request.failure()?.errorText}`));
  await page.goto(`${base}/#/experiments/${training.id}?L=1`);
  await page.waitForSelector("#L");
  await page.click("header >> text=Leaderboard");
  await until("the aborted request", async () => aborted.some((a) => a.includes("/view?")), 10);
  check("leaving a view cancels its pending requests", aborted.some((a) => /\/view\?.*ABORTED/.test(a)));
  await page.unroute("**/view?*");

  // Compare, for both kinds.
  await page.goto(`${base}/#/compare/${training.id}?a=${encodeURIComponent("sgd@lr=0.05")}&b=sam`);
  await shows(page, "#pair p");
  check("the compare page tests two training optimizers", (await page.textContent("#pair")).includes("Mann–Whitney"));
  await shot(page, "compare-training");
  await page.goto(`${base}/#/compare/${landscapeId}?a=sgd&b=nim_mbh`);
  await shows(page, "#pair p");
  check("the compare page tests two landscape optimizers", (await page.textContent("#pair")).includes("G-test p ="));
  await shot(page, "compare-landscape");

  // The leaderboard.
  await page.goto(`${base}/#/leaderboard?task=digits`);
  await shows(page, "#leaderboard tbody tr td");
  const rows = await page.$$("#leaderboard tbody tr");
  check(`the leaderboard ranks the configurations (${rows.length})`, rows.length === 3);
  check("the leaderboard says how ties were decided", (await page.textContent("#ties")).includes("rank 1"));
  await shot(page, "leaderboard");

  // A tuning study: shown while it runs, then its budgets, history and trials.
  const study = await submit({ kind: "tuning", name: "tuning (e2e)", task: "digits",
    task_options: { train_size: 300 }, optimizers: ["sgd", "adam"], budget: { epochs: 1 },
    evaluate_every: 0.5, batch_size: 32, device: "cpu",
    tuning: { trials: 3, parallel: 1, pruner: "none" } });
  await page.goto(`${base}/#/experiments/${study.id}`);
  await shows(page, "#tuning #budgets tbody tr");
  const running = await page.textContent("#tuning-status");
  check(`the study is shown while it runs (${running})`, ["queued", "running", "succeeded"].includes(running));
  await finished(study.id);
  await page.reload();
  await until("the finished study on the page", async () =>
    (await page.textContent("#tuning-status")) === "succeeded", 60);
  const budgetRows = await page.$$("#budgets tbody tr");
  check(`the budget table has a row per optimizer (${budgetRows.length})`, budgetRows.length === 2);
  check("the budget table says the budgets were equal", (await page.textContent("#tuning h3")).includes("(equal)"));
  const trialRows = await page.$$("#trials tbody tr");
  check(`every trial is listed (${trialRows.length})`, trialRows.length === 6);
  await shows(page, "#tuning-history .scatterlayer .trace");
  const history = (await page.$$("#tuning-history .scatterlayer .trace")).length;
  check(`the optimization history is drawn per optimizer (${history} traces)`, history >= 2);
  check("the learning rate is plotted against the objective", (await page.$$("#tuning-lr .scatterlayer .trace")).length >= 1);
  await shot(page, "tuning");

  check(`no Content-Security-Policy violations (${violations.join("; ") || "none"})`, violations.length === 0);
  check(`no server errors and no missing files (${badAnswers.join("; ") || "none"})`, badAnswers.length === 0);
} catch (error) {
  failures++;
  console.log(`not ok - ${error.message}`);
  await browser?.contexts()[0]?.pages()[0]?.screenshot({ path: join(artifacts, "failure.png"), fullPage: true });
} finally {
  await browser?.close();
  serve.kill("SIGTERM");
  await new Promise((r) => serve.once("exit", r));
  rmSync(home, { recursive: true, force: true });
}
console.log(`${passes} passed, ${failures} failed`);
process.exit(failures ? 1 : 0);
