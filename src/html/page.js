// Draws the ladder of a tlsim event log and shows one event in the side panel.
// Rows are drawn lazily from the scroll position, so a long log stays fast.
"use strict";
(function () {
  const errors = document.getElementById("errors");
  function report(message) {
    errors.textContent += message + "\n";
    document.body.setAttribute("data-errors", "yes");
  }
  window.addEventListener("error", (e) => report("error: " + e.message));
  window.addEventListener("unhandledrejection", (e) => report("rejection: " + e.reason));

  const data = JSON.parse(document.getElementById("log").textContent);
  const events = data.events;
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
  function runLevel(e) {
    return e.actor === "sim" && (e.layer === "sim" || !e.peer);
  }
  const actors = [];
  const column = new Map();
  function addActor(name) {
    if (!column.has(name)) { column.set(name, actors.length); actors.push(name); }
  }
  for (const e of events) {
    if (runLevel(e)) continue;
    const ends = linkEnds(e.actor);
    if (ends) { addActor(ends[0]); addActor(ends[1]); } else addActor(e.actor);
    if (e.peer) addActor(e.peer);
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

  // Which layers are shown; the rows are the events that pass the filter.
  const shown = new Set(events.map((e) => e.layer));
  let rows = [], rowOf = new Map(), spanEnd = [], maxSpan = 0, selected = -1;

  function layout() {
    rows = events.map((_, i) => i).filter((i) => shown.has(events[i].layer));
    rowOf = new Map(rows.map((i, r) => [i, r]));
    spanEnd = rows.map((i, r) => {
      const recv = data.recv[i];
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
    drawn = null;
    draw();
  }

  const y = (r) => HEAD / 2 + r * ROW + ROW / 2;

  function box(cls, i, r, cx, w, text) {
    return `<g class="box ${cls}" data-i="${i}"><rect x="${cx - w / 2}" y="${y(r) - 10}" width="${w}" height="20" rx="4"/>` +
      `<text x="${cx}" y="${y(r) + 4}" text-anchor="middle">${esc(cut(text, Math.floor(w / 6.4)))}</text></g>`;
  }

  function arrow(cls, i, from, to, r0, r1, label) {
    const x0 = x(from), x1 = x(to), y0 = y(r0), y1 = y(r1);
    const dir = x1 >= x0 ? 1 : -1;
    const head = `M${x1},${y1} l${-9 * dir},-4 l0,8 z`;
    const mid = (x0 + x1) / 2;
    const cross = cls.includes("drop")
      ? `<path class="x" d="M${mid + 20 * dir - 5},${(y0 + y1) / 2 - 5} l10,10 m0,-10 l-10,10"/>` : "";
    const end = cls.includes("drop") ? `` : `<path d="${head}" fill="currentColor"/>`;
    const span = Math.abs(x1 - x0);
    return `<g class="msg ${cls}" data-i="${i}">` +
      `<line class="a" x1="${x0}" y1="${y0}" x2="${cls.includes("drop") ? mid + 20 * dir : x1}" y2="${cls.includes("drop") ? (y0 + y1) / 2 : y1}"/>` +
      `<line class="hit" x1="${x0}" y1="${y0}" x2="${x1}" y2="${y1}"/>${end}${cross}` +
      `<text x="${mid}" y="${y0 - 4}" text-anchor="middle">${esc(cut(label, Math.floor(span / 6.2)))}</text></g>`;
  }

  // The SVG for the event of row r, or "" when its row shows nothing of its own.
  function item(r) {
    const i = rows[r], e = events[i];
    const label = data.summary[i] ? e.title + "  " + data.summary[i] : e.title;
    const known = (n) => n && column.has(n);
    if (runLevel(e) || !known(e.actor) && !linkEnds(e.actor)) {
      const w = COL * Math.max(actors.length, 1) - 20;
      return box("sim", i, r, LEFT + w / 2 + 10, w, e.title);
    }
    const ends = linkEnds(e.actor);
    const from = column.has(e.actor) ? e.actor : ends && ends[0];
    const to = e.peer || (ends && ends[1]);
    switch (e.kind) {
      case "send":
        if (known(to) && to !== from) {
          const matched = data.recv[i] >= 0 && rowOf.has(data.recv[i]);
          return arrow(e.layer + (matched ? "" : " unmatched"), i, from, to, r, spanEnd[r], label);
        }
        break;
      case "recv":
        if (data.sendOf[i] >= 0 && rowOf.has(data.sendOf[i])) {
          return `<circle class="rcv" data-i="${i}" cx="${x(e.actor)}" cy="${y(r)}" r="3.5"/>`;
        }
        if (known(e.peer)) return arrow(e.layer + " unmatched", i, e.peer, e.actor, r, r, label);
        break;
      case "drop":
        if (known(from) && known(to) && from !== to) return arrow("drop", i, from, to, r, r, "✗ " + label);
        return box("drop", i, r, x(from), COL - 20, "✗ " + e.title);
      case "fault":
        if (ends && known(ends[0]) && known(ends[1])) {
          const a = x(ends[0]), b = x(ends[1]);
          return box("fault", i, r, (a + b) / 2, Math.abs(b - a) + COL - 20, "⚡ " + e.title);
        }
        return box("fault", i, r, x(from), COL - 20, "⚡ " + e.title);
      case "timer":
        return box("state", i, r, x(from), COL - 20, "⏱ " + e.title);
      case "state":
        return box("state", i, r, x(from), COL - 20, e.title);
    }
    const keys = e.kind === "action" && e.fields && e.fields.length ? "keys" : "";
    return box(keys, i, r, x(from), COL - 20, e.title);
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
        const e = events[rows[r]];
        times += `<text class="time" x="6" y="${y(r) + 4}"><tspan class="seq">#${e.seq}</tspan> ${time(e.t_ns)}</text>`;
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

  // The side panel: header, explanation, fields by depth and the annotated hex dump.
  function select(i) {
    selected = i;
    markSelected();
    const e = events[i];
    const who = e.peer ? `${e.actor} ${e.kind === "recv" ? "←" : "→"} ${e.peer}` : e.actor;
    let html = `<h2 id="panel-title">${esc(e.title)}</h2>` +
      `<div class="meta">#${e.seq} · ${time(e.t_ns)} · ${esc(who)} · ${e.kind} · ${e.layer}` +
      (e.conn != null ? ` · conn ${e.conn}` : "") + `</div>`;
    if (e.explain) html += `<div class="explain">${esc(e.explain)}</div>`;
    const fields = e.fields || [];
    const bytes = e.bytes || "";
    const colour = [];
    fields.forEach((f, n) => {
      if (!f.span) return;
      for (let o = f.span[0]; o < f.span[1]; o++) colour[o] = n % 6;
    });
    if (fields.length) {
      const heading = e.kind === "action" ? "Inputs and outputs" : "Fields";
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
    if (!fields.length && !bytes.length && !e.explain) html += `<p>No fields or bytes.</p>`;
    panel.innerHTML = html;
    panel.setAttribute("data-selected", String(e.seq));
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

  svg.addEventListener("click", (ev) => {
    const target = ev.target.closest("[data-i]");
    if (target) select(+target.dataset.i);
  });

  // Layer filters.
  const filters = document.getElementById("filters");
  for (const layer of ["link", "tcp", "tls", "spdy", "sim"]) {
    if (!shown.has(layer)) continue;
    const label = document.createElement("label");
    label.innerHTML = `<input type="checkbox" checked data-layer="${layer}"> ${layer}`;
    filters.appendChild(label);
  }
  filters.addEventListener("change", (ev) => {
    const layer = ev.target.dataset.layer;
    if (ev.target.checked) shown.add(layer); else shown.delete(layer);
    layout();
  });

  layout();

  // `#select=SEQ` opens an event on load; `#click=SEQ` clicks its drawing.
  const hash = /^#(select|click)=(\d+)$/.exec(location.hash);
  if (hash) {
    const i = events.findIndex((e) => e.seq === +hash[2]);
    if (i >= 0 && rowOf.has(i)) {
      diagram.scrollTop = Math.max(0, y(rowOf.get(i)) - diagram.clientHeight / 3);
      drawn = null;
      draw();
      if (hash[1] === "select") select(i);
      else {
        const el = svg.querySelector(`[data-i="${i}"] text, [data-i="${i}"]`);
        el.dispatchEvent(new MouseEvent("click", { bubbles: true }));
      }
    }
  }
  document.body.setAttribute("data-ready", "yes");
})();
