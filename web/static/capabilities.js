// The capabilities page: every capability with its tools and triggers, and for each tool a
// form generated from its parameters' JSON Schema. Results are shown as JSON, or as an
// image when the tool answers one.
"use strict";

function node(tag, attrs = {}, ...children) {
  const made = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value !== null && value !== undefined && value !== false) made.setAttribute(key, value);
  }
  for (const child of children) made.append(child);
  return made;
}

const slugOf = (text) => text.replace(/[^a-zA-Z0-9_-]/g, "_");

// One input per property: enum -> select, boolean -> checkbox, number -> number, else text
// (objects and arrays as JSON text).
function field(formId, name, schema, required) {
  const id = `${formId}-${slugOf(name)}`;
  const text = `${name}${required ? " (required)" : ""}`;
  const hint = schema.description ? node("small", { class: "muted", id: `${id}-hint` }, schema.description) : "";
  let input;
  if (Array.isArray(schema.enum)) {
    input = node("select", { id, name, "data-kind": "enum", "aria-describedby": hint ? `${id}-hint` : null },
      node("option", { value: "" }, "—"), ...schema.enum.map((v) => node("option", { value: JSON.stringify(v) }, String(v))));
  } else if (schema.type === "boolean") {
    input = node("select", { id, name, "data-kind": "enum" },
      node("option", { value: "" }, "—"), node("option", { value: "true" }, "true"), node("option", { value: "false" }, "false"));
  } else if (schema.type === "integer" || schema.type === "number") {
    input = node("input", { id, name, type: "number", "data-kind": "number",
      min: schema.minimum, max: schema.maximum, step: schema.type === "integer" ? "1" : "any",
      "aria-describedby": hint ? `${id}-hint` : null });
  } else if (schema.type === "object" || schema.type === "array") {
    input = node("input", { id, name, "data-kind": "json", placeholder: schema.type === "array" ? "[...]" : "{...}" });
  } else {
    input = node("input", { id, name, "data-kind": "text", "aria-describedby": hint ? `${id}-hint` : null });
  }
  if (required) input.setAttribute("required", "");
  return [node("label", { for: id }, text), input, hint];
}

function argumentsOf(form) {
  const args = {};
  for (const input of form.querySelectorAll("[data-kind]")) {
    if (input.value === "") continue;
    const kind = input.dataset.kind;
    if (kind === "number") args[input.name] = Number(input.value);
    else if (kind === "enum" || kind === "json") args[input.name] = JSON.parse(input.value);
    else args[input.name] = input.value;
  }
  return args;
}

async function run(cap, tool, form, out) {
  out.replaceChildren(node("p", { class: "muted" }, "Calling…"));
  let args;
  try { args = argumentsOf(form); } catch (error) {
    out.replaceChildren(node("p", { class: "error" }, `not JSON: ${error.message}`)); return;
  }
  const response = await hubFetch(
    `/api/capabilities/${encodeURIComponent(cap.id)}/tools/${encodeURIComponent(tool.name)}`,
    { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(args) });
  const type = response.headers.get("content-type") || "";
  if (type.startsWith("image/")) {
    const url = URL.createObjectURL(await response.blob());
    out.replaceChildren(node("img", { src: url, alt: `Result of ${cap.id} ${tool.name}`, "data-role": "result-image" }));
    return;
  }
  const body = await response.json().catch(() => ({}));
  const shown = response.ok ? body.result : body.error;
  out.replaceChildren(node("pre", { class: response.ok ? "" : "error", "data-role": "result" },
    JSON.stringify(shown, null, 2)));
}

function toolForm(cap, tool) {
  const formId = `tool-${slugOf(cap.id)}-${slugOf(tool.name)}`;
  const params = tool.parameters || {};
  const required = new Set(params.required || []);
  const fields = Object.entries(params.properties || {}).flatMap(
    ([name, schema]) => field(formId, name, schema || {}, required.has(name)));
  const out = node("div", { "aria-live": "polite", id: `${formId}-out` });
  const form = node("form", { id: formId, "data-tool": tool.name },
    ...fields, node("button", { type: "submit" }, `Call ${tool.name}`));
  form.addEventListener("submit", (event) => { event.preventDefault(); run(cap, tool, form, out); });
  return node("details", { class: "tool" },
    node("summary", {}, node("code", {}, tool.name), tool.description ? ` · ${tool.description}` : ""),
    form, out);
}

function capabilityCard(cap) {
  const triggers = (cap.triggers || []).map((t) =>
    node("li", {}, node("code", {}, t.name), t.description ? ` · ${t.description}` : ""));
  return node("section", { class: "card capability", "data-id": cap.id, "aria-label": cap.name || cap.id },
    node("h2", {}, cap.name || cap.id),
    node("p", { class: "muted" }, node("code", {}, cap.id), ` · ${cap.type}${cap.area ? " · " + cap.area : ""}${cap.available === false ? " · unavailable" : ""}`),
    node("h3", {}, "Tools"),
    ...(cap.tools.length ? cap.tools.map((t) => toolForm(cap, t)) : [node("p", { class: "muted" }, "none")]),
    node("h3", {}, "Triggers"),
    triggers.length ? node("ul", {}, ...triggers) : node("p", { class: "muted" }, "none"));
}

async function loadCapabilities() {
  const response = await fetch("/api/capabilities", { credentials: "same-origin" });
  const root = document.getElementById("capabilities");
  if (!response.ok) { root.replaceChildren(node("p", { class: "error" }, `cannot list capabilities (${response.status})`)); return; }
  const caps = (await response.json()).capabilities.sort((a, b) => a.id.localeCompare(b.id));
  root.replaceChildren(...caps.map(capabilityCard));
}

document.addEventListener("DOMContentLoaded", loadCapabilities);
