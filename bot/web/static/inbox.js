// The inbox's few behaviours: live events, "typing" marks, canned responses, keyboard shortcuts.
(function () {
  "use strict";
  const body = document.body;
  const page = body.dataset.page;
  const ticket = body.dataset.ticket;
  const csrf = body.dataset.csrf;

  function listen() {
    if (!page || !window.EventSource) return;
    const source = new EventSource("/agent/events" + (ticket ? "?ticket=" + ticket : ""));
    source.addEventListener("changed", function () {
      if (window.htmx) htmx.trigger(body, "inbox-changed");
    });
    source.addEventListener("presence", function (event) {
      const box = document.getElementById("presence");
      if (box) box.textContent = event.data;
    });
    window.addEventListener("pagehide", function () { source.close(); });
  }

  function typingMarks() {
    const box = document.getElementById("reply-text");
    if (!box) return;
    let last = 0;
    box.addEventListener("input", function () {
      const now = Date.now();
      if (now - last < 3000) return;
      last = now;
      const data = new FormData();
      data.append("csrf", csrf);
      fetch(box.dataset.typing, {method: "POST", body: data, credentials: "same-origin"});
    });
  }

  function cannedPicker() {
    const picker = document.getElementById("canned");
    const box = document.getElementById("reply-text");
    if (!picker || !box) return;
    picker.addEventListener("change", function () {
      if (!picker.value) return;
      box.value = box.value ? box.value + "\n" + picker.value : picker.value;
      picker.value = "";
      box.focus();
    });
  }

  function rememberOrder() {
    const numbers = Array.from(document.querySelectorAll("#rows .row")).map(r => r.dataset.number);
    sessionStorage.setItem("atiende-order", JSON.stringify(numbers));
  }

  function step(delta) {
    if (page === "list") {
      const rows = Array.from(document.querySelectorAll("#rows .row"));
      if (!rows.length) return;
      let at = rows.findIndex(r => r.classList.contains("selected"));
      if (at >= 0) rows[at].classList.remove("selected");
      at = Math.min(Math.max(at + delta, 0), rows.length - 1);
      rows[at].classList.add("selected");
      rows[at].focus();
      return;
    }
    const order = JSON.parse(sessionStorage.getItem("atiende-order") || "[]");
    const next = order[order.indexOf(ticket) + delta];
    if (next) window.location = "/agent/tickets/" + next;
  }

  const KEYS = {
    j: () => step(1), k: () => step(-1),
    r: () => document.getElementById("reply-text")?.focus(),
    n: () => document.getElementById("note-text")?.focus(),
    e: () => document.getElementById("resolve")?.click(),
    "/": () => document.getElementById("canned")?.focus(),
  };

  document.addEventListener("keydown", function (event) {
    const tag = (event.target.tagName || "").toLowerCase();
    if (["input", "textarea", "select"].includes(tag) || event.ctrlKey || event.metaKey ||
        event.altKey) return;
    const action = KEYS[event.key.toLowerCase()];
    if (action) { event.preventDefault(); action(); }
  });

  document.addEventListener("DOMContentLoaded", function () {
    listen();
    typingMarks();
    cannedPicker();
    if (page === "list") rememberOrder();
  });
  body.addEventListener("htmx:afterSwap", function () { if (page === "list") rememberOrder(); });
})();
