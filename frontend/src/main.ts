import Plotly from "plotly.js-dist-min";
import { api, ApiError, setToken, token } from "./api";
import {
  curveTraces, distributionBars, endPointTraces, fieldErrors, formatP, type FunctionDistribution,
  pathTraces, percent, populationBoxes,
} from "./shape";

const app = document.getElementById("app")!;
let timer: number | undefined;

function h(html: string): void { app.innerHTML = html; }
function escape(value: unknown): string {
  return String(value ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
function failure(error: unknown): string {
  if (error instanceof ApiError && error.status === 401)
    return `<p class="error">Your token is missing or no longer valid. <a href="#/signin">Sign in with an API token</a>.</p>`;
  if (error instanceof ApiError && error.status === 404) return `<p class="error">Not found.</p>`;
  return `<p class="error">Something went wrong: ${escape(error instanceof Error ? error.message : error)}. Reload to retry.</p>`;
}
const TERMINAL = new Set(["succeeded", "failed", "cancelled"]);

async function signIn(): Promise<void> {
  h(`<h2>Sign in</h2><p>Paste an API token (<code>optbench token create --name YOU</code>; the
     embedded server prints its own).</p>
     <label>Token <input id="token" type="password" autocomplete="off"></label>
     <button id="go">Sign in</button> <span id="msg"></span>`);
  document.getElementById("go")!.onclick = async () => {
    const value = (document.getElementById("token") as HTMLInputElement).value.trim();
    setToken(value);
    try {
      const me = await api("/me");
      document.getElementById("msg")!.textContent = `Signed in as ${me.name}`;
      location.hash = "#/experiments";
    } catch {
      setToken(null);
      document.getElementById("msg")!.innerHTML = `<span class="error">That token is not valid.</span>`;
    }
  };
}

async function experiments(params: URLSearchParams): Promise<void> {
  const offset = Number(params.get("offset") ?? 0);
  const status = params.get("status") ?? "";
  h(`<h2>Experiments</h2><p class="empty">Loading…</p>`);
  const load = async () => {
    const query = new URLSearchParams({ limit: "20", offset: String(offset), ...(status ? { status } : {}) });
    const page = await api(`/experiments?${query}`);
    const rows = page.items.map((e: any) => `<tr><td><a href="#/experiments/${e.id}">${e.id}</a></td>
        <td>${escape(e.name)}</td><td>${e.kind}</td><td class="status">${e.status}</td>
        <td><span class="progress"><span style="width:${percent(e.progress)}"></span></span> ${percent(e.progress)}</td>
        <td>${escape(e.owner)}</td><td>${new Date(e.created_at).toLocaleString()}</td></tr>`).join("");
    const filter = ["", "queued", "running", "succeeded", "failed", "cancelled"]
      .map((s) => `<option ${s === status ? "selected" : ""} value="${s}">${s || "any status"}</option>`).join("");
    h(`<h2>Experiments</h2><select id="status">${filter}</select>
       ${page.total === 0 ? `<p class="empty">No experiments yet — <a href="#/submit">submit one</a>.</p>` :
       `<table id="experiments"><tr><th>id</th><th>name</th><th>kind</th><th>status</th><th>progress</th><th>owner</th><th>created</th></tr>${rows}</table>
        <p>${offset + 1}–${offset + page.items.length} of ${page.total}
        ${offset > 0 ? `<a href="#/experiments?offset=${Math.max(0, offset - 20)}&status=${status}">previous</a>` : ""}
        ${offset + 20 < page.total ? `<a href="#/experiments?offset=${offset + 20}&status=${status}">next</a>` : ""}</p>`}`);
    (document.getElementById("status") as HTMLSelectElement).onchange = (ev) =>
      { location.hash = `#/experiments?status=${(ev.target as HTMLSelectElement).value}`; };
    if (page.items.some((e: any) => !TERMINAL.has(e.status))) timer = window.setTimeout(() => load().catch(() => {}), 1500);
  };
  await load().catch((e) => h(failure(e)));
}

async function landscapeView(id: number, experiment: any, box: HTMLElement): Promise<void> {
  const distribution = await api(`/experiments/${id}/distribution`);
  const functions: FunctionDistribution[] = distribution.functions;
  box.innerHTML = `<label>Function <select id="function">${functions.map((f) => `<option>${f.function}</option>`).join("")}</select></label>
    <div class="row"><div id="contour" class="plot" style="max-width:560px"></div><div id="bars" class="plot" style="max-width:600px"></div></div>
    <h3>Between-optimizer tests (G-test; Holm-adjusted)</h3><div id="tests"></div>
    <p><a href="#/compare/${id}">Compare two optimizers</a></p>`;
  const draw = async (name: string) => {
    const entry = functions.find((f) => f.function === name)!;
    const [grid, points] = await Promise.all([
      api(`/functions/${name}/grid?size=90`), api(`/experiments/${id}/end-points?function=${name}&paths=true`)]);
    const traces: any[] = [{ type: "contour", x: grid.x, y: grid.y, z: grid.z, showscale: false, ncontours: 30,
                             colorscale: "Greys", contours: { coloring: "lines" }, name: "f" }];
    traces.push({ type: "scatter", mode: "markers+text", name: "minima", x: entry.minima.map((m) => m.location[0]),
                  y: entry.minima.map((m) => m.location[1]), text: entry.minima.map((m) => m.label),
                  textposition: "top right", marker: { symbol: "x-thin-open", size: 14, color: "black" } });
    traces.push(...endPointTraces(points.optimizers));
    for (const [opt, data] of Object.entries<any>(points.optimizers)) traces.push(...pathTraces(opt, data.paths ?? []));
    await Plotly.newPlot("contour", traces, { title: { text: `${name}: end points (paths: click in the legend)` }, height: 480 });
    await Plotly.newPlot("bars", distributionBars(entry), { barmode: "group", title: { text: "fraction of restarts (95% CI)" },
                                                          yaxis: { range: [0, 1] }, height: 480 });
    document.getElementById("tests")!.innerHTML = entry.tests.length === 0 ? `<p class="empty">One optimizer: nothing to compare.</p>` :
      `<table><tr><th>a</th><th>b</th><th>p</th><th>p (Holm)</th><th>same basin</th></tr>${entry.tests.map((t) =>
        `<tr><td>${t.a}</td><td>${t.b}</td><td>${formatP(t.pvalue)}</td><td>${formatP(t.pvalue_holm)}</td>
         <td>${t.agreement == null ? "—" : percent(t.agreement)}</td></tr>`).join("")}</table>`;
  };
  (document.getElementById("function") as HTMLSelectElement).onchange = (ev) => draw((ev.target as HTMLSelectElement).value);
  await draw(functions[0].function);
}

async function trainingView(id: number, box: HTMLElement, L = ""): Promise<void> {
  const q = L ? `?L=${L}` : "";
  const [comparison, pairs, curves, a, b] = await Promise.all([
    api(`/experiments/${id}/set-comparison${q}`), api(`/experiments/${id}/optimizer-comparison${q}`),
    api(`/experiments/${id}/learning-curves?column=test_loss&window=3`),
    api(`/experiments/${id}/populations?which=A${L ? `&L=${L}` : ""}`),
    api(`/experiments/${id}/populations?which=B${L ? `&L=${L}` : ""}`)]);
  const metric = comparison.metric;
  box.innerHTML = `<label>L (models per trajectory) <input id="L" type="number" min="1" value="${comparison.L}"></label>
    <div class="row"><div id="curves" class="plot" style="max-width:560px"></div><div id="boxes" class="plot" style="max-width:600px"></div></div>
    <h3>Set A vs Set B on ${metric}</h3>
    <table><tr><th>optimizer</th><th>A median</th><th>B median</th><th>MWU p</th><th>Student p</th><th>Welch p</th><th>A12</th><th>Cliff's δ</th><th>trajectory p</th><th>levels disagree</th></tr>
    ${Object.values<any>(comparison.optimizers).map((r) => `<tr><td>${r.optimizer}</td><td>${r.set_a.median?.toFixed(4)}</td>
      <td>${r.set_b.median?.toFixed(4)}</td><td>${formatP(r.on_metric.model.mwu_pvalue)}</td><td>${formatP(r.on_metric.model.student_pvalue)}</td>
      <td>${formatP(r.on_metric.model.welch_pvalue)}</td><td>${r.on_metric.model.a12?.toFixed(3)}</td><td>${r.on_metric.model.cliffs_delta?.toFixed(3)}</td>
      <td>${formatP(r.on_metric.trajectory_pvalue)}</td><td>${r.on_metric.disagree ? "yes" : "no"}</td></tr>`).join("")}</table>
    <h3>Optimizer pairs on Set A (Holm-adjusted)</h3>
    <table><tr><th>pair</th><th>MWU p</th><th>Holm</th><th>A12</th><th>trajectory p (Holm)</th></tr>
    ${pairs.pairs.map((p: any) => `<tr><td>${p.optimizer1} vs ${p.optimizer2}</td><td>${formatP(p.comparison.model.mwu_pvalue)}</td>
      <td>${formatP(p.mwu_pvalue_holm)}</td><td>${p.comparison.model.a12?.toFixed(3)}</td><td>${formatP(p.trajectory_pvalue_holm)}</td></tr>`).join("")}</table>
    <p><a href="#/compare/${id}">Compare two optimizers</a></p>`;
  (document.getElementById("L") as HTMLInputElement).onchange = (ev) => trainingView(id, box, (ev.target as HTMLInputElement).value).catch((e) => { box.innerHTML = failure(e); });
  await Plotly.newPlot("curves", curveTraces(curves.optimizers), { title: { text: "test loss over gradient evaluations" }, height: 420,
                                                                  xaxis: { title: "gradient evaluations" } });
  await Plotly.newPlot("boxes", populationBoxes(a.optimizers, b.optimizers, metric), { boxmode: "group", title: { text: `Set A vs Set B (${metric})` }, height: 420 });
}

async function detail(id: number): Promise<void> {
  h(`<p class="empty">Loading…</p>`);
  const experiment = await api(`/experiments/${id}`);
  h(`<h2>Experiment ${id}${experiment.name ? `: ${escape(experiment.name)}` : ""}</h2>
     <p>${experiment.kind} · <span class="status" id="status">${experiment.status}</span> ·
     <span class="progress"><span id="bar" style="width:${percent(experiment.progress)}"></span></span> ${percent(experiment.progress)}
     · owner ${escape(experiment.owner)} ${TERMINAL.has(experiment.status) ? "" : `<button id="cancel">Cancel</button>`}</p>
     <div id="results"></div>`);
  const cancel = document.getElementById("cancel");
  if (cancel) cancel.onclick = async () => { await api(`/experiments/${id}/cancel`, { method: "POST" }).catch(() => {}); detail(id); };
  const box = document.getElementById("results")!;
  if (!TERMINAL.has(experiment.status)) {
    box.innerHTML = `<p class="empty">Results appear when the experiment finishes; this page refreshes itself.</p>`;
    timer = window.setTimeout(() => detail(id).catch((e) => h(failure(e))), 1000);
    return;
  }
  if (experiment.status !== "succeeded") { box.innerHTML = `<p class="error">The experiment ${experiment.status}.</p>`; return; }
  await (experiment.kind === "landscape" ? landscapeView(id, experiment, box) : trainingView(id, box));
}

async function compare(id: number, params: URLSearchParams): Promise<void> {
  const experiment = await api(`/experiments/${id}`);
  const names: string[] = experiment.spec.optimizers.map((o: any) => o.label ?? o.name);
  const a = params.get("a") ?? names[0]; const b = params.get("b") ?? names[1] ?? names[0];
  const pick = (id: string, v: string) => `<select id="${id}">${names.map((n) => `<option ${n === v ? "selected" : ""}>${n}</option>`).join("")}</select>`;
  h(`<h2>Compare in experiment <a href="#/experiments/${id}">${id}</a></h2>${pick("a", a)} vs ${pick("b", b)}<div id="pair"></div>`);
  const go = () => { location.hash = `#/compare/${id}?a=${(document.getElementById("a") as HTMLSelectElement).value}&b=${(document.getElementById("b") as HTMLSelectElement).value}`; };
  document.getElementById("a")!.onchange = go; document.getElementById("b")!.onchange = go;
  const box = document.getElementById("pair")!;
  if (experiment.kind === "landscape") {
    const d = await api(`/experiments/${id}/distribution`);
    box.innerHTML = d.functions.map((f: FunctionDistribution) => {
      const t = f.tests.find((t) => (t.a === a && t.b === b) || (t.a === b && t.b === a));
      return `<h3>${f.function}</h3>${t ? `<p>G-test p = ${formatP(t.pvalue)} (Holm ${formatP(t.pvalue_holm)}); same basin in ${t.agreement == null ? "—" : percent(t.agreement)} of restarts</p>` : `<p class="empty">Pick two different optimizers.</p>`}`;
    }).join("");
  } else {
    const pairs = await api(`/experiments/${id}/optimizer-comparison`);
    const p = pairs.pairs.find((p: any) => (p.optimizer1 === a && p.optimizer2 === b) || (p.optimizer1 === b && p.optimizer2 === a));
    box.innerHTML = p ? `<p>Set A: Mann–Whitney p = ${formatP(p.comparison.model.mwu_pvalue)} (Holm ${formatP(p.mwu_pvalue_holm)}),
      Welch p = ${formatP(p.comparison.model.welch_pvalue)}, A12 = ${p.comparison.model.a12?.toFixed(3)},
      median difference ${p.comparison.model.median_difference?.toFixed(4)}
      [${p.comparison.model.median_difference_low?.toFixed(4)}, ${p.comparison.model.median_difference_high?.toFixed(4)}];
      trajectory level p = ${formatP(p.comparison.trajectory_pvalue)}${p.comparison.disagree ? " — the two levels disagree" : ""}.</p>`
      : `<p class="empty">Pick two different optimizers.</p>`;
  }
}

async function leaderboard(params: URLSearchParams): Promise<void> {
  const tasks: any[] = await api("/tasks");
  const task = params.get("task") ?? "digits";
  const board = await api(`/leaderboard?task=${encodeURIComponent(task)}`);
  h(`<h2>Leaderboard</h2><label>Task <select id="task">${tasks.map((t) => `<option ${t.name === task ? "selected" : ""}>${t.name}</option>`).join("")}</select></label>
     <p>Set A median ${board.metric} with a bootstrap 95% CI; configurations the data cannot tell apart from the best share rank 1.</p>
     ${board.entries.length === 0 ? `<p class="empty">No finished training experiment on ${escape(task)} yet — <a href="#/submit">submit one</a>.</p>` :
     `<table id="leaderboard"><tr><th>rank</th><th>configuration</th><th>median</th><th>95% CI</th><th>trajectories</th><th>gradient evals / trajectory</th><th>p vs best (Holm)</th><th>submitter</th></tr>
      ${board.entries.map((e: any) => `<tr><td>${e.rank}</td><td><a href="#/experiments/${e.experiment_id}">${escape(e.optimizer)}</a> (exp. ${e.experiment_id})</td>
        <td>${e.median.toFixed(4)}</td><td>${e.ci_low.toFixed(4)}–${e.ci_high.toFixed(4)}</td><td>${e.trajectories}</td>
        <td>${Math.round(e.gradient_evaluations_per_trajectory)}</td><td>${formatP(e.pvalue_vs_best)}</td><td>${escape(e.submitter)}</td></tr>`).join("")}</table>`}`);
  (document.getElementById("task") as HTMLSelectElement).onchange = (ev) => { location.hash = `#/leaderboard?task=${(ev.target as HTMLSelectElement).value}`; };
}

async function submit(): Promise<void> {
  const [schema, optimizers, functions, tasks] = await Promise.all([api("/spec-schema"), api("/optimizers"), api("/functions"), api("/tasks")]);
  h(`<h2>Submit an experiment</h2><label>Kind <select id="kind"><option>landscape</option><option>training</option></select></label>
     <form id="form"></form><button id="send">Submit</button> <span id="spec-error" class="field-error"></span>`);
  const form = document.getElementById("form") as HTMLFormElement;
  const kindSelect = document.getElementById("kind") as HTMLSelectElement;
  const render = () => {
    const def = schema.$defs[kindSelect.value === "landscape" ? "LandscapeSpec" : "TrainingSpec"];
    const fields = Object.entries<any>(def.properties).filter(([name]) => name !== "kind").map(([name, prop]) => {
      const err = `<span class="field-error" data-error="${name}"></span>`;
      if (name === "optimizers")
        return `<fieldset><legend>optimizers</legend>${optimizers.map((o: any) => `<label><input type="checkbox" name="optimizers" value="${o.name}" ${o.name === "sgd" ? "checked" : ""}> ${o.name}
          <input type="text" name="hp-${o.name}" placeholder='hyperparameters, e.g. {"lr": 0.01}'></label>`).join("")}${err}</fieldset>`;
      if (name === "functions")
        return `<fieldset><legend>functions</legend>${functions.map((f: any) => `<label><input type="checkbox" name="functions" value="${f.name}" ${f.name === "himmelblau" ? "checked" : ""}> ${f.title}</label>`).join("")}${err}</fieldset>`;
      if (name === "task")
        return `<label>task <select name="task">${tasks.map((t: any) => `<option>${t.name}</option>`).join("")}</select>${err}</label>`;
      if (name === "budget")
        return `<label>budget <select name="budget-unit"><option>epochs</option><option>gradient_evaluations</option></select>
          <input type="number" name="budget" value="10" step="any">${err}</label>`;
      if (prop.type === "boolean") return `<label><input type="checkbox" name="${name}" ${prop.default ? "checked" : ""}> ${name}${err}</label>`;
      if (prop.enum) return `<label>${name} <select name="${name}">${prop.enum.map((v: string) => `<option ${v === prop.default ? "selected" : ""}>${v}</option>`).join("")}</select>${err}</label>`;
      if (prop.type === "integer" || prop.type === "number")
        return `<label>${name} <input type="number" name="${name}" step="any" value="${prop.default ?? ""}" title="${escape(prop.description ?? "")}">${err}</label>`;
      if (prop.type === "object") return `<label>${name} <input type="text" name="${name}" placeholder="JSON, e.g. {}">${err}</label>`;
      return `<label>${name} <input type="text" name="${name}" value="${escape(prop.default ?? "")}">${err}</label>`;
    });
    form.innerHTML = fields.join("");
  };
  kindSelect.onchange = render; render();
  document.getElementById("send")!.onclick = async () => {
    form.querySelectorAll("[data-error]").forEach((e) => { e.textContent = ""; });
    document.getElementById("spec-error")!.textContent = "";
    const data = new FormData(form);
    const spec: Record<string, unknown> = { kind: kindSelect.value };
    const def = schema.$defs[kindSelect.value === "landscape" ? "LandscapeSpec" : "TrainingSpec"];
    try {
      for (const [name, prop] of Object.entries<any>(def.properties)) {
        if (name === "kind") continue;
        if (name === "optimizers") {
          spec.optimizers = data.getAll("optimizers").map((n) => {
            const text = String(data.get(`hp-${n}`) ?? "").trim();
            return text ? { name: n, hyperparameters: JSON.parse(text) } : { name: n };
          });
        } else if (name === "functions") spec.functions = data.getAll("functions");
        else if (name === "budget") spec.budget = { [String(data.get("budget-unit"))]: Number(data.get("budget")) };
        else if (prop.type === "boolean") spec[name] = data.get(name) === "on";
        else if (prop.type === "object") { const t = String(data.get(name) ?? "").trim(); if (t) spec[name] = JSON.parse(t); }
        else if (prop.type === "integer" || prop.type === "number") { const v = String(data.get(name) ?? ""); if (v !== "") spec[name] = Number(v); }
        else if (data.get(name) !== null && data.get(name) !== "") spec[name] = data.get(name);
      }
    } catch {
      document.getElementById("spec-error")!.textContent = "Hyperparameters and options must be JSON objects.";
      return;
    }
    try {
      const accepted = await api("/experiments", { method: "POST", body: JSON.stringify(spec) });
      location.hash = `#/experiments/${accepted.id}`;
    } catch (error) {
      if (error instanceof ApiError && error.status === 422) {
        for (const [field, message] of Object.entries(fieldErrors(error.detail))) {
          const slot = form.querySelector(`[data-error="${field}"]`) ?? document.getElementById("spec-error");
          slot!.textContent = message;
        }
      } else document.getElementById("spec-error")!.innerHTML = failure(error);
    }
  };
}

async function route(): Promise<void> {
  window.clearTimeout(timer);
  const [path, query] = (location.hash.slice(1) || "/experiments").split("?");
  const params = new URLSearchParams(query);
  const parts = path.split("/").filter(Boolean);
  document.getElementById("signin-link")!.textContent = token() ? "Token" : "Sign in";
  try {
    if (parts[0] === "signin" || (!token() && parts[0] !== "leaderboard")) return await signIn();
    if (parts[0] === "experiments" && parts[1]) return await detail(Number(parts[1]));
    if (parts[0] === "compare" && parts[1]) return await compare(Number(parts[1]), params);
    if (parts[0] === "leaderboard") return await leaderboard(params);
    if (parts[0] === "submit") return await submit();
    return await experiments(params);
  } catch (error) {
    h(failure(error));
  }
}

window.addEventListener("hashchange", route);
route();
