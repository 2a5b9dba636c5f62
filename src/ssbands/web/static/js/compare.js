// Compare: pinned cases (overlaid, kept in the URL), an animated OCV sweep, and Monte Carlo
// uncertainty bands from literature spreads (computed on the server, as the screen does).

import { postFrame, postJSON } from "./api.js";
import { PIN_COLORS } from "./plots.js";
import { state } from "./state.js";
import { $, clone, el, fmt, plain } from "./util.js";

export function framePlain(arrays) {
  const out = {};
  for (const [k, v] of Object.entries(arrays)) out[k] = k === "x_nm" ? Array.from(v) : plain(v);
  return out;
}

export class Compare {
  constructor(app) {
    this.app = app; // {current(), rerender(), requestSolve(t0), showError(field, msg), clearError(field)}
    this.frames = []; // arrays of each pin, in state.pins order
    this.uncertainty = null; // {key, x_nm, E_vac_eV: {p05, p95}, ...}
    this.animating = false;
    $("pin").addEventListener("click", () => this.pin());
    $("clear-pins").addEventListener("click", () => { state.pins = []; this.frames = []; this.changed(); });
    $("animate").addEventListener("click", () => this.toggleAnimation());
    $("uncertainty").addEventListener("click", () => this.runUncertainty());
    for (const k of ["work_function_eV", "phi0_li_V", "dipole_V", "n_samples"]) {
      const input = $(`spread-${k}`);
      input.value = String(state.view.spreads[k]);
      input.addEventListener("change", () => { state.view.spreads[k] = Number(input.value); this.app.saveURL(); });
    }
  }

  pins() {
    return state.pins.map((p, i) => ({ label: p.label, frame: this.frames[i] })).filter((p) => p.frame);
  }

  pin() {
    const cur = this.app.current();
    if (!cur) return;
    const sameStack = state.pins.every((p) => JSON.stringify(p.stack) === JSON.stringify(state.stack));
    const label = `${state.ocv.toFixed(3)} V${sameStack ? "" : ` #${state.pins.length + 1}`}`;
    state.pins.push({ label, ocv: state.ocv, stack: clone(state.stack) });
    this.frames.push(cur);
    this.changed();
  }

  remove(i) {
    state.pins.splice(i, 1);
    this.frames.splice(i, 1);
    this.changed();
  }

  changed() {
    this.renderList();
    this.app.rerender();
    this.app.saveURL();
  }

  renderList() {
    $("pins").replaceChildren(...state.pins.map((p, i) => el("li", { testid: `pin-${i}` },
      el("span", { class: "swatch", style: `background:${PIN_COLORS[i % PIN_COLORS.length]}` }),
      el("span", { text: ` ${p.label} ` }),
      el("button", { text: "✕", title: "remove", testid: `pin-remove-${i}`, onclick: () => this.remove(i) }))));
  }

  // Recompute the arrays of pins restored from a URL or a case file.
  async restore() {
    this.frames = [];
    for (const p of state.pins) {
      try {
        this.frames.push(framePlain((await postFrame({ stack: p.stack, ocv: p.ocv })).arrays));
      } catch (e) {
        this.frames.push(null);
        this.app.showError("pins", `pin ${p.label}: ${e.message}`);
      }
    }
    this.renderList();
  }

  toggleAnimation() {
    this.animating = !this.animating;
    $("animate").textContent = this.animating ? "Stop sweep" : "Animate OCV sweep";
    this.direction = 1;
    if (this.animating) this.step();
  }

  // Called after each rendered frame: the next OCV of the sweep (bouncing between the slider's ends).
  step() {
    if (!this.animating) return;
    const s = $("ocv");
    const lo = Number(s.min);
    const hi = Number(s.max);
    let v = state.ocv + this.direction * (hi - lo) / 120;
    if (v > hi || v < lo) {
      this.direction = -this.direction;
      v = Math.min(hi, Math.max(lo, v));
    }
    state.ocv = v;
    s.value = String(v);
    $("ocv-input").value = v.toFixed(4);
    this.app.requestSolve(performance.now());
  }

  key() {
    return JSON.stringify([state.stack, state.ocv]);
  }

  current() {
    return this.uncertainty && this.uncertainty.key === this.key() ? this.uncertainty : null;
  }

  async runUncertainty() {
    const sp = state.view.spreads;
    const key = this.key();
    $("uncertainty-status").textContent = "computing…";
    try {
      const r = await postJSON("/api/uncertainty", {
        stack: state.stack, ocv: state.ocv, n_samples: Math.round(sp.n_samples),
        spreads: { work_function_eV: sp.work_function_eV, phi0_li_V: sp.phi0_li_V, dipole_V: sp.dipole_V },
      });
      this.uncertainty = { key, ...r };
      const p = r.phi0_V;
      $("uncertainty-status").textContent = `${r.info.solved}/${r.info.n_samples} samples, ${fmt(r.info.seconds, 2)} s; ` +
        `φ0 5–95 %: [${fmt(p.p05[0])}, ${fmt(p.p95[0])}] V, [${fmt(p.p05[1])}, ${fmt(p.p95[1])}] V`;
      this.app.clearError("uncertainty");
      this.app.rerender();
    } catch (e) {
      $("uncertainty-status").textContent = "";
      this.app.showError(e.field === "request" ? "uncertainty" : e.field, e.message);
    }
  }
}
