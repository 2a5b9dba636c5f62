// Small helpers shared by the page's modules (DOM, numbers, URL-safe base64, downloads).

export const $ = (testid, root = document) => root.querySelector(`[data-testid="${testid}"]`);

export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "testid") e.dataset.testid = v;
    else if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (k in e && typeof v !== "string") e[k] = v;
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) e.append(c);
  return e;
}

// Set an element's text only when it changes (a frame then invalidates no layout it does not need).
export function setText(e, text) {
  if (e && e.textContent !== text) e.textContent = text;
}

// Fill a table: rebuilt when its header or row count changes, otherwise only the cells whose text changed.
export function fillTable(target, head, rows) {
  const sig = `${head.join("\u0001")}#${rows.length}#${rows.map((r) => r.length).join(",")}`;
  if (target.dataset.sig !== sig) {
    target.replaceChildren(
      el("thead", {}, el("tr", {}, ...head.map((h) => el("th", { text: h })))),
      el("tbody", {}, ...rows.map((r) => el("tr", {}, ...r.map((c) => el("td", { text: c }))))),
    );
    target.dataset.sig = sig;
    return;
  }
  const trs = target.tBodies[0].rows;
  rows.forEach((r, i) => r.forEach((c, j) => setText(trs[i].cells[j], c)));
}

export function fmt(v, digits = 3) {
  if (v === null || v === undefined || Number.isNaN(v)) return "—";
  if (typeof v === "boolean") return v ? "yes" : "no";
  if (typeof v !== "number") return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(2);
  return v.toFixed(digits);
}

export function debounce(fn, ms) {
  let t = null;
  return (...args) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...args), ms);
  };
}

export function clone(obj) {
  return JSON.parse(JSON.stringify(obj));
}

export function toBase64Url(text) {
  const bytes = new TextEncoder().encode(text);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function fromBase64Url(s) {
  const b64 = s.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((s.length + 3) % 4);
  const bin = atob(b64);
  return new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
}

export function download(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = el("a", { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

// Plain array from a typed array, NaN -> null (uPlot draws null as a gap).
export function plain(typed) {
  const out = new Array(typed.length);
  for (let i = 0; i < typed.length; i++) {
    const v = typed[i];
    out[i] = Number.isNaN(v) ? null : v;
  }
  return out;
}

export function layerName(layer) {
  return layer.name || layer.material;
}
