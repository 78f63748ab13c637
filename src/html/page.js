// Draws the ladder of a tlsim event log and shows one event in the side panel.
// Rows are drawn lazily from the scroll position, so a long log stays fast.
// The state (connection, layers, search, unfolded segments, selection) lives
// in the URL fragment: #conn=c2&layer=tls,spdy&q=finished&select=40.
"use strict";
(function () {
  const errors = document.getElementById("errors");
  function report(message) {
    errors.textContent += message + "\n";
    document.body.setAttribute("data-errors", "yes");
  }
  window.addEventListener("error", (e) => report("error: " + e.message));
  window.addEventListener("unhandledrejection", (e) => report("rejection: " + e.reason));

  // The compact log (see html.rs): strings and bytes by number, field trees
  // by shape, one array per event.
  const data = JSON.parse(document.getElementById("log").textContent);
  const S = data.strings, E = data.events;
  const SEQ = 0, T = 1, ACTOR = 2, PEER = 3, CONN = 4, KIND = 5, LAYER = 6, TITLE = 7,
    SUMMARY = 8, EXPLAIN = 9, BYTES = 10, SHAPE = 11, VALUES = 12, RECV = 13, SEND_OF = 14, UNDER = 15;
  const str = (n) => (n < 0 ? null : S[n]);
  const actorOf = (i) => S[E[i][ACTOR]], peerOf = (i) => str(E[i][PEER]);
  const kindOf = (i) => S[E[i][KIND]], layerOf = (i) => S[E[i][LAYER]], titleOf = (i) => S[E[i][TITLE]];
  function fieldsOf(i) {
    const shape = E[i][SHAPE] < 0 ? [] : data.shapes[E[i][SHAPE]], values = E[i][VALUES], out = [];
    for (let n = 0; n * 4 < shape.length; n++) {
      const s = shape[4 * n + 2];
      out.push({ name: S[shape[4 * n]], depth: shape[4 * n + 1], span: s < 0 ? null : [s, shape[4 * n + 3]], value: S[values[n]] });
    }
    return out;
  }
  const lastSeq = E.length ? E[E.length - 1][SEQ] : 0;

  // The segments folded under each TLS send (their receipts included).
  const folded = new Map();
  E.forEach((e, i) => {
    if (e[UNDER] < 0 || kindOf(i) !== "send") return;
    if (!folded.has(e[UNDER])) folded.set(e[UNDER], []);
    folded.get(e[UNDER]).push(i);
  });

  const ROW = 28, LEFT = 124, HEAD = 34, PAD_ROWS = 30;
  const diagram = document.getElementById("diagram");
  const svg = document.getElementById("ladder");
  const actorBar = document.getElementById("actors");
  const panel = document.getElementById("panel");

  // Lifelines in order of first appearance; a link `a->b` stands for its two ends.
  function linkEnds(name) {
    const i = name.indexOf("->");
    return i > 0 && i + 2 < name.length ? [name.slice(0, i), name.slice(i + 2)] : null;
  }
  const runLevel = (i) => actorOf(i) === "sim" && (layerOf(i) === "sim" || !peerOf(i));
  const actors = [];
  const column = new Map();
  function addActor(name) {
    if (!column.has(name)) { column.set(name, actors.length); actors.push(name); }
  }
  for (let i = 0; i < E.length; i++) {
    if (runLevel(i)) continue;
    const ends = linkEnds(actorOf(i));
    if (ends) { addActor(ends[0]); addActor(ends[1]); } else addActor(actorOf(i));
    if (peerOf(i)) addActor(peerOf(i));
  }
  // Columns share the width of the diagram, within readable bounds.
  const COL = Math.max(230, Math.min(380,
    Math.floor((diagram.clientWidth - LEFT - 20) / Math.max(actors.length, 1))));
  const width = LEFT + COL * Math.max(actors.length, 1) + 20;
  const x = (name) => LEFT + COL * column.get(name) + COL / 2;

  function esc(s) {
    return String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]));
  }
  function cut(s, n) { return s.length > n ? s.slice(0, n - 1) + "…" : s; }
  function time(ns) {
    const ms = Math.floor(ns / 1e6), us = Math.floor(ns / 1e3) % 1000;
    return ms + "." + String(us).padStart(3, "0") + " ms";
  }

  // What is shown: layers, one connection or all, a search, unfolded segments.
  const layers = [...new Set(E.map((_, i) => layerOf(i)))];
  const state = { layers: new Set(layers), conn: -1, query: "", unfoldAll: false, unfolded: new Set() };
  // Each event's searchable text, built when the search first reaches it
  // (after the cheaper filters), so a search within one connection stays quick.
  const haystack = [];
  function matches(i) {
    if (haystack[i] === undefined) {
      const e = E[i];
      haystack[i] = (S[e[TITLE]] + "\n" + str(e[SUMMARY]) + "\n" +
        e[VALUES].map((v) => S[v]).join("\n")).toLowerCase();
    }
    return haystack[i].includes(state.query);
  }
  function visible(i) {
    const e = E[i];
    if (e[UNDER] >= 0 && !state.unfoldAll && !state.unfolded.has(e[UNDER])) return false;
    const runStartOrEnd = actorOf(i) === "sim" && layerOf(i) === "sim";
    if (!runStartOrEnd && state.conn >= 0 && e[CONN] !== state.conn) return false;
    if (!runStartOrEnd && !state.layers.has(layerOf(i))) return false;
    return !state.query || matches(i);
  }

  let rows = [], rowOf = new Map(), spanEnd = [], maxSpan = 0, selected = -1;

  function layout() {
    rows = [];
    for (let i = 0; i < E.length; i++) if (visible(i)) rows.push(i);
    rowOf = new Map(rows.map((i, r) => [i, r]));
    spanEnd = rows.map((i, r) => {
      const recv = E[i][RECV];
      return recv >= 0 && rowOf.has(recv) ? rowOf.get(recv) : r;
    });
    maxSpan = spanEnd.reduce((m, end, r) => Math.max(m, end - r), 0);
    const height = HEAD + rows.length * ROW + ROW;
    svg.setAttribute("width", width);
    svg.setAttribute("height", height);
    actorBar.style.width = width + "px";
    actorBar.innerHTML = actors.map((a) =>
      `<div style="left:${x(a) - COL / 2 + 12}px;width:${COL - 24}px" title="${esc(a)}">${esc(a)}</div>`).join("");
    document.getElementById("lifelines").innerHTML = actors.map((a) =>
      `<line class="life" x1="${x(a)}" y1="0" x2="${x(a)}" y2="${height}"/>`).join("");
    const count = document.getElementById("count");
    count.textContent = rows.length === E.length ? `${E.length} events` : `${rows.length} of ${E.length} events`;
    count.setAttribute("data-rows", String(rows.length));
    drawn = null;
    draw();
    showCurrent();
  }

  const y = (r) => HEAD / 2 + r * ROW + ROW / 2;

  function box(cls, i, r, cx, w, text) {
    return `<g class="box ${cls}" data-i="${i}"><rect x="${cx - w / 2}" y="${y(r) - 10}" width="${w}" height="20" rx="4"/>` +
      `<text x="${cx}" y="${y(r) + 4}" text-anchor="middle">${esc(cut(text, Math.floor(w / 6.4)))}</text></g>`;
  }

  // A TLS send's toggle for the segments folded under it.
  function foldToggle(i, x0, y0, dir) {
    const segments = folded.get(i);
    if (!segments || state.unfoldAll) return "";
    const open = state.unfolded.has(i);
    const n = segments.length;
    return `<text class="fold" data-fold="${i}" x="${x0 + 8 * dir}" y="${y0 + 14}" text-anchor="${dir > 0 ? "start" : "end"}">` +
      `${open ? "▾" : "▸"} ${n} TCP segment${n === 1 ? "" : "s"}</text>`;
  }

  function arrow(cls, i, from, to, r0, r1, label) {
    const x0 = x(from), x1 = x(to), y0 = y(r0), y1 = y(r1);
    const dir = x1 >= x0 ? 1 : -1;
    const drop = cls.includes("drop");
    const head = `M${x1},${y1} l${-9 * dir},-4 l0,8 z`;
    const mid = (x0 + x1) / 2;
    const cross = drop
      ? `<path class="x" d="M${mid + 20 * dir - 5},${(y0 + y1) / 2 - 5} l10,10 m0,-10 l-10,10"/>` : "";
    const end = drop ? "" : `<path d="${head}" fill="currentColor"/>`;
    const span = Math.abs(x1 - x0);
    return `<g class="msg ${cls}" data-i="${i}">` +
      `<line class="a" x1="${x0}" y1="${y0}" x2="${drop ? mid + 20 * dir : x1}" y2="${drop ? (y0 + y1) / 2 : y1}"/>` +
      `<line class="hit" x1="${x0}" y1="${y0}" x2="${x1}" y2="${y1}"/>${end}${cross}` +
      `<text x="${mid}" y="${y0 - 4}" text-anchor="middle">${esc(cut(label, Math.floor(span / 6.2)))}</text>` +
      foldToggle(i, x0, y0, dir) + `</g>`;
  }

  // The SVG for the event of row r, or "" when its row shows nothing of its own.
  function item(r) {
    const i = rows[r], e = E[i], actor = actorOf(i), peer = peerOf(i), title = titleOf(i);
    const summary = str(e[SUMMARY]);
    const label = summary ? title + "  " + summary : title;
    const known = (n) => n && column.has(n);
    const ends = linkEnds(actor);
    if (runLevel(i) || !known(actor) && !ends) {
      const w = COL * Math.max(actors.length, 1) - 20;
      return box("sim", i, r, LEFT + w / 2 + 10, w, title);
    }
    const from = column.has(actor) ? actor : ends && ends[0];
    const to = peer || (ends && ends[1]);
    const layer = layerOf(i) + (e[UNDER] >= 0 ? " segment" : "");
    switch (kindOf(i)) {
      case "send":
        if (known(to) && to !== from) {
          const matched = e[RECV] >= 0 && rowOf.has(e[RECV]);
          return arrow(layer + (matched ? "" : " unmatched"), i, from, to, r, spanEnd[r], label);
        }
        break;
      case "recv":
        if (e[SEND_OF] >= 0 && rowOf.has(e[SEND_OF])) {
          return `<circle class="rcv" data-i="${i}" cx="${x(actor)}" cy="${y(r)}" r="3.5"/>`;
        }
        if (known(peer)) return arrow(layer + " unmatched", i, peer, actor, r, r, label);
        break;
      case "drop":
        if (known(from) && known(to) && from !== to) return arrow("drop", i, from, to, r, r, "✗ " + label);
        return box("drop", i, r, x(from), COL - 20, "✗ " + title);
      case "fault":
        if (ends && known(ends[0]) && known(ends[1])) {
          const a = x(ends[0]), b = x(ends[1]);
          return box("fault", i, r, (a + b) / 2, Math.abs(b - a) + COL - 20, "⚡ " + title);
        }
        return box("fault", i, r, x(from), COL - 20, "⚡ " + title);
      case "timer":
        return box("state", i, r, x(from), COL - 20, "⏱ " + title);
      case "state":
        return box("state", i, r, x(from), COL - 20, title);
    }
    const keys = kindOf(i) === "action" && e[SHAPE] >= 0 ? "keys" : "";
    return box(keys, i, r, x(from), COL - 20, title);
  }

  let drawn = null;
  function draw() {
    const first = Math.max(0, Math.floor((diagram.scrollTop - HEAD) / ROW) - PAD_ROWS);
    const last = Math.min(rows.length - 1, first + Math.ceil(diagram.clientHeight / ROW) + 2 * PAD_ROWS);
    const key = first + ":" + last;
    if (drawn === key) return;
    drawn = key;
    let times = "", items = "";
    for (let r = Math.max(0, first - maxSpan); r <= last; r++) {
      if (r >= first) {
        const e = E[rows[r]];
        times += `<text class="time" x="6" y="${y(r) + 4}"><tspan class="seq">#${e[SEQ]}</tspan> ${time(e[T])}</text>`;
      }
      if (spanEnd[r] >= first) items += item(r);
    }
    document.getElementById("times").innerHTML = times;
    document.getElementById("items").innerHTML = items;
    markSelected();
  }
  diagram.addEventListener("scroll", () => requestAnimationFrame(draw));
  window.addEventListener("resize", () => { drawn = null; draw(); });

  function markSelected() {
    for (const g of svg.querySelectorAll(".sel")) g.classList.remove("sel");
    for (const g of svg.querySelectorAll(`[data-i="${selected}"]`)) g.classList.add("sel");
  }

  // "#N/LAST title" of the selected event, as `step` shows it.
  function showCurrent() {
    const current = document.getElementById("current");
    if (selected < 0) { current.textContent = ""; return; }
    const hidden = rowOf.has(selected) ? "" : " (hidden by the filters)";
    current.textContent = `#${E[selected][SEQ]}/${lastSeq} ${titleOf(selected)}${hidden}`;
    current.setAttribute("data-seq", String(E[selected][SEQ]));
  }

  // The side panel: header, explanation, fields by depth and the annotated hex dump.
  function select(i) {
    selected = i;
    markSelected();
    showCurrent();
    saveState();
    const e = E[i], kind = kindOf(i), peer = peerOf(i);
    const who = peer ? `${actorOf(i)} ${kind === "recv" ? "←" : "→"} ${peer}` : actorOf(i);
    const conn = e[CONN] >= 0 ? ` · conn ${data.connections[e[CONN] - 1] || e[CONN]}` : "";
    let html = `<h2 id="panel-title">${esc(titleOf(i))}</h2>` +
      `<div class="meta">#${e[SEQ]} · ${time(e[T])} · ${esc(who)} · ${kind} · ${layerOf(i)}${esc(conn)}</div>`;
    const explain = str(e[EXPLAIN]);
    if (explain) html += `<div class="explain">${esc(explain)}</div>`;
    const segments = folded.get(i);
    if (segments) {
      html += `<div class="carried">Carried in TCP segment${segments.length === 1 ? "" : "s"} ` +
        segments.map((s) => `<a href="#" data-goto="${s}">#${E[s][SEQ]}</a>`).join(", ") + `</div>`;
    }
    if (e[UNDER] >= 0) {
      html += `<div class="carried">Carries bytes of <a href="#" data-goto="${e[UNDER]}">#${E[e[UNDER]][SEQ]} ${esc(titleOf(e[UNDER]))}</a></div>`;
    }
    const fields = fieldsOf(i);
    const bytes = e[BYTES] < 0 ? "" : data.bytes[e[BYTES]];
    const colour = [];
    fields.forEach((f, n) => {
      if (!f.span) return;
      for (let o = f.span[0]; o < f.span[1]; o++) colour[o] = n % 6;
    });
    if (fields.length) {
      const heading = kind === "action" ? "Inputs and outputs" : "Fields";
      html += `<h3>${heading}</h3><div class="fields">` + fields.map((f, n) => {
        const span = f.span ? ` data-s="${f.span[0]}" data-e="${f.span[1]}"` : "";
        const sw = f.span ? `<span class="sw c${n % 6}"></span>` : "";
        return `<div class="f" data-n="${n}"${span} style="padding-left:${4 + 16 * (f.depth || 0)}px">` +
          `${sw}<b>${esc(f.name)}</b>: ${esc(f.value)}</div>`;
      }).join("") + `</div>`;
    }
    if (bytes.length) {
      const n = bytes.length / 2;
      html += `<h3>Bytes (${n})</h3><div class="hex">`;
      for (let line = 0; line < n; line += 16) {
        let hex = "", ascii = "";
        for (let o = line; o < line + 16; o++) {
          if (o < n) {
            const b = parseInt(bytes.substr(2 * o, 2), 16);
            const c = colour[o] != null ? ` class="c${colour[o]}"` : "";
            hex += `<span data-o="${o}"${c}>${bytes.substr(2 * o, 2)}</span> `;
            ascii += `<span data-o="${o}"${c}>${esc(b >= 32 && b < 127 ? String.fromCharCode(b) : ".")}</span>`;
          } else hex += "   ";
          if (o === line + 7) hex += " ";
        }
        html += line.toString(16).padStart(4, "0") + "  " + hex + " " + ascii + "\n";
      }
      html += `</div>`;
    }
    if (!fields.length && !bytes.length && !explain) html += `<p>No fields or bytes.</p>`;
    panel.innerHTML = html;
    panel.setAttribute("data-selected", String(e[SEQ]));
  }

  function highlight(start, end, fieldIndex) {
    for (const el of panel.querySelectorAll(".hl")) el.classList.remove("hl");
    if (fieldIndex != null) panel.querySelector(`.f[data-n="${fieldIndex}"]`).classList.add("hl");
    for (let o = start; o < end; o++) {
      for (const el of panel.querySelectorAll(`.hex [data-o="${o}"]`)) el.classList.add("hl");
    }
  }
  panel.addEventListener("mouseover", (ev) => {
    const field = ev.target.closest(".f[data-s]");
    if (field) return highlight(+field.dataset.s, +field.dataset.e, field.dataset.n);
    const byte = ev.target.closest(".hex [data-o]");
    if (byte) {
      // The deepest field that covers this byte.
      const o = +byte.dataset.o;
      let best = null;
      for (const f of panel.querySelectorAll(".f[data-s]")) {
        if (+f.dataset.s <= o && o < +f.dataset.e) best = f;
      }
      if (best) highlight(+best.dataset.s, +best.dataset.e, best.dataset.n);
      else highlight(o, o + 1, null);
    }
  });
  panel.addEventListener("click", (ev) => {
    const link = ev.target.closest("[data-goto]");
    if (!link) return;
    ev.preventDefault();
    const i = +link.dataset.goto;
    if (E[i][UNDER] >= 0) state.unfolded.add(E[i][UNDER]);
    layout();
    reveal(i);
  });

  // Scrolls row of event i into view and selects it.
  function reveal(i) {
    if (rowOf.has(i)) {
      const top = y(rowOf.get(i));
      if (top < diagram.scrollTop + HEAD + ROW || top > diagram.scrollTop + diagram.clientHeight - ROW) {
        diagram.scrollTop = Math.max(0, top - diagram.clientHeight / 3);
      }
      drawn = null;
      draw();
    }
    select(i);
  }

  svg.addEventListener("click", (ev) => {
    const toggle = ev.target.closest("[data-fold]");
    if (toggle) {
      const i = +toggle.dataset.fold;
      if (state.unfolded.has(i)) state.unfolded.delete(i); else state.unfolded.add(i);
      saveState();
      layout();
      return;
    }
    const target = ev.target.closest("[data-i]");
    if (target) select(+target.dataset.i);
  });

  // Keyboard: n and p step through the rows shown, as `step` does; / searches.
  document.addEventListener("keydown", (ev) => {
    const typing = ev.target.closest && ev.target.closest("input, select");
    if (typing || ev.ctrlKey || ev.metaKey || ev.altKey) {
      if (ev.key === "Escape") ev.target.blur();
      return;
    }
    let step = 0;
    if (ev.key === "n" || ev.key === "j" || ev.key === "ArrowDown") step = 1;
    else if (ev.key === "p" || ev.key === "k" || ev.key === "ArrowUp") step = -1;
    else if (ev.key === "/") { ev.preventDefault(); search.focus(); return; }
    if (!step || !rows.length) return;
    ev.preventDefault();
    let r;
    if (rowOf.has(selected)) r = Math.min(rows.length - 1, Math.max(0, rowOf.get(selected) + step));
    else {
      // From a hidden or no selection: the first row after (or before) it.
      const after = rows.findIndex((i) => i > selected);
      r = step > 0 ? (after < 0 ? rows.length - 1 : after) : Math.max(0, (after < 0 ? rows.length : after) - 1);
    }
    reveal(rows[r]);
  });

  // The URL fragment mirrors the state, so a view can be shared or scripted.
  function saveState() {
    const parts = [];
    if (state.conn >= 0) parts.push("conn=" + encodeURIComponent(data.connections[state.conn - 1] || state.conn));
    if (state.layers.size !== layers.length) parts.push("layer=" + [...state.layers].join(","));
    if (state.query) parts.push("q=" + encodeURIComponent(state.query));
    if (state.unfoldAll) parts.push("unfold=all");
    if (selected >= 0) parts.push("select=" + E[selected][SEQ]);
    try { history.replaceState(null, "", parts.length ? "#" + parts.join("&") : location.pathname); } catch (_) { /* a file: URL may refuse */ }
  }
  function readState() {
    const params = new URLSearchParams(location.hash.slice(1));
    const conn = params.get("conn");
    if (conn) {
      const n = data.connections.indexOf(conn);
      state.conn = n >= 0 ? n + 1 : (/^\d+$/.test(conn) ? +conn : -2);
      if (state.conn === -2) report(`no connection named ${conn}`);
    }
    if (params.get("layer")) state.layers = new Set(params.get("layer").split(",").filter((l) => layers.includes(l)));
    if (params.get("q")) state.query = params.get("q").toLowerCase();
    state.unfoldAll = params.get("unfold") === "all";
    return params;
  }

  // Header controls.
  const filters = document.getElementById("filters");
  const connSelect = document.getElementById("conn");
  const search = document.getElementById("search");
  const unfold = document.getElementById("unfold");
  const params = readState();
  for (const layer of ["link", "tcp", "tls", "spdy", "sim"]) {
    if (!layers.includes(layer)) continue;
    const label = document.createElement("label");
    label.innerHTML = `<input type="checkbox" data-layer="${layer}"${state.layers.has(layer) ? " checked" : ""}> ${layer}`;
    filters.appendChild(label);
  }
  filters.addEventListener("change", (ev) => {
    const layer = ev.target.dataset.layer;
    if (ev.target.checked) state.layers.add(layer); else state.layers.delete(layer);
    saveState();
    layout();
  });
  const used = new Set(E.map((e) => e[CONN]).filter((c) => c >= 0));
  connSelect.innerHTML += [...used].sort((a, b) => a - b).map((c) =>
    `<option value="${c}"${c === state.conn ? " selected" : ""}>${esc(data.connections[c - 1] || "conn " + c)}</option>`).join("");
  connSelect.addEventListener("change", () => {
    state.conn = connSelect.value === "" ? -1 : +connSelect.value;
    saveState();
    layout();
  });
  search.value = state.query;
  let searchTimer = 0;
  search.addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => {
      state.query = search.value.trim().toLowerCase();
      saveState();
      layout();
    }, 150);
  });
  unfold.checked = state.unfoldAll;
  unfold.addEventListener("change", () => {
    state.unfoldAll = unfold.checked;
    saveState();
    layout();
  });

  layout();

  // `select=SEQ` opens an event on load; `click=SEQ` clicks its drawing.
  const pick = params.get("select") || params.get("click");
  if (pick != null) {
    const i = E.findIndex((e) => e[SEQ] === +pick);
    if (i >= 0) {
      if (E[i][UNDER] >= 0) { state.unfolded.add(E[i][UNDER]); layout(); }
      if (params.get("click") != null && rowOf.has(i)) {
        reveal(i);
        const el = svg.querySelector(`[data-i="${i}"] text, [data-i="${i}"]`);
        el.dispatchEvent(new MouseEvent("click", { bubbles: true }));
      } else reveal(i);
    }
  }
  // Time from the start of navigation to the first drawing, for measurements.
  document.body.setAttribute("data-render-ms", String(Math.round(performance.now())));
  document.body.setAttribute("data-ready", "yes");
})();
