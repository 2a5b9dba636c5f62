// Canvas plots of the page (uPlot, vendored): a generic line plot with layer shading, the merge of
// series that live on different x grids, and the four plots (band diagram, ΔCPD, two SCL zooms).

/* global uPlot */

export const ROLE_COLORS = {
  "current-collector": "rgba(217,179,140,0.30)", anode: "rgba(166,206,227,0.40)",
  electrolyte: "rgba(242,242,192,0.55)", cathode: "rgba(251,180,174,0.40)", base: "rgba(204,204,204,0.40)",
};
export const PIN_COLORS = ["#e7298a", "#66a61e", "#e6ab02", "#7570b3", "#a6761d", "#1b9e77"];

// Put series with their own x grids on one merged x axis (uPlot needs one x for all series).
// series: [{x: array or null (= baseX), y: array}] -> [mergedX, y1, y2, ...]; a series has
// `undefined` where another series owns the point (uPlot joins across undefined, breaks at null).
export function alignData(baseX, series) {
  if (series.every((s) => !s.x || s.x === baseX)) return [baseX, ...series.map((s) => s.y)];
  const sources = [baseX];
  for (const s of series) if (s.x && !sources.includes(s.x)) sources.push(s.x);
  const idx = [];
  sources.forEach((xs, k) => { for (let i = 0; i < xs.length; i++) idx.push([xs[i], k, i]); });
  idx.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]);
  const pos = sources.map((xs) => new Int32Array(xs.length));
  const merged = new Array(idx.length);
  idx.forEach(([x, k, i], j) => { merged[j] = x; pos[k][i] = j; });
  const out = [merged];
  for (const s of series) {
    const k = sources.indexOf(s.x || baseX);
    const y = new Array(merged.length).fill(undefined);
    for (let i = 0; i < s.y.length; i++) y[pos[k][i]] = s.y[i];
    out.push(y);
  }
  return out;
}

function shadeLayers(u, layers) {
  if (!layers || !layers.length) return;
  const { ctx } = u;
  const { left, top, width, height } = u.bbox;
  const dpr = devicePixelRatio || 1;
  ctx.save();
  ctx.beginPath();
  ctx.rect(left, top, width, height);
  ctx.clip();
  ctx.font = `${10 * dpr}px system-ui, sans-serif`;
  ctx.textAlign = "center";
  for (const L of layers) {
    const a = u.valToPos(L.x0, "x", true);
    const b = u.valToPos(L.x1, "x", true);
    ctx.fillStyle = ROLE_COLORS[L.role] || "rgba(238,238,238,0.4)";
    ctx.fillRect(a, top, b - a, height);
    const label = L.label || "";
    const lo = Math.max(a, left);
    const hi = Math.min(b, left + width);
    if (label && hi - lo > ctx.measureText(label).width + 6 * dpr) {
      ctx.fillStyle = "#444";
      ctx.fillText(label, 0.5 * (lo + hi), top + 12 * dpr);
    }
  }
  ctx.restore();
}

// A line plot whose series set may change (pins, overlays): rebuilt when it does, else setData.
export class LinePlot {
  constructor(target, { xLabel, yLabel, height = 300, right = null, legend = true }) {
    this.target = target;
    this.xLabel = xLabel;
    this.yLabel = yLabel;
    this.height = height;
    this.right = right; // {scale, label}
    this.legend = legend;
    this.layers = [];
    this.hidden = new Map(); // series key -> hidden by the user (legend click)
    this.xRange = null; // user zoom on x, kept across updates
    this.signature = "";
    this.u = null;
    this.updating = false;
    new ResizeObserver(() => this.resize()).observe(target);
  }

  width() {
    return Math.max(200, this.target.clientWidth || 600);
  }

  resize() {
    if (this.u && Math.abs(this.u.width - this.width()) > 1) this.u.setSize({ width: this.width(), height: this.height });
  }

  build(specs, bands, data) {
    if (this.u) this.u.destroy();
    const axes = [{ label: this.xLabel, size: 40 }, { label: this.yLabel, size: 56 }];
    const scales = { x: { time: false } };
    if (this.right) {
      axes.push({ scale: this.right.scale, side: 1, label: this.right.label, grid: { show: false }, size: 56 });
      scales[this.right.scale] = { auto: true };
    }
    const series = [{ label: this.xLabel }];
    for (const s of specs) {
      const hidden = this.hidden.has(s.key) ? this.hidden.get(s.key) : s.show === false;
      series.push({
        label: s.label, stroke: s.stroke, width: s.width || 1.5, dash: s.dash, scale: s.scale || "y",
        show: !hidden, spanGaps: false, fill: s.fill,
        points: s.points ? { show: true, size: 4, stroke: s.stroke, fill: s.stroke } : { show: false },
        paths: s.points ? () => null : undefined,
        value: (u, v) => (v === null || v === undefined ? "—" : v.toFixed(4)),
      });
    }
    const opts = {
      width: this.width(), height: this.height, scales, axes, series, legend: { show: this.legend, live: true },
      bands: bands.map((b) => ({ series: [b.hi + 1, b.lo + 1], fill: b.fill })),
      cursor: { drag: { x: true, y: false }, points: { show: false } },
      hooks: {
        drawClear: [(u) => shadeLayers(u, this.layers)],
        draw: [() => { this.drawnAt = performance.now(); }],
        setSeries: [(u, i, o) => { if (i > 0 && specs[i - 1]) this.hidden.set(specs[i - 1].key, !o.show); }],
        setScale: [(u, key) => { if (key === "x" && !this.updating) this.noteZoom(u); }],
      },
    };
    this.u = new uPlot(opts, data, this.target);
  }

  noteZoom(u) {
    const xs = u.data[0];
    if (!xs || !xs.length) return;
    const full = Math.abs(u.scales.x.min - xs[0]) < 1e-12 && Math.abs(u.scales.x.max - xs[xs.length - 1]) < 1e-12;
    this.xRange = full ? null : [u.scales.x.min, u.scales.x.max];
  }

  // specs: [{key, label, stroke, y, x?, dash?, width?, scale?, show?, points?}]; bands: [{hi, lo, fill}]
  render(baseX, specs, bands = [], layers = []) {
    this.layers = layers;
    const data = alignData(baseX, specs.map((s) => ({ x: s.x || null, y: s.y })));
    const sig = specs.map((s) => `${s.key}${s.x ? "*" : ""}`).join("|") + "/" + bands.map((b) => `${b.hi}-${b.lo}`).join();
    this.updating = true;
    try {
      if (sig !== this.signature || !this.u) {
        this.signature = sig;
        this.build(specs, bands, data);
      } else {
        this.u.setData(data, true);
      }
      if (this.xRange) this.u.setScale("x", { min: this.xRange[0], max: this.xRange[1] });
    } finally {
      this.updating = false;
    }
  }
}
