// The page: boots from GET /api/info (or the URL's state), wires the modules together, renders each
// solve and exposes the automation contract on window.ssbands:
//   lastSolve = {ocv_V, x_nm, E_vac_eV, E_F_eV, cpd_V, dcpd_V, latency_ms, solve_ms, render_ms, frame_ms}
//   after each rendered solve (latency_ms: input event -> all plots and tables drawn; frame_ms: -> the
//   next animation frame), lastSummary (the `ssbands band --json` object), lastError, ready (Promise).

import { ApiError, getJSON, postForBlob, postJSON, SolveChannel } from "./api.js";
import { Compare, framePlain } from "./compare.js";
import { Editor } from "./editor.js";
import { Kpfm } from "./kpfm.js";
import "./impedance.js"; // registers the impedance panel
import { initPanels } from "./panels.js";
import { LinePlot } from "./plots.js";
import { Screen } from "./screen.js";
import { applySaved, caseView, decodeState, solveOptions, state, writeURL } from "./state.js";
import { $, debounce, download, setText } from "./util.js";
import { bandSpecs, dcpdSpecs, layerBands, referenceText, renderTables, zoomData, zoomSpecs } from "./views.js";

const SOLVE_FIELDS = ["ocv", "closure", "mu_li_se", "temperature", "tip", "dipoles", "ground", "layers", "stack",
                      "kinetics", "transport"];
const api = { lastSolve: null, lastSummary: null, lastError: null, solves: 0, latencies: [], state };
window.ssbands = api;

let F = null; // the latest frame's arrays (plain, NaN -> null)
let summary = null;
let editor;
let compare;
let kpfm;
let panels = [];
let channel;
const plots = {};
api.plots = plots;

function showError(field, message) {
  const m = /^layer-(\d+)$/.exec(field);
  const key = m ? "layers" : field;
  const target = $(`error-${key}`) || $("error-stack");
  target.textContent = m ? `layer ${m[1]}: ${message}` : message;
  document.querySelectorAll("tr.bad").forEach((r) => r.classList.remove("bad"));
  if (m) document.querySelector(`[data-testid="layers"] tr[data-layer="${m[1]}"]`)?.classList.add("bad");
  $("error").textContent = message;
  api.lastError = { field, message };
}

function clearError(field) {
  const target = $(`error-${field}`);
  if (target) target.textContent = "";
  if (api.lastError && api.lastError.field === field) {
    $("error").textContent = "";
    api.lastError = null;
  }
}

function clearSolveErrors() {
  for (const f of SOLVE_FIELDS) setText($(`error-${f}`), "");
  document.querySelectorAll("tr.bad").forEach((r) => r.classList.remove("bad"));
  if (!api.lastError || SOLVE_FIELDS.includes(api.lastError.field) || /^layer-/.test(api.lastError.field)) {
    setText($("error"), "");
    api.lastError = null;
  }
}

const saveURL = debounce(writeURL, 150);

// The footer's timing line, at most four times a second (a text change costs a layout).
let latencyShown = 0;
function showLatency(last) {
  const now = performance.now();
  if (now - latencyShown < 250) return;
  latencyShown = now;
  setText($("latency"), `solve ${last.solve_ms.toFixed(1)} ms on the server, input → drawn ${last.latency_ms.toFixed(1)} ms`);
}

function rerender() {
  if (!F) return;
  const pins = compare.pins();
  const unc = compare.current();
  const layers = layerBands(summary);
  const b = bandSpecs(F, pins, unc);
  plots.band.render(F.x_nm, b.specs, b.bands, layers);
  const d = dcpdSpecs(F, pins, unc, kpfm.overlay, state.view.kpfm);
  plots.dcpd.render(F.x_nm, d.specs, d.bands, layers);
  ["anode", "cathode"].forEach((side, j) => {
    const z = zoomData(F, summary, j);
    plots[side].render(z.x, zoomSpecs(z), [], z.layers);
    setText($(`zoom-${side}-title`), z.title);
  });
  renderTables(summary, $("iface-table"), $("layer-table"), $("notes"));
  setText($("reference"), referenceText(summary));
}

function onFrame({ header, arrays }, req) {
  const tStart = performance.now();
  F = framePlain(arrays);
  summary = header.summary;
  editor.setSlider(header.slider);
  const [lo, hi] = header.range;
  const show = (v, inf) => (v === null ? inf : Math.abs(v) > 1e3 ? v.toExponential(1) : v.toFixed(3));
  setText($("ocv-range"), `reachable ${show(lo, "−∞")} … ${show(hi, "∞")} V`);
  clearSolveErrors();
  rerender();
  for (const p of panels) p.update(state, F, header);
  const t0 = req ? req.t0 : tStart;
  const last = { ocv_V: header.ocv_V, x_nm: F.x_nm, E_vac_eV: F.E_vac_eV, E_F_eV: F.E_F_eV, cpd_V: F.cpd_V,
                 dcpd_V: F.dcpd_V, latency_ms: null, solve_ms: header.solve_ms, handle_ms: header.handle_ms,
                 render_ms: null, frame_ms: null, id: req && req.id, queue_ms: header.queue_ms,
                 sent_ms: req && req.tSent ? req.tSent - t0 : null,
                 reply_ms: req && req.tReceived ? req.tReceived - req.tSent : null };
  const shown = summary;
  // uPlot draws in a microtask queued by setData: the solve counts as rendered after it has run
  queueMicrotask(() => {
    const now = performance.now();
    last.latency_ms = now - t0;
    last.render_ms = now - tStart;
    api.lastSolve = last;
    api.lastSummary = shown;
    api.solves += 1;
    api.latencies.push({ latency_ms: last.latency_ms, solve_ms: last.solve_ms, handle_ms: last.handle_ms,
                         render_ms: last.render_ms, sent_ms: last.sent_ms, reply_ms: last.reply_ms,
                         queue_ms: last.queue_ms });
    if (api.latencies.length > 1000) api.latencies.shift();
    showLatency(last);
    requestAnimationFrame(() => {
      last.frame_ms = performance.now() - t0;
      compare.step();
    });
  });
}

async function onSolveError(err) {
  showError(err.field, err.message);
  if (err.field === "ocv") {
    try {
      const r = await postJSON("/api/range", { stack: state.stack });
      editor.setSlider(r.slider);
    } catch (e) {
      /* the stack itself is bad: its message is shown already */
    }
  }
  if (compare.animating) compare.toggleAnimation();
}

function requestSolve(t0 = performance.now()) {
  channel.request(state.stack, state.ocv, t0, solveOptions());
  saveURL();
}

const app = {
  current: () => F,
  rerender,
  requestSolve,
  showError,
  clearError,
  saveURL,
  onStackChanged: () => { editor.render(); requestSolve(); },
};

function bindActions(info) {
  $("export").addEventListener("click", async () => {
    const format = $("export-format").value;
    try {
      download(await postForBlob("/api/export", { stack: state.stack, ocv: state.ocv, format, ...solveOptions() }),
               `ssbands_band_${state.ocv.toFixed(3)}V.${format}`);
      clearError("case");
    } catch (e) { showError("case", e.message); }
  });
  $("save-case").addEventListener("click", async () => {
    try {
      download(await postForBlob("/api/case/save", { stack: state.stack, view: caseView(), title: info.title }),
               "ssbands_case.toml");
      clearError("case");
    } catch (e) { showError("case", e.message); }
  });
  $("load-case").addEventListener("change", async () => {
    const file = $("load-case").files[0];
    if (!file) return;
    try {
      const r = await postJSON("/api/case/parse", { text: await file.text() });
      applySaved({ stack: r.stack, ocv: r.view.ocv ?? state.ocv, pins: r.view.pins || [], view: r.view.view });
      editor.render();
      for (const p of panels) if (p.sync) p.sync();
      await compare.restore();
      clearError("case");
      requestSolve();
    } catch (e) { showError("case", e.message); }
  });
  $("copy-link").addEventListener("click", () => {
    writeURL();
    $("share-url").value = location.href;
    $("share-url").hidden = false;
    $("share-url").select();
    if (navigator.clipboard) navigator.clipboard.writeText(location.href).catch(() => {});
  });
}

async function boot() {
  const info = await getJSON("/api/info");
  api.info = info;
  $("title").textContent = info.title;
  $("version").textContent = `ssbands ${info.version}`;
  let saved = null;
  try {
    saved = decodeState(location.hash);
  } catch (e) {
    showError("stack", `the link's state could not be read (${e.message}); showing the server's case`);
  }
  if (saved) applySaved(saved);
  else applySaved({ stack: info.case.stack, ocv: info.case.view.ocv, pins: [], view: {} });
  plots.band = new LinePlot($("band-plot"), { xLabel: "x (nm)", yLabel: "electron energy (eV)", height: 330,
                                              right: { scale: "V", label: "φ (V)" } });
  plots.dcpd = new LinePlot($("dcpd-plot"), { xLabel: "x (nm)", yLabel: "ΔCPD (V)", height: 260 });
  plots.anode = new LinePlot($("zoom-anode"), { xLabel: "distance from interface (nm)", yLabel: "eV", height: 200, legend: false });
  plots.cathode = new LinePlot($("zoom-cathode"), { xLabel: "distance from interface (nm)", yLabel: "eV", height: 200, legend: false });
  editor = new Editor(info, (t0) => requestSolve(t0), showError);
  editor.render();
  compare = new Compare(app);
  kpfm = new Kpfm(app, info);
  api.kpfm = kpfm;
  api.compare = compare;
  new Screen(app, info);
  panels = initPanels(info.capabilities, app);
  bindActions(info);
  if (state.pins.length) await compare.restore();
  channel = new SolveChannel(onFrame, onSolveError, (s) => { $("status").textContent = s; });
  requestSolve();
}

api.ready = boot().catch((e) => {
  showError("stack", e instanceof ApiError ? e.message : `the page could not start: ${e.message}`);
});
