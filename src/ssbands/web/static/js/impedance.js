// The impedance panel (capability "impedance"): Nyquist and Bode of the current cell at its OCV from the
// server's impedance panel (the `ssbands impedance --json` object; asked on the panel WebSocket, the same
// answer as POST /api/panel/impedance), with R_dc, R_bulk, C_geo and, per
// interface, φ0, R_exc, R_ct and C_SCL. It re-solves when the cell has rested for a moment (debounced, one
// request in flight) or on "Update". Its transport limit and butler-volmer kinetics also set the band
// solve's R_exc and R_ct (interface table). window.ssbands.lastImpedance holds the last shown answer.

import { PanelChannel } from "./api.js";
import { drawBode, drawNyquist } from "./eisplots.js";
import { registerPanel } from "./panels.js";
import { state } from "./state.js";
import { $, fillTable, fmt, setText } from "./util.js";

const DEBOUNCE_MS = 200;

function numberOrNull(input) {
  if (input.value.trim() === "") return null;
  const v = Number(input.value);
  return Number.isFinite(v) ? v : NaN;
}

class ImpedancePanel {
  init(section, app) {
    this.app = app;
    this.section = section;
    this.timer = null;
    this.inFlight = false;
    this.again = false;
    this.shownKey = null;
    this.failedKey = null;
    this.result = null;
    this.cell = null; // {stack, ocv} of the last rendered band solve
    this.bode = null;
    this.channel = new PanelChannel();
    window.ssbands.impedance = this;
    window.ssbands.impedanceSolves = 0;
    this.bind();
    this.sync();
    new ResizeObserver(() => this.redraw()).observe($("nyquist-box"));
  }

  bind() {
    const z = () => state.view.impedance;
    const changed = (affectsBand) => {
      this.sync();
      this.app.saveURL();
      if (affectsBand) this.app.requestSolve();
      this.schedule(0);
    };
    $("imp-electrodes").addEventListener("change", () => { z().electrodes = $("imp-electrodes").value; changed(true); });
    $("imp-transport").addEventListener("change", () => { z().transport = $("imp-transport").value; changed(true); });
    for (const [id, key, what] of [["imp-i0", "i0", "i0 must be a number (A/cm2)"],
                                   ["imp-alpha-t", "alpha_t", "alpha_t must be a number"]]) {
      $(id).addEventListener("change", () => {
        const v = numberOrNull($(id));
        if (Number.isNaN(v)) return this.app.showError("impedance", what);
        z()[key] = v;
        changed(z().electrodes === "butler-volmer");
      });
    }
    $("imp-points").addEventListener("change", () => {
      const v = Number($("imp-points").value);
      z().points = Number.isInteger(v) ? v : $("imp-points").value;
      changed(false);
    });
    $("imp-auto").addEventListener("change", () => { z().auto = $("imp-auto").checked; changed(false); });
    $("imp-update").addEventListener("click", () => this.run(true));
  }

  // Show the view's settings in the controls (after a reload, a loaded case or a change).
  sync() {
    const z = state.view.impedance;
    $("imp-electrodes").value = z.electrodes;
    $("imp-transport").value = z.transport;
    const bv = z.electrodes === "butler-volmer";
    for (const [id, key] of [["imp-i0", "i0"], ["imp-alpha-t", "alpha_t"]]) {
      const input = $(id);
      input.disabled = !bv;
      if (numberOrNull(input) !== z[key]) input.value = z[key] === null || z[key] === undefined ? "" : String(z[key]);
    }
    $("imp-points").value = String(z.points);
    $("imp-auto").checked = Boolean(z.auto);
  }

  // Called after each rendered band solve: the panel follows the cell on screen (the last state the band
  // solve accepted, not a newer one it may refuse).
  update(st, frame, header) {
    this.cell = { stack: JSON.parse(JSON.stringify(state.stack)), ocv: header ? header.ocv_V : state.ocv };
    if (state.view.impedance.auto) this.schedule();
  }

  schedule(ms = DEBOUNCE_MS) {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.run(false), ms);
  }

  body() {
    const z = state.view.impedance;
    const cell = this.cell || { stack: state.stack, ocv: state.ocv };
    const b = { stack: cell.stack, ocv: cell.ocv, electrodes: z.electrodes, transport: z.transport, points: z.points };
    if (z.electrodes === "butler-volmer") {
      b.i0_A_cm2 = z.i0;
      b.alpha_t = z.alpha_t;
    }
    return b;
  }

  async run(force) {
    if (this.inFlight) {
      this.again = true;
      return;
    }
    const body = this.body();
    const key = JSON.stringify(body);
    if (!force && (key === this.shownKey || key === this.failedKey)) return;
    this.inFlight = true;
    setText($("impedance-status"), "computing…");
    try {
      const r = await this.channel.request("impedance", body);
      this.shownKey = key;
      this.failedKey = null;
      this.result = r;
      this.show(r);
      this.app.clearError("impedance");
      window.ssbands.lastImpedance = r;
      window.ssbands.impedanceSolves += 1;
    } catch (e) {
      this.failedKey = key;
      setText($("impedance-status"), "");
      this.app.showError("impedance", e.message);
    } finally {
      this.inFlight = false;
      if (this.again) {
        this.again = false;
        this.schedule(0);
      }
    }
  }

  curves(r) {
    return { zr: r.Z_real_ohm_cm2, zi: r.Z_imag_ohm_cm2, fitR: r.Z_fit_real_ohm_cm2, fitI: r.Z_fit_imag_ohm_cm2,
             freq: r.frequency_Hz };
  }

  redraw() {
    if (!this.result) return;
    drawNyquist($("nyquist-plot"), this.curves(this.result));
    if (this.bode && Math.abs(this.bode.width - $("bode-plot").clientWidth) > 1) {
      this.bode.setSize({ width: Math.max(240, $("bode-plot").clientWidth), height: 300 });
    }
  }

  show(r) {
    const c = this.curves(r);
    drawNyquist($("nyquist-plot"), c);
    this.bode = drawBode($("bode-plot"), this.bode, c);
    const f = r.frequency_Hz;
    setText($("impedance-status"), `${f.length} frequencies ${fmt(f[0], 2)} … ${fmt(f[f.length - 1], 2)} Hz, ` +
            `${r.electrodes.join("/")} electrodes, ${r.transport}; computed in ${r.compute_ms.toFixed(0)} ms`);
    const rdc = r.R_dc_ohm_cm2 === null ? "∞ (no DC current)" : fmt(r.R_dc_ohm_cm2, 4);
    fillTable($("impedance-values"), ["R_dc (Ω cm²)", "R_bulk (Ω cm²)", "C_geo (µF/cm²)", "Lin-KK max residual"],
              [[rdc, fmt(r.R_bulk_ohm_cm2, 4), fmt(r.C_geometric_uF_per_cm2, 4), fmt(r.kk_max_residual, 3)]]);
    fillTable($("impedance-iface-table"), ["interface", "φ0 (V)", "R_exc (Ω cm²)", "R_ct (Ω cm²)", "C_SCL (µF/cm²)"],
              r.interfaces.map((i) => [`${i.left}|${i.right}`, fmt(i.phi0_V, 4), fmt(i.R_exc_ohm_cm2, 4),
                                       fmt(i.R_ct_ohm_cm2, 4), fmt(i.C_scl_uF_per_cm2, 4)]));
    const notes = [...r.notes, ...r.warnings];
    $("impedance-notes").replaceChildren(...notes.map((n) => Object.assign(document.createElement("li"), { textContent: n })));
  }
}

registerPanel("impedance", new ImpedancePanel());
