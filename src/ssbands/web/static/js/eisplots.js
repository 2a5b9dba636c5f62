// Impedance plots: Nyquist (−Z″ against Z′ on equal axes, a small canvas plot) and Bode (|Z| and −phase
// against frequency on log axes, uPlot). Z_imag < 0 for capacitive arcs (exp(+jωt) convention).

/* global uPlot */

import { fmt } from "./util.js";

function niceStep(span, target) {
  const raw = span / Math.max(1, target);
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

// Tick positions and their labels (as many decimals as the step needs; exponents for large or small values).
function ticks(lo, hi, target) {
  const step = niceStep(hi - lo, target);
  const digits = Math.max(0, -Math.floor(Math.log10(step)));
  const label = (v) => (v !== 0 && (Math.abs(v) >= 1e5 || Math.abs(v) < 1e-3) ? v.toExponential(1) : v.toFixed(digits));
  const out = [];
  for (let k = Math.ceil(lo / step); k * step <= hi + 1e-9 * step; k++) out.push([k * step, label(k * step)]);
  return out;
}

// The part of the segment [x0, y0, x1, y1] inside box [left, top, right, bottom] (Liang–Barsky), or null.
export function clipSegment([x0, y0, x1, y1], [l, t, r, b]) {
  const dx = x1 - x0;
  const dy = y1 - y0;
  let u0 = 0;
  let u1 = 1;
  for (const [p, q] of [[-dx, x0 - l], [dx, r - x0], [-dy, y0 - t], [dy, b - y0]]) {
    if (p === 0) {
      if (q < 0) return null;
    } else {
      const u = q / p;
      if (p < 0) u0 = Math.max(u0, u);
      else u1 = Math.min(u1, u);
      if (u0 > u1) return null;
    }
  }
  return [x0 + u0 * dx, y0 + u0 * dy, x0 + u1 * dx, y0 + u1 * dy];
}

// The view of a Nyquist plot: equal scales on both axes; a low-frequency capacitive tail that would hide
// the arcs (−Z″ > 3 max Z′) is cut off, as in the package's figure.
export function nyquistView(zr, zi, w, h) {
  const ys = zi.map((v) => -v);
  const xmax = Math.max(...zr);
  const ymax = Math.max(...ys);
  let x0, x1, y0, y1;
  let cut = false;
  if (xmax > 0 && ymax > 3 * xmax) {
    [x0, x1, y0, y1] = [-0.05 * xmax, 1.6 * xmax, -0.05 * xmax, 1.6 * xmax];
    cut = true;
  } else {
    x0 = Math.min(0, ...zr);
    x1 = xmax;
    y0 = Math.min(0, ...ys);
    y1 = ymax;
    const pad = 0.05 * Math.max(x1 - x0, y1 - y0, 1e-30);
    [x0, x1, y0, y1] = [x0 - pad, x1 + pad, y0 - pad, y1 + pad];
  }
  const s = Math.min(w / (x1 - x0), h / (y1 - y0)); // pixels per Ω cm², the same on both axes
  const cx = 0.5 * (x0 + x1);
  const cy = 0.5 * (y0 + y1);
  return { x0: cx - w / (2 * s), x1: cx + w / (2 * s), y0: cy - h / (2 * s), y1: cy + h / (2 * s), s, cut };
}

export function drawNyquist(canvas, { zr, zi, fitR, fitI, freq }) {
  const dpr = devicePixelRatio || 1;
  const W = Math.max(240, canvas.parentElement.clientWidth || 400);
  const H = 300;
  canvas.style.width = `${W}px`;
  canvas.style.height = `${H}px`;
  canvas.width = Math.round(W * dpr);
  canvas.height = Math.round(H * dpr);
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, W, H);
  const m = { l: 62, r: 10, t: 10, b: 40 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const v = nyquistView(zr, zi, pw, ph);
  const X = (x) => m.l + (x - v.x0) * v.s;
  const Y = (y) => m.t + ph - (y - v.y0) * v.s;
  ctx.font = "11px system-ui, sans-serif";
  ctx.strokeStyle = "#e3e6ea";
  ctx.fillStyle = "#333";
  ctx.lineWidth = 1;
  ctx.textAlign = "center";
  for (const [t, text] of ticks(v.x0, v.x1, 6)) {
    ctx.beginPath(); ctx.moveTo(X(t), m.t); ctx.lineTo(X(t), m.t + ph); ctx.stroke();
    ctx.fillText(text, X(t), m.t + ph + 14);
  }
  ctx.textAlign = "right";
  for (const [t, text] of ticks(v.y0, v.y1, 5)) {
    ctx.beginPath(); ctx.moveTo(m.l, Y(t)); ctx.lineTo(m.l + pw, Y(t)); ctx.stroke();
    ctx.fillText(text, m.l - 4, Y(t) + 4);
  }
  ctx.textAlign = "center";
  ctx.fillText("Z′ (Ω cm²)", m.l + pw / 2, H - 6);
  ctx.save();
  ctx.translate(12, m.t + ph / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.fillText("−Z″ (Ω cm²)", 0, 0);
  ctx.restore();
  ctx.save();
  ctx.beginPath();
  ctx.rect(m.l, m.t, pw, ph);
  ctx.clip();
  const box = [m.l - 2, m.t - 2, m.l + pw + 2, m.t + ph + 2];
  const line = (xs, ys, color, dash, width) => {
    ctx.beginPath();
    ctx.setLineDash(dash);
    ctx.strokeStyle = color;
    ctx.lineWidth = width;
    // only the visible parts: a cut-off tail can reach 1e8 px, and dashing it would take seconds
    let pen = null;
    for (let i = 1; i < xs.length; i++) {
      const seg = clipSegment([X(xs[i - 1]), Y(-ys[i - 1]), X(xs[i]), Y(-ys[i])], box);
      if (!seg) { pen = null; continue; }
      if (!pen || pen[0] !== seg[0] || pen[1] !== seg[1]) ctx.moveTo(seg[0], seg[1]);
      ctx.lineTo(seg[2], seg[3]);
      pen = [seg[2], seg[3]];
    }
    ctx.stroke();
    ctx.setLineDash([]);
  };
  line(zr, zi, "#1f77b4", [], 1.8);
  if (fitR) line(fitR, fitI, "#d62728", [5, 4], 1.2);
  ctx.fillStyle = "#1f77b4";
  ctx.textAlign = "left";
  let decade = null;
  let last = null;
  freq.forEach((f, i) => { // a dot at each decade of frequency, labelled where there is room
    const d = Math.floor(Math.log10(f) + 1e-9);
    const [px, py] = [X(zr[i]), Y(-zi[i])];
    const inside = px >= box[0] && px <= box[2] && py >= box[1] && py <= box[3];
    if (decade !== null && d !== decade && inside) {
      ctx.beginPath();
      ctx.arc(px, py, 2, 0, 2 * Math.PI);
      ctx.fill();
      if (!last || Math.hypot(px - last[0], py - last[1]) > 40) {
        ctx.fillText(`10^${d} Hz`, px + 4, py - 4);
        last = [px, py];
      }
    }
    decade = d;
  });
  ctx.restore();
  ctx.textAlign = "left";
  ctx.fillStyle = "#1f77b4";
  ctx.fillText("— model", m.l + 8, m.t + 14);
  if (fitR) {
    ctx.fillStyle = "#d62728";
    ctx.fillText("– – equivalent circuit", m.l + 70, m.t + 14);
  }
  if (v.cut) {
    ctx.fillStyle = "#666";
    ctx.fillText("low-frequency capacitive tail cut off", m.l + 8, m.t + 28);
  }
  return v;
}

const mag = (re, im) => re.map((r, i) => Math.hypot(r, im[i]));
const phase = (re, im) => re.map((r, i) => (-Math.atan2(im[i], r) * 180) / Math.PI);

// Labels of a log axis: decades only, as 1e6 beyond 1e±3.
function logLabels(u, splits) {
  return splits.map((v) => { // uPlot hands null for the minor ticks it does not label
    if (v === null || !(v > 0)) return null;
    const k = Math.log10(v);
    if (Math.abs(k - Math.round(k)) > 1e-9) return null;
    return Math.abs(k) >= 3 ? `1e${Math.round(k)}` : String(v);
  });
}

// Bode plot (uPlot, rebuilt on each spectrum: it changes rarely).
export function drawBode(target, old, { zr, zi, fitR, fitI, freq }) {
  if (old) old.destroy();
  const data = [freq, mag(zr, zi), phase(zr, zi)];
  const series = [
    { label: "f (Hz)" },
    { label: "|Z| (Ω cm²)", stroke: "#1f77b4", width: 1.8, scale: "y", value: (u, v) => fmt(v, 4) },
    { label: "−phase (°)", stroke: "#ff7f0e", width: 1.5, scale: "deg", value: (u, v) => fmt(v, 2) },
  ];
  if (fitR) {
    data.push(mag(fitR, fitI), phase(fitR, fitI));
    series.push({ label: "|Z| circuit", stroke: "#d62728", dash: [5, 4], width: 1, scale: "y", value: (u, v) => fmt(v, 4) });
    series.push({ label: "−phase circuit", stroke: "#d6272899", dash: [5, 4], width: 1, scale: "deg", value: (u, v) => fmt(v, 2) });
  }
  const opts = {
    width: Math.max(240, target.clientWidth || 400), height: 300,
    scales: { x: { time: false, distr: 3 }, y: { distr: 3 }, deg: { range: [0, 90] } },
    axes: [{ label: "frequency (Hz)", size: 40, values: logLabels },
           { label: "|Z| (Ω cm²)", size: 64, values: logLabels },
           { scale: "deg", side: 1, label: "−phase (°)", grid: { show: false }, size: 48 }],
    series,
    legend: { show: true, live: true },
    cursor: { points: { show: false } },
  };
  return new uPlot(opts, data, target);
}
