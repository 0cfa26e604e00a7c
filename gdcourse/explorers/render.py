"""The explorers' picture, in the browser: data -> SVG, the same code for both front-ends.

``CODE`` defines ``render({model, el})`` in the shape anywidget expects: ``model.get(key)``,
``model.set(key, value)``, ``model.save_changes()`` and ``model.on("change:key", f)``. The live
front-end hands it the widget's model (a kernel answers every change with new ``data``); the
page hands it a small model of its own that answers from the precomputed grid in the page.
Nothing is loaded from anywhere: the code and the data travel with the output.
"""

CODE = r"""
const SUP = {"-": "⁻", "0": "⁰", "1": "¹", "2": "²", "3": "³", "4": "⁴", "5": "⁵", "6": "⁶", "7": "⁷", "8": "⁸", "9": "⁹"};

function esc(s) {
  return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function fmt(v) {
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) {
    const e = Math.floor(Math.log10(a) + 1e-9), m = v / Math.pow(10, e);
    const t = Math.abs(m - 1) < 1e-6 ? "" : (+m.toPrecision(2)) + "·";
    return t + "10" + String(e).split("").map(c => SUP[c]).join("");
  }
  return String(+v.toPrecision(3));
}

function ticks(lo, hi, log) {
  if (log) {
    const a = Math.ceil(Math.log10(lo) - 1e-9), b = Math.floor(Math.log10(hi) + 1e-9);
    const out = [];
    const every = Math.max(1, Math.ceil((b - a + 1) / 6));
    for (let e = a; e <= b; e += every) out.push(Math.pow(10, e));
    if (out.length < 2) {
      for (const m of [2, 5]) for (let e = a - 1; e <= b; e++) {
        const v = m * Math.pow(10, e);
        if (v >= lo && v <= hi) out.push(v);
      }
      out.sort((p, q) => p - q);
    }
    return out;
  }
  const span = hi - lo || 1, raw = span / 5, p = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map(m => m * p).find(s => span / s <= 6);
  const out = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

function extent(vals, log) {
  let lo = Infinity, hi = -Infinity;
  for (const v of vals) if (Number.isFinite(v) && (!log || v > 0)) { if (v < lo) lo = v; if (v > hi) hi = v; }
  if (!Number.isFinite(lo)) return log ? [0.1, 10] : [0, 1];
  if (lo === hi) return log ? [lo / 2, hi * 2] : [lo - 0.5, hi + 0.5];
  if (log) return [lo, hi];
  const pad = (hi - lo) * 0.04;
  return [lo - pad, hi + pad];
}

function matches(item, index) {
  const k = item.k || {};
  for (const name in k) if (name in index && index[name] !== k[name]) return false;
  return true;
}

function render({ model, el }) {
  const spec = model.get("spec");
  const W = spec.width || 380, H = spec.height || 280, M = {l: 58, r: 12, t: 26, b: 42};
  const index = Object.assign({}, model.get("index"));
  el.innerHTML = "";
  const root = document.createElement("div");
  root.className = "gdcourse-explorer";
  root.setAttribute("role", "group");
  root.setAttribute("aria-label", spec.title);
  // Keys typed on a control are the control's (JupyterLab would otherwise read arrows as commands).
  root.setAttribute("data-lm-suppress-shortcuts", "true");
  root.addEventListener("keydown", e => { if (e.target.matches("input, select")) e.stopPropagation(); });
  const uid = "gdx" + Math.random().toString(36).slice(2, 9);
  let html = "<p class='gdcourse-explorer-title'><strong>" + esc(spec.title) + "</strong></p>";
  html += "<p class='gdcourse-explorer-description' id='" + uid + "-d'>" + esc(spec.description) + "</p>";
  html += "<div class='gdcourse-explorer-controls'>";
  spec.controls.forEach((c, i) => {
    const id = uid + "-c" + i;
    if (c.kind === "choice") {
      html += "<label class='gdcourse-explorer-control' for='" + id + "'><span>" + esc(c.short) + "</span>";
      html += "<select id='" + id + "' data-name='" + esc(c.name) + "' aria-label='" + esc(c.label) + "'>";
      c.labels.forEach((t, j) => { html += "<option value='" + j + "'" + (j === index[c.name] ? " selected" : "") + ">" + esc(t) + "</option>"; });
      html += "</select></label>";
    } else {
      html += "<label class='gdcourse-explorer-control' for='" + id + "'><span>" + esc(c.short) + "</span>";
      html += "<input type='range' id='" + id + "' data-name='" + esc(c.name) + "' min='0' max='" + (c.labels.length - 1) +
              "' step='1' value='" + index[c.name] + "' aria-label='" + esc(c.label) + "' aria-valuetext='" +
              esc(c.short + " = " + c.labels[index[c.name]]) + "'>";
      html += "<output for='" + id + "'>" + esc(c.labels[index[c.name]]) + "</output></label>";
    }
  });
  html += "</div>";
  html += "<div class='gdcourse-explorer-picture' aria-describedby='" + uid + "-d'></div>";
  root.innerHTML = html;
  el.appendChild(root);
  const picture = root.querySelector(".gdcourse-explorer-picture");
  const truncating = spec.controls.filter(c => c.truncates).map(c => c.name);
  const live = !!model.get("live");
  const frames = {};   // axes, ticks and background of a panel, drawn once per range
  const styles = Object.assign({}, spec.styles);
  // Live, the kernel sends the data as JSON in a binary buffer (nothing walks it item by item): the
  // current setting's in "blob", and every setting one step away as a message, kept in "ahead" (the
  // last spec.keep of them; the kernel drops them in the same order), so an arrow key draws at once.
  const parse = b => JSON.parse(new TextDecoder().decode(b));
  const keyed = spec.controls.filter(c => !c.truncates).map(c => c.name);
  const keyOf = ix => keyed.map(n => n + "=" + ix[n]).join("&");
  const ahead = new Map();
  let data = live ? parse(model.get("blob")) : (model.get("data") || {items: [], status: []});
  let shown = live ? model.get("key") : null;
  function use(key, d) { data = d; shown = key; draw(); }

  function draw() {
    const items = data.items.filter(it => matches(it, index));
    let limit = Infinity;
    for (const name of truncating) {
      const c = spec.controls.find(q => q.name === name);
      limit = Math.min(limit, c.values[index[name]] + 1);
    }
    let out = "<div class='gdcourse-explorer-panels'>";
    const drawn = [];
    spec.panels.forEach((p, pi) => {
      const mine = items.filter(it => it.p === pi).map(it => {
        const n = Math.min(it.y.length, (p.truncate === false) ? Infinity : limit);
        const xs = it.x ? it.x.slice(0, n) : Array.from({length: n}, (_, j) => j);
        return {s: it.s, x: xs, y: it.y.slice(0, n)};
      });
      mine.forEach(it => { if (!drawn.includes(it.s)) drawn.push(it.s); });
      const xl = p.xlim || extent(mine.flatMap(it => it.x), p.xlog);
      const yl = p.ylim || extent(mine.flatMap(it => it.y), p.ylog);
      const pw = W - M.l - M.r, ph = H - M.t - M.b;
      const tx = p.xlog ? (v => M.l + pw * (Math.log10(v) - Math.log10(xl[0])) / (Math.log10(xl[1]) - Math.log10(xl[0])))
                        : (v => M.l + pw * (v - xl[0]) / (xl[1] - xl[0]));
      const ty = p.ylog ? (v => M.t + ph * (1 - (Math.log10(v) - Math.log10(yl[0])) / (Math.log10(yl[1]) - Math.log10(yl[0]))))
                        : (v => M.t + ph * (1 - (v - yl[0]) / (yl[1] - yl[0])));
      const cid = uid + "-clip" + pi;
      let s = "<svg class='gdcourse-explorer-panel' style='max-width:" + Math.round(W * 1.1) + "px;min-width:" +
              Math.round(W * 0.76) + "px' viewBox='0 0 " + W + " " + H + "' role='img' aria-label='" +
              esc(p.title + ": " + p.ylabel + " against " + p.xlabel + (mine.length ? ", " + mine.map(it => it.s).join(", ") : "")) + "'>";
      const fkey = pi + '|' + xl.join(',') + '|' + yl.join(',');
      if (!frames[fkey]) {
        let f = '';
        f += "<defs><clipPath id='" + cid + "'><rect x='" + M.l + "' y='" + M.t + "' width='" + pw + "' height='" + ph + "'/></clipPath></defs>";
        f += "<text x='" + (M.l + pw / 2) + "' y='16' text-anchor='middle' class='gdx-title'>" + esc(p.title) + "</text>";
        f += "<rect x='" + M.l + "' y='" + M.t + "' width='" + pw + "' height='" + ph + "' fill='none' stroke='#888' stroke-width='0.8'/>";
        for (const v of ticks(xl[0], xl[1], p.xlog)) {
          const x = tx(v).toFixed(1);
          f += "<line x1='" + x + "' x2='" + x + "' y1='" + (M.t + ph) + "' y2='" + (M.t + ph + 4) + "' stroke='#555'/>";
          f += "<text x='" + x + "' y='" + (M.t + ph + 16) + "' text-anchor='middle'>" + fmt(v) + "</text>";
        }
        for (const v of ticks(yl[0], yl[1], p.ylog)) {
          const y = ty(v).toFixed(1);
          f += "<line x1='" + (M.l - 4) + "' x2='" + M.l + "' y1='" + y + "' y2='" + y + "' stroke='#555'/>";
          f += "<text x='" + (M.l - 6) + "' y='" + y + "' dy='0.35em' text-anchor='end'>" + fmt(v) + "</text>";
        }
        f += "<text x='" + (M.l + pw / 2) + "' y='" + (H - 6) + "' text-anchor='middle'>" + esc(p.xlabel) + "</text>";
        f += "<text transform='translate(13," + (M.t + ph / 2) + ") rotate(-90)' text-anchor='middle'>" + esc(p.ylabel) + "</text>";
        f += "<g clip-path='url(#" + cid + ")' fill='none'>";
        for (const line of (p.background || [])) {
          let d = '';
          for (let j = 0; j < line[0].length; j++) d += (j ? "L" : "M") + tx(line[0][j]).toFixed(1) + "," + ty(line[1][j]).toFixed(1);
          f += "<path d='" + d + "' stroke='#c8c8c8' stroke-width='0.8'/>";
        }
        let o = '';
        for (const m of (p.marks || [])) {
          o += "<path d='" + m.shape + "' transform='translate(" + tx(m.x).toFixed(1) + "," + ty(m.y).toFixed(1) + ") scale(" + (m.size || 5) +
               ")' fill='" + m.color + "' stroke='#000' stroke-width='0.15'><title>" + esc(m.label) + "</title></path>";
        }
        frames[fkey] = [f, o];
      }
      s += frames[fkey][0];
      for (const it of mine) {
        const st = styles[it.s] || {color: "#333", dash: [], marker: ""};
        let d = "", pen = false, pts = [];
        const every = Math.max(1, Math.ceil(it.y.length / (p.markers || 12)));
        for (let j = 0; j < it.y.length; j++) {
          const xv = it.x[j], yv = it.y[j];
          const ok = Number.isFinite(xv) && Number.isFinite(yv) && (!p.xlog || xv > 0) && (!p.ylog || yv > 0);
          if (!ok) { pen = false; continue; }
          const X = tx(xv), Y = ty(yv);
          d += (pen ? "L" : "M") + X.toFixed(1) + "," + Y.toFixed(1);
          pen = true;
          if (j % every === 0 || j === it.y.length - 1) pts.push([X, Y]);
        }
        const w = st.width || 1.8;
        s += "<path d='" + d + "' stroke='" + st.color + "' stroke-width='" + w + "'" +
             (st.dash && st.dash.length ? " stroke-dasharray='" + st.dash.join(" ") + "'" : "") + "/>";
        if (st.marker) for (const [X, Y] of pts)
          s += "<path d='" + st.marker + "' transform='translate(" + X.toFixed(1) + "," + Y.toFixed(1) + ") scale(3.2)' fill='" +
               st.color + "' stroke='none'/>";
      }
      s += frames[fkey][1] + "</g></svg>";
      out += s;
    });
    out += "</div>";
    const names = (spec.order || []).filter(n => drawn.includes(n)).concat(drawn.filter(n => !(spec.order || []).includes(n)));
    if (names.length) {
      out += "<ul class='gdcourse-explorer-legend'>";
      for (const n of names) {
        const st = styles[n] || {color: "#333", dash: []};
        out += "<li><svg width='34' height='12' aria-hidden='true'><path d='M1,6L33,6' stroke='" + st.color + "' stroke-width='2'" +
               (st.dash && st.dash.length ? " stroke-dasharray='" + st.dash.join(" ") + "'" : "") + " fill='none'/>" +
               (st.marker ? "<path d='" + st.marker + "' transform='translate(17,6) scale(3.5)' fill='" + st.color + "'/>" : "") +
               "</svg>" + esc(n) + "</li>";
      }
      out += "</ul>";
    }
    const status = (data.status || []).filter(it => matches(it, index)).map(it => it.m);
    if (status.length) out += "<p class='gdcourse-explorer-status' aria-live='polite'>" + status.map(esc).join("<br>") + "</p>";
    picture.innerHTML = out;
  }

  const inputs = root.querySelectorAll("input, select");
  function label(input) {
    const c = spec.controls.find(q => q.name === input.dataset.name);
    if (c.kind !== "choice") {
      input.nextElementSibling.textContent = c.labels[index[c.name]];
      input.setAttribute("aria-valuetext", c.short + " = " + c.labels[index[c.name]]);
    }
  }
  inputs.forEach(input => {
    input.addEventListener("input", () => {
      const name = input.dataset.name, c = spec.controls.find(q => q.name === name);
      index[name] = +input.value;
      label(input);
      const key = keyOf(index);
      if (!live || c.truncates) draw();
      else if (ahead.has(key)) use(key, ahead.get(key));
      if (!c.truncates) {
        model.set("index", Object.assign({}, index));
        model.save_changes();
      }
    });
  });
  if (live) {
    model.on("msg:custom", (msg, buffers) => {
      if (!msg || msg.key === undefined) return;
      Object.assign(styles, msg.styles || {});
      ahead.set(msg.key, parse(buffers[0]));
      if (ahead.size > spec.keep) ahead.delete(ahead.keys().next().value);
    });
    // The kernel's answer: drawn unless it is drawn already (sent ahead) or a later move overtook it.
    model.on("change:blob", () => {
      const key = model.get("key");
      if (key !== shown && key === keyOf(index)) use(key, parse(model.get("blob")));
    });
    model.on("change:spec", () => Object.assign(styles, model.get("spec").styles));
    // The kernel moved the controls (explorer.set): the sliders follow.
    model.on("change:index", () => {
      Object.assign(index, model.get("index"));
      inputs.forEach(input => { input.value = index[input.dataset.name]; label(input); });
      const key = keyOf(index);
      if (key !== shown && ahead.has(key)) use(key, ahead.get(key));
    });
    model.send({want: "neighbours"});
  }
  draw();
}
"""

CSS = """
.gdcourse-explorer { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; font-size: 14px; color: #222;
  max-width: 100%; margin: 0.5em 0 1em; }
.gdcourse-explorer p { margin: 0.2em 0 0.4em; }
.gdcourse-explorer-controls { display: flex; flex-wrap: wrap; gap: 0.3em 1.2em; margin: 0.3em 0; }
.gdcourse-explorer-control { display: flex; align-items: center; gap: 0.4em; font-size: 14px; }
.gdcourse-explorer-control span { min-width: 4.5em; }
.gdcourse-explorer-control input[type=range] { width: 150px; }
.gdcourse-explorer-control output { min-width: 4em; font-variant-numeric: tabular-nums; }
.gdcourse-explorer-panels { display: flex; flex-wrap: wrap; gap: 4px 12px; }
.gdcourse-explorer-panel { width: 100%; flex: 1 1 300px; height: auto;
  font-size: 12px; font-family: inherit; }
.gdcourse-explorer-panel text { fill: #222; }
.gdcourse-explorer-panel .gdx-title { font-weight: 600; }
.gdcourse-explorer-legend { list-style: none; padding: 0; margin: 0.2em 0; display: flex; flex-wrap: wrap; gap: 0.2em 1em;
  font-size: 13px; }
.gdcourse-explorer-legend li { display: flex; align-items: center; gap: 0.3em; margin: 0; }
.gdcourse-explorer-status { font-size: 13px; white-space: pre-line; }
"""
