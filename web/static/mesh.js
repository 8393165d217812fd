// The mesh page: this hub's own mesh status, as GET /api/mesh answers it.
"use strict";

document.addEventListener("DOMContentLoaded", async () => {
  const out = document.getElementById("mesh-status");
  const response = await fetch("/api/mesh", { credentials: "same-origin" });
  const body = await response.json().catch(() => ({}));
  out.textContent = JSON.stringify(response.ok ? body : body.error, null, 2);
});
