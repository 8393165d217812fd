// Shared by every page: the CSRF token and the sign-out button. No framework, no build step.
"use strict";
const csrfToken = () => document.querySelector('meta[name="csrf-token"]').content;

// fetch() with the session's CSRF token on every unsafe request
async function hubFetch(url, options = {}) {
  const headers = new Headers(options.headers || {});
  headers.set("X-CSRF-Token", csrfToken());
  return fetch(url, { ...options, headers, credentials: "same-origin" });
}

document.addEventListener("DOMContentLoaded", () => {
  const signout = document.getElementById("signout");
  if (signout) {
    signout.addEventListener("click", async () => {
      await hubFetch("/logout", { method: "POST" });
      location.href = "/login";
    });
  }
});
