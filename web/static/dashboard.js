// The dashboard: devices grouped by floor and area, a control per type, live by SSE.
"use strict";

const cards = new Map(); // capability id -> {cap, el, render}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value !== null && value !== undefined && value !== false) node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

const hasTool = (cap, name) => cap.tools.some((t) => t.name === name);
const toolParam = (cap, tool, param) => {
  const found = cap.tools.find((t) => t.name === tool);
  return found && found.parameters && found.parameters.properties
    ? found.parameters.properties[param] : undefined;
};
const label = (cap) => cap.name || cap.id;
const slug = (id) => id.replace(/[^a-zA-Z0-9_-]/g, "_");

async function call(cap, tool, args, status) {
  status.textContent = "…";
  const response = await hubFetch(
    `/api/capabilities/${encodeURIComponent(cap.id)}/tools/${tool}`,
    { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(args) });
  if (response.ok) { status.textContent = ""; return; }
  const body = await response.json().catch(() => ({}));
  status.textContent = (body.error && body.error.message) || `failed (${response.status})`;
}

function slider(cap, text, tool, param, value, min, max, status, scale = (v) => v) {
  const id = `${slug(cap.id)}-${param}`;
  const input = el("input", { type: "range", id, min, max, value: value ?? min });
  input.addEventListener("change", () => call(cap, tool, { [param]: scale(Number(input.value)) }, status));
  return [el("label", { for: id }, text), input];
}

function stateText(cap) {
  const s = cap.state || {};
  const unit = (cap.attributes && cap.attributes.unit_of_measurement) || "";
  let text = s.state === undefined ? "" : `${s.state}${unit ? " " + unit : ""}`;
  if (s.brightness !== undefined && s.state === "on") text += ` · ${Math.round(s.brightness / 2.55)}%`;
  if (s.color_temp_kelvin !== undefined) text += ` · ${s.color_temp_kelvin} K`;
  if (s.current_position !== undefined) text += ` · ${s.current_position}%`;
  if (s.temperature !== undefined && cap.type === "climate") text += ` · target ${s.temperature}`;
  if (cap.available === false) text += " · unavailable";
  return text;
}

function controls(cap, status) {
  const s = cap.state || {};
  const parts = [];
  const canSwitch = hasTool(cap, "turn_on") && hasTool(cap, "turn_off");
  if (canSwitch) {
    const on = s.state === "on";
    parts.push(el("button", {
      type: "button", class: on ? "" : "secondary", "aria-pressed": String(on),
      "data-role": "toggle", "aria-label": `${label(cap)}: turn ${on ? "off" : "on"}`,
      onclick: () => call(cap, on ? "turn_off" : "turn_on", {}, status),
    }, on ? "On" : "Off"));
  }
  if (toolParam(cap, "turn_on", "brightness_pct")) {
    const pct = s.brightness === undefined ? 0 : Math.round(s.brightness / 2.55);
    parts.push(...slider(cap, "Brightness", "turn_on", "brightness_pct", pct, 1, 100, status));
  }
  const kelvin = toolParam(cap, "turn_on", "color_temp_kelvin");
  if (kelvin) {
    const a = cap.attributes || {};
    parts.push(...slider(cap, "Colour temperature (K)", "turn_on", "color_temp_kelvin",
      s.color_temp_kelvin, a.min_color_temp_kelvin || kelvin.minimum || 2000,
      a.max_color_temp_kelvin || kelvin.maximum || 6500, status));
  }
  if (hasTool(cap, "lock") && hasTool(cap, "unlock")) {
    const locked = s.state === "locked";
    parts.push(el("button", { type: "button", onclick: () => call(cap, locked ? "unlock" : "lock", {}, status) },
      locked ? "Unlock" : "Lock"));
  }
  if (hasTool(cap, "set_cover_position")) {
    parts.push(...slider(cap, "Position (%)", "set_cover_position", "position", s.current_position, 0, 100, status));
  } else if (hasTool(cap, "open_cover")) {
    parts.push(el("button", { type: "button", onclick: () => call(cap, "open_cover", {}, status) }, "Open"));
    parts.push(el("button", { type: "button", class: "secondary", onclick: () => call(cap, "close_cover", {}, status) }, "Close"));
  }
  if (cap.type === "climate" && hasTool(cap, "set_temperature")) {
    const id = `${slug(cap.id)}-target`;
    const input = el("input", { type: "number", id, step: "0.5", value: s.temperature ?? "" });
    input.addEventListener("change", () => call(cap, "set_temperature", { temperature: Number(input.value) }, status));
    parts.push(el("label", { for: id }, "Target temperature"), input);
  }
  if (hasTool(cap, "set_percentage")) {
    parts.push(...slider(cap, "Speed (%)", "set_percentage", "percentage", s.percentage, 0, 100, status));
  }
  if (cap.type === "camera") {
    const img = el("img", { alt: `Latest frame from ${label(cap)}`, "data-role": "frame", loading: "lazy" });
    const refresh = () => { img.src = `/api/capabilities/${encodeURIComponent(cap.id)}/frame?t=${Date.now()}`; };
    refresh();
    parts.push(img, el("button", { type: "button", class: "secondary", onclick: refresh }, "Refresh frame"));
  }
  return parts;
}

function card(cap) {
  const status = el("p", { class: "error-text", role: "status" });
  const box = el("article", { class: "device", id: `device-${slug(cap.id)}`, "data-id": cap.id });
  const render = () => {
    box.replaceChildren(
      el("h3", {}, label(cap)),
      el("p", { class: "state", "data-role": "state" }, stateText(cap)),
      ...controls(cap, status), status);
  };
  render();
  cards.set(cap.id, { cap, el: box, render });
  return box;
}

function draw(caps) {
  const root = document.getElementById("devices");
  const groups = new Map();
  for (const cap of caps) {
    if (cap.type.includes("/")) continue; // AI services live on the capabilities page
    const floor = (cap.attributes && cap.attributes.floor) || "";
    const key = `${floor}\u0000${cap.area || ""}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(cap);
  }
  const keys = [...groups.keys()].sort();
  if (!keys.length) { root.replaceChildren(el("p", { class: "muted" }, "No devices yet.")); return; }
  root.replaceChildren(...keys.map((key) => {
    const [floor, area] = key.split("\u0000");
    const title = [floor, area || "No area"].filter(Boolean).join(" · ");
    return el("section", { "aria-label": title },
      el("h2", {}, title),
      el("div", { class: "grid" }, ...groups.get(key).sort((a, b) => label(a).localeCompare(label(b))).map(card)));
  }));
}

async function load() {
  const response = await fetch("/api/capabilities", { credentials: "same-origin" });
  if (response.status === 401) { location.href = "/login?next=/"; return; }
  const body = await response.json();
  draw(body.capabilities);
}

function live() {
  const events = new EventSource("/api/events?types=state_changed,availability_changed,capability_added,capability_removed");
  events.addEventListener("state_changed", (message) => {
    const event = JSON.parse(message.data);
    const entry = cards.get(event.capability_id);
    if (!entry) return;
    entry.cap.state = event.new;
    entry.render();
  });
  events.addEventListener("availability_changed", (message) => {
    const event = JSON.parse(message.data);
    const entry = cards.get(event.capability_id);
    if (entry) { entry.cap.available = event.available; entry.render(); }
  });
  for (const name of ["capability_added", "capability_removed"]) events.addEventListener(name, load);
  events.addEventListener("ready", () => document.body.setAttribute("data-live", "yes"));
}

document.addEventListener("DOMContentLoaded", () => { load().then(live); });
