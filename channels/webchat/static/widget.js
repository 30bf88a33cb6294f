/* Atiende live-chat widget: one <script src=".../widget.js" data-lang="es"> line on any page.
   Plain JavaScript, no framework, no build step. Talks to /widget/api on the script's server. */
(function () {
  "use strict";
  var me = document.currentScript;
  if (!me || window.AtiendeWidget) return;
  var data = me.dataset || {};
  var server = (data.server || new URL(me.src, location.href).origin).replace(/\/$/, "");
  var api = server + "/widget/api";
  var nav = (navigator.language || "es").slice(0, 2);
  var lang = data.lang === "en" || data.lang === "es" ? data.lang : (nav === "en" ? "en" : "es");
  var color = /^#[0-9a-fA-F]{3,8}$/.test(data.color || "") ? data.color : "#0b6bcb";
  var W = {
    es: {open: "Abrir chat", close: "Cerrar chat", title: "Chat en vivo", say: "Escribe tu mensaje",
      send: "Enviar", attach: "Adjuntar archivo", email: "Déjanos tu correo y seguimos por email",
      emailLabel: "Tu correo", save: "Guardar", saved: "Listo: si te vas, te respondemos por correo.",
      you: "Tú", them: "Soporte", retry: "No se pudo enviar. Reintenta.", stars: " de 5 estrellas",
      hello: "¡Hola! ¿En qué te ayudamos?", sending: "enviando…", file: "Archivo"},
    en: {open: "Open chat", close: "Close chat", title: "Live chat", say: "Write your message",
      send: "Send", attach: "Attach a file", email: "Leave your email and we continue by email",
      emailLabel: "Your email", save: "Save", saved: "Done: if you leave, we answer by email.",
      you: "You", them: "Support", retry: "Could not send. Try again.", stars: " of 5 stars",
      hello: "Hi! How can we help?", sending: "sending…", file: "File"}
  }[lang];
  var title = data.title || W.title;
  var tokenKey = "atiende-widget:" + server;
  var token = null, source = null, seen = {}, limits = {max_chars: 2000};

  var css = ":host{all:initial;font:15px/1.4 system-ui,sans-serif;color:#1d1d1f}" +
    "*{box-sizing:border-box;font:inherit}" +
    ".bubble{position:fixed;right:20px;bottom:20px;width:60px;height:60px;border-radius:50%;" +
    "border:0;background:%C%;color:#fff;cursor:pointer;box-shadow:0 4px 14px #0004;z-index:2147483000}" +
    ".bubble svg{width:28px;height:28px;fill:#fff}" +
    ".panel{position:fixed;right:20px;bottom:92px;width:360px;max-width:calc(100vw - 24px);" +
    "height:520px;max-height:calc(100vh - 110px);display:flex;flex-direction:column;" +
    "background:#fff;border-radius:12px;box-shadow:0 8px 30px #0005;overflow:hidden;z-index:2147483001}" +
    ".panel[hidden]{display:none}" +
    "header{background:%C%;color:#fff;padding:12px 14px;display:flex;align-items:center;gap:8px}" +
    "header h2{margin:0;font-size:16px;font-weight:600;flex:1}" +
    "button{cursor:pointer}" +
    ".x{background:none;border:0;color:#fff;font-size:22px;line-height:1;padding:4px 8px}" +
    ".log{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:8px;background:#f6f7f9}" +
    ".m{max-width:85%;padding:8px 11px;border-radius:12px;white-space:pre-wrap;word-wrap:break-word}" +
    ".in{align-self:flex-end;background:%C%;color:#fff}.out{align-self:flex-start;background:#fff;border:1px solid #dde}" +
    ".m small{display:block;opacity:.75;font-size:12px}" +
    ".choices{display:flex;flex-wrap:wrap;gap:6px;margin-top:6px}" +
    ".choices button{border:1px solid %C%;background:#fff;color:%C%;border-radius:16px;padding:5px 12px}" +
    ".choices button.star{font-size:18px;padding:3px 8px;color:#e3a100;border-color:#e3a100}" +
    ".choices button:focus,.bubble:focus,.x:focus,form button:focus{outline:3px solid #f5a623;outline-offset:2px}" +
    "form{display:flex;gap:6px;padding:8px;border-top:1px solid #e3e3e8;align-items:flex-end}" +
    "textarea,input[type=email]{flex:1;border:1px solid #ccd;border-radius:8px;padding:8px;resize:none;min-height:40px}" +
    "form button{border:0;background:%C%;color:#fff;border-radius:8px;padding:9px 12px;min-height:40px}" +
    ".clip{background:#eef;color:#334}" +
    ".err{color:#b00020;padding:0 12px;font-size:13px}.err:empty{display:none}" +
    ".mail{padding:6px 12px;font-size:13px;border-top:1px solid #eee}" +
    ".mail summary{cursor:pointer;color:#345}" +
    ".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}" +
    "@media (max-width:480px){.panel{right:0;bottom:0;width:100vw;max-width:100vw;height:100%;" +
    "max-height:100%;border-radius:0}}";

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    for (var key in attrs || {}) node.setAttribute(key, attrs[key]);
    if (text) node.textContent = text;
    return node;
  }

  var host = el("div", {id: "atiende-widget"});
  var root = host.attachShadow({mode: "open"});
  var style = el("style");
  style.textContent = css.replace(/%C%/g, color);
  root.appendChild(style);
  var bubble = el("button", {"class": "bubble", "aria-label": W.open, "aria-expanded": "false",
    "aria-controls": "atiende-panel", type: "button"});
  bubble.innerHTML = '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H8l-5 4V5a2 2 0 0 1 1-2z"/></svg>';
  var panel = el("section", {"class": "panel", id: "atiende-panel", role: "dialog",
    "aria-labelledby": "atiende-title", hidden: ""});
  var head = el("header");
  head.appendChild(el("h2", {id: "atiende-title"}, title));
  var closer = el("button", {"class": "x", type: "button", "aria-label": W.close}, "×");
  head.appendChild(closer);
  var log = el("div", {"class": "log", role: "log", "aria-live": "polite", tabindex: "0",
    "aria-label": title});
  var err = el("div", {"class": "err", role: "alert"});
  var form = el("form", {"class": "say"});
  var label = el("label", {"for": "atiende-text", "class": "sr"}, W.say);
  var input = el("textarea", {id: "atiende-text", rows: "1", placeholder: W.say, maxlength: "20000"});
  var fileLabel = el("label", {"class": "sr", "for": "atiende-file"}, W.attach);
  var file = el("input", {type: "file", id: "atiende-file", hidden: ""});
  var clip = el("button", {type: "button", "class": "clip", "aria-label": W.attach, title: W.attach});
  clip.innerHTML = '<svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true"><path fill="none" stroke="currentColor" stroke-width="2" d="M16 7l-7.5 7.5a2 2 0 0 0 3 3L19 10a4 4 0 0 0-6-6l-7.5 7.5a6 6 0 0 0 8.5 8.5L20 14"/></svg>';
  var send = el("button", {type: "submit"}, W.send);
  [label, input, fileLabel, file, clip, send].forEach(function (n) { form.appendChild(n); });
  var mail = el("details", {"class": "mail"});
  mail.appendChild(el("summary", {}, W.email));
  var mailForm = el("form", {"class": "mailform"});
  var mailLabel = el("label", {"for": "atiende-email", "class": "sr"}, W.emailLabel);
  var mailInput = el("input", {type: "email", id: "atiende-email", placeholder: W.emailLabel,
    autocomplete: "email", required: ""});
  [mailLabel, mailInput, el("button", {type: "submit"}, W.save)].forEach(function (n) {
    mailForm.appendChild(n); });
  mail.appendChild(mailForm);
  [head, log, err, form, mail].forEach(function (n) { panel.appendChild(n); });
  root.appendChild(bubble);
  root.appendChild(panel);
  (document.body || document.documentElement).appendChild(host);

  function uid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID().replace(/-/g, "");
    return (Date.now().toString(36) + Math.random().toString(36).slice(2)).slice(0, 32);
  }

  function call(method, path, body, isForm) {
    var headers = token ? {"X-Atiende-Visitor": token} : {};
    if (body && !isForm) headers["Content-Type"] = "application/json";
    return fetch(api + path, {method: method, headers: headers, mode: "cors",
      body: body ? (isForm ? body : JSON.stringify(body)) : undefined}).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (json) {
        if (!r.ok) { var e = new Error(json.error || ("HTTP " + r.status)); e.status = r.status; throw e; }
        return json;
      });
    });
  }

  function retrying(make, tries) {
    return make().catch(function (e) {
      if (tries <= 1 || (e.status && e.status < 500 && e.status !== 429)) throw e;
      return new Promise(function (ok) { setTimeout(ok, 700 * (4 - tries)); })
        .then(function () { return retrying(make, tries - 1); });
    });
  }

  function starLabel(text) {
    var n = (text.match(/⭐/g) || []).length;
    return n && text.replace(/⭐/g, "").trim() === "" ? n : 0;
  }

  function clearChoices() {
    var old = log.querySelectorAll(".choices");
    for (var i = 0; i < old.length; i++) old[i].remove();
  }

  function render(msg) {
    if (seen[msg.id]) { seen[msg.id].classList.remove("pending"); return seen[msg.id]; }
    var mine = msg.direction === "in";
    var box = el("div", {"class": "m " + (mine ? "in" : "out"), "data-id": msg.id});
    box.appendChild(el("span", {"class": "sr"}, (mine ? W.you : W.them) + ": "));
    box.appendChild(document.createTextNode(msg.text || ""));
    (msg.attachments || []).forEach(function (name) {
      box.appendChild(el("small", {}, W.file + ": " + name));
    });
    if (!mine) clearChoices();
    if (!mine && msg.buttons && msg.buttons.length) {
      var row = el("div", {"class": "choices", role: "group"});
      msg.buttons.forEach(function (b) {
        var n = starLabel(b);
        var btn = el("button", {type: "button", "class": n ? "star" : "choice"},
          n ? "★".repeat(n) : b);
        if (n) btn.setAttribute("aria-label", n + W.stars);
        btn.addEventListener("click", function () { say(b); });
        row.appendChild(btn);
      });
      box.appendChild(row);
    }
    seen[msg.id] = box;
    log.appendChild(box);
    log.scrollTop = log.scrollHeight;
    return box;
  }

  function say(text) {
    text = text.trim();
    if (!text) return;
    err.textContent = "";
    if (text.length > limits.max_chars) {
      err.textContent = text.length + " / " + limits.max_chars; return;
    }
    var id = uid();
    var box = render({id: id, direction: "in", text: text});
    box.classList.add("pending");
    retrying(function () { return call("POST", "/messages", {id: id, text: text, lang: lang}); }, 4)
      .then(function () { box.classList.remove("pending"); })
      .catch(function (e) { err.textContent = e.status ? e.message : W.retry; });
  }

  function upload(f) {
    var id = uid();
    var body = new FormData();
    body.append("id", id); body.append("lang", lang); body.append("file", f);
    var box = render({id: id, direction: "in", text: "", attachments: [f.name]});
    retrying(function () { return call("POST", "/attachments", body, true); }, 3)
      .catch(function (e) { box.remove(); delete seen[id]; err.textContent = e.message; });
  }

  function listen() {
    if (source) return;
    source = new EventSource(api + "/events?token=" + encodeURIComponent(token));
    source.addEventListener("history", function (e) {
      var items = JSON.parse(e.data);
      if (!items.length && !log.childNodes.length) render({id: "hello", direction: "out", text: W.hello});
      items.forEach(render);
    });
    source.addEventListener("message", function (e) { render(JSON.parse(e.data)); });
    source.addEventListener("closed", function (e) {   // opened in too many windows
      source.close(); err.textContent = JSON.parse(e.data).reason;
    });
  }

  function start() {
    var saved = null;
    try { saved = localStorage.getItem(tokenKey); } catch (e) { /* storage blocked */ }
    return call("POST", "/session", {token: saved}).then(function (s) {
      token = s.token; limits = s.limits || limits;
      try { localStorage.setItem(tokenKey, token); } catch (e) { /* storage blocked */ }
      listen();
    }).catch(function (e) { err.textContent = e.message; });
  }

  var ready = null;
  function open() {
    panel.hidden = false;
    bubble.setAttribute("aria-expanded", "true");
    bubble.setAttribute("aria-label", W.close);
    try { sessionStorage.setItem(tokenKey + ":open", "1"); } catch (e) { /* ignore */ }
    ready = ready || start();
    input.focus();
  }
  function close() {
    panel.hidden = true;
    bubble.setAttribute("aria-expanded", "false");
    bubble.setAttribute("aria-label", W.open);
    try { sessionStorage.removeItem(tokenKey + ":open"); } catch (e) { /* ignore */ }
    bubble.focus();
  }

  bubble.addEventListener("click", function () { panel.hidden ? open() : close(); });
  closer.addEventListener("click", close);
  panel.addEventListener("keydown", function (e) { if (e.key === "Escape") close(); });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); form.requestSubmit(); }
  });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value;
    input.value = "";
    if (ready) ready.then(function () { say(text); });
  });
  clip.addEventListener("click", function () { file.click(); });
  file.addEventListener("change", function () {
    if (file.files[0] && ready) { var f = file.files[0]; ready.then(function () { upload(f); }); }
    file.value = "";
  });
  mailForm.addEventListener("submit", function (e) {
    e.preventDefault();
    call("POST", "/email", {email: mailInput.value}).then(function () {
      mail.replaceChildren(el("p", {role: "status"}, W.saved));
    }).catch(function (e2) { err.textContent = e2.message; });
  });
  window.AtiendeWidget = {open: open, close: close};
  try { if (sessionStorage.getItem(tokenKey + ":open")) open(); } catch (e) { /* ignore */ }
})();
