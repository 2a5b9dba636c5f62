// The page's state and its URL form. Everything needed to rebuild the view is in `state`:
// the stack (stack-file structure), the OCV, the pinned cases and the view settings; the URL's
// hash holds it as base64url JSON, so a reload or a shared link restores the same view.

import { clone, fromBase64Url, toBase64Url } from "./util.js";

export const state = {
  stack: null,
  ocv: 0,
  pins: [], // {label, ocv, stack} (arrays are kept separately, in compare.js)
  view: {
    kpfm: { offset: 0, xOffset: 0, xScale: 1 },
    screen: { descriptor: "phi0_V", state: "worst", source: "live" },
    spreads: { work_function_eV: 0.3, phi0_li_V: 0.1, dipole_V: 0.0, n_samples: 40 },
    // impedance panel; transport and (butler-volmer) kinetics also set the band solve's R_exc and R_ct
    impedance: { electrodes: "blocking", transport: "local-equilibrium", i0: null, alpha_t: null, points: 60,
                 auto: true },
  },
};

// The band solve's options from the view: {transport?, kinetics?} (the defaults are left out).
export function solveOptions() {
  const z = state.view.impedance;
  const o = {};
  if (z.transport && z.transport !== "local-equilibrium") o.transport = z.transport;
  if (z.electrodes === "butler-volmer" && typeof z.i0 === "number" && typeof z.alpha_t === "number") {
    o.kinetics = { i0_A_cm2: z.i0, alpha_t: z.alpha_t };
  }
  return o;
}

const VERSION = 1;

export function encodeState() {
  const current = JSON.stringify(state.stack);
  const pins = state.pins.map((p) => {
    const d = { label: p.label, ocv: p.ocv };
    if (JSON.stringify(p.stack) !== current) d.stack = p.stack;
    return d;
  });
  return toBase64Url(JSON.stringify({ v: VERSION, stack: state.stack, ocv: state.ocv, pins, view: state.view }));
}

export function decodeState(hash) {
  const s = (hash || "").replace(/^#/, "");
  if (!s.startsWith("s=")) return null;
  const d = JSON.parse(fromBase64Url(s.slice(2)));
  if (d.v !== VERSION || typeof d.stack !== "object" || typeof d.ocv !== "number") return null;
  return d;
}

export function applySaved(saved) {
  state.stack = saved.stack;
  if (typeof saved.ocv === "number") state.ocv = saved.ocv;
  state.pins = (saved.pins || []).map((p) => ({ label: p.label, ocv: p.ocv, stack: p.stack || clone(saved.stack) }));
  if (saved.view) {
    for (const k of Object.keys(state.view)) {
      if (saved.view[k] && typeof saved.view[k] === "object") state.view[k] = { ...state.view[k], ...saved.view[k] };
    }
  }
}

export function writeURL() {
  history.replaceState(null, "", `#s=${encodeState()}`);
}

// The view settings written into a case file (the stack itself is the file's TOML).
export function caseView() {
  return { ocv: state.ocv, pins: state.pins.map((p) => ({ label: p.label, ocv: p.ocv, stack: p.stack })),
           view: state.view };
}
