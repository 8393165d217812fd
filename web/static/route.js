// The route playground: POST /api/route with execute=false; the answer shown as it comes.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("route-form");
  const out = document.getElementById("route-out");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const area = document.getElementById("route-area").value.trim();
    const body = { text: document.getElementById("route-text").value, execute: false };
    if (area) body.context = { area };
    out.textContent = "Resolving…";
    const response = await hubFetch("/api/route", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    const answer = await response.json().catch(() => ({}));
    const pre = document.createElement("pre");
    pre.setAttribute("data-role", "route-result");
    if (!response.ok) pre.className = "error";
    pre.textContent = JSON.stringify(response.ok ? answer : answer.error, null, 2);
    out.replaceChildren(pre);
  });
});
