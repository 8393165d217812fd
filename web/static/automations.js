// The automations page: list, enable/disable, run now, traces with their steps.
"use strict";

function make(tag, attrs = {}, ...children) {
  const made = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key.startsWith("on")) made.addEventListener(key.slice(2), value);
    else if (value !== null && value !== undefined && value !== false) made.setAttribute(key, value);
  }
  for (const child of children) made.append(child);
  return made;
}

const base = (id) => `/api/automations/${encodeURIComponent(id)}`;

async function post(url) {
  const response = await hubFetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" });
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    throw new Error((body.error && body.error.message) || `failed (${response.status})`);
  }
}

async function showTrace(automation, runId, out) {
  const response = await fetch(`${base(automation)}/traces/${encodeURIComponent(runId)}`, { credentials: "same-origin" });
  const trace = await response.json();
  const steps = trace.trace || [];
  out.replaceChildren(
    make("h4", {}, `Run ${runId}`),
    make("ol", { "data-role": "steps" }, ...steps.map((step) =>
      make("li", {}, make("pre", {}, JSON.stringify(step, null, 2))))),
    make("details", {}, make("summary", {}, "Whole trace (JSON)"), make("pre", {}, JSON.stringify(trace, null, 2))));
}

async function loadTraces(automation, list, out) {
  const response = await fetch(`${base(automation)}/traces`, { credentials: "same-origin" });
  const traces = (await response.json()).traces;
  if (!traces.length) { list.replaceChildren(make("p", { class: "muted" }, "No runs kept yet.")); return; }
  list.replaceChildren(make("ul", {}, ...traces.map((t) => make("li", {},
    make("button", { type: "button", class: "secondary", "data-role": "trace",
      onclick: () => showTrace(automation, t.run_id, out) },
      `${t.run_id}: ${t.steps} step(s)${t.trigger ? " · " + t.trigger : ""}`)))));
}

function card(auto) {
  const status = make("p", { class: "error-text", role: "status" });
  const list = make("div", {});
  const out = make("div", { "aria-live": "polite" });
  const act = (path) => async () => {
    try { await post(`${base(auto.id)}/${path}`); status.textContent = ""; if (path !== "trigger") await refresh(); }
    catch (error) { status.textContent = error.message; }
  };
  return make("section", { class: "card capability", "data-id": auto.id, "aria-label": auto.alias || auto.id },
    make("h2", {}, auto.alias || auto.id),
    make("p", { class: "muted", "data-role": "summary" },
      `${auto.enabled ? "enabled" : "disabled"} · mode ${auto.mode} · triggers: ${auto.triggers.join(", ") || "none"}`
      + ` · last run: ${auto.last_triggered || "never"}`),
    auto.description ? make("p", {}, auto.description) : "",
    make("button", { type: "button", onclick: act(auto.enabled ? "disable" : "enable") }, auto.enabled ? "Disable" : "Enable"),
    " ",
    make("button", { type: "button", class: "secondary", onclick: async () => {
      const before = auto.traces;
      await act("trigger")();
      // the run is asynchronous (202): look for its trace a few times
      for (let i = 0; i < 20; i++) {
        const now = (await (await fetch(base(auto.id), { credentials: "same-origin" })).json()).traces;
        if (now > before) break;
        await new Promise((done) => setTimeout(done, 250));
      }
      await loadTraces(auto.id, list, out); } }, "Run now"),
    " ",
    make("button", { type: "button", class: "secondary", onclick: () => loadTraces(auto.id, list, out) }, "Show traces"),
    status, list, out);
}

async function refresh() {
  const response = await fetch("/api/automations", { credentials: "same-origin" });
  const body = await response.json();
  const root = document.getElementById("automations");
  const problems = document.getElementById("problems");
  problems.replaceChildren(...(body.problems || []).map((p) => make("p", { class: "error" }, typeof p === "string" ? p : JSON.stringify(p))));
  if (!body.automations.length) { root.replaceChildren(make("p", { class: "muted" }, "No automations configured.")); return; }
  root.replaceChildren(...body.automations.map(card));
}

document.addEventListener("DOMContentLoaded", refresh);
