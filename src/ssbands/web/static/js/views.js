// What each plot shows: series specs of the band diagram, ΔCPD and the SCL zooms, built from the
// current frame, the pinned cases, the uncertainty bands and the KPFM overlay; and the tables.

import { PIN_COLORS } from "./plots.js";
import { el, fillTable, fmt } from "./util.js";

function sameX(a, b) {
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function layerBands(summary) {
  return summary.layers.map((L) => ({ x0: L.x_start_nm, x1: L.x_end_nm, role: L.role, label: L.name }));
}

export function bandSpecs(F, pins, unc) {
  const specs = [
    { key: "E_vac", label: "E_vac (eV)", stroke: "#111", width: 2, y: F.E_vac_eV },
    { key: "E_F", label: "E_F (eV)", stroke: "#1f77b4", width: 2, y: F.E_F_eV },
  ];
  if (F.E_CBM_eV.some((v) => v !== null)) {
    specs.push({ key: "E_CBM", label: "E_CBM", stroke: "#d62728", y: F.E_CBM_eV });
    specs.push({ key: "E_VBM", label: "E_VBM", stroke: "#2ca02c", y: F.E_VBM_eV });
  }
  specs.push({ key: "mu_bar", label: "μ̄_Li⁺ (eV)", stroke: "#9467bd", dash: [6, 4], y: F.mu_bar_Li_eV });
  specs.push({ key: "psi", label: "φ (V)", stroke: "#8c564b", scale: "V", show: false, y: F.psi_V });
  pins.forEach((p, i) => {
    const x = sameX(p.frame.x_nm, F.x_nm) ? null : p.frame.x_nm;
    const c = PIN_COLORS[i % PIN_COLORS.length];
    specs.push({ key: `pin${i}-vac`, label: `E_vac ${p.label}`, stroke: c, dash: [5, 4], x, y: p.frame.E_vac_eV });
    specs.push({ key: `pin${i}-F`, label: `E_F ${p.label}`, stroke: c, dash: [2, 3], x, y: p.frame.E_F_eV });
  });
  const bands = [];
  if (unc) {
    const x = sameX(unc.x_nm, F.x_nm) ? null : unc.x_nm;
    const n = specs.length;
    specs.push({ key: "unc-vac-hi", label: "E_vac p95", stroke: "rgba(0,0,0,0.25)", width: 1, x, y: unc.E_vac_eV.p95 });
    specs.push({ key: "unc-vac-lo", label: "E_vac p05", stroke: "rgba(0,0,0,0.25)", width: 1, x, y: unc.E_vac_eV.p05 });
    bands.push({ hi: n, lo: n + 1, fill: "rgba(0,0,0,0.12)" });
  }
  return { specs, bands };
}

export function measuredSeries(overlay, kview) {
  const xs = overlay.x_nm.map((x) => (x - kview.xOffset) / kview.xScale);
  const ys = overlay.values_V.map((v) => (v === null ? null : v - kview.offset));
  return { x: xs, y: ys };
}

export function dcpdSpecs(F, pins, unc, overlay, kview) {
  const specs = [
    { key: "dcpd", label: "ΔCPD (V)", stroke: "#111", width: 2, y: F.dcpd_V },
    { key: "dwf", label: "−ΔΦ/e (V)", stroke: "#ff7f0e", dash: [6, 3], y: F.dcpd_work_function_V },
    { key: "dpot", label: "ΔV (V)", stroke: "#1f77b4", dash: [2, 3], y: F.dcpd_potential_V },
  ];
  pins.forEach((p, i) => {
    const x = sameX(p.frame.x_nm, F.x_nm) ? null : p.frame.x_nm;
    specs.push({ key: `pin${i}-dcpd`, label: `ΔCPD ${p.label}`, stroke: PIN_COLORS[i % PIN_COLORS.length],
                 dash: [5, 4], x, y: p.frame.dcpd_V });
  });
  const bands = [];
  if (unc) {
    const x = sameX(unc.x_nm, F.x_nm) ? null : unc.x_nm;
    const n = specs.length;
    specs.push({ key: "unc-dcpd-hi", label: "ΔCPD p95", stroke: "rgba(0,0,0,0.25)", width: 1, x, y: unc.dcpd_V.p95 });
    specs.push({ key: "unc-dcpd-lo", label: "ΔCPD p05", stroke: "rgba(0,0,0,0.25)", width: 1, x, y: unc.dcpd_V.p05 });
    bands.push({ hi: n, lo: n + 1, fill: "rgba(0,0,0,0.12)" });
  }
  if (overlay) {
    const m = measuredSeries(overlay, kview);
    specs.push({ key: "measured", label: `measured: ${overlay.name}`, stroke: "#17becf", points: true, x: m.x, y: m.y });
    if (overlay.fit) {
      const f = overlay.fit.profiles;
      const fx = f.x_nm.map((x) => (x - kview.xOffset) / kview.xScale);
      const fy = f.dcpd_fit_V[0].map((v) => (v === null ? null : v - kview.offset));
      specs.push({ key: "fit", label: "fit (blurred model)", stroke: "#d62728", x: fx, y: fy });
    }
  }
  return { specs, bands };
}

// The part of the profile within w nm of an electrolyte boundary, in distance from it.
export function zoomData(F, summary, side) {
  const se = summary.layers.find((L) => L.role === "electrolyte");
  const ifc = summary.interfaces;
  const half = 0.5 * (se.x_end_nm - se.x_start_nm);
  const maxOf = (k) => Math.max(...ifc.map((i) => i[k] || 0));
  const w = Math.min(Math.max(0.1 * (6 * maxOf("debye_length_A") + 2 * maxOf("saturated_width_A")), 1), half);
  const xc = side === 0 ? se.x_start_nm : se.x_end_nm;
  const keep = [];
  for (let i = 0; i < F.x_nm.length; i++) if (Math.abs(F.x_nm[i] - xc) <= w) keep.push(i);
  const pick = (arr) => keep.map((i) => arr[i]);
  const i = ifc[side];
  const iL = summary.layers.findIndex((L) => L.name === i.left);
  const iR = summary.layers.findIndex((L) => L.name === i.right);
  return {
    x: keep.map((k) => F.x_nm[k] - xc),
    E_vac: pick(F.E_vac_eV), E_F: pick(F.E_F_eV), E_CBM: pick(F.E_CBM_eV), E_VBM: pick(F.E_VBM_eV),
    layers: [{ x0: -w, x1: 0, role: summary.layers[iL].role, label: i.left },
             { x0: 0, x1: w, role: summary.layers[iR].role, label: i.right }],
    title: `${i.left}|${i.right}: φ0 = ${fmt(i.phi0_V, 3)} V, σ = ${fmt(i.sigma_e_per_nm2, 3)} e/nm²`,
  };
}

export function zoomSpecs(z) {
  const specs = [
    { key: "E_vac", label: "E_vac", stroke: "#111", width: 2, y: z.E_vac },
    { key: "E_F", label: "E_F", stroke: "#1f77b4", width: 2, y: z.E_F },
  ];
  if (z.E_CBM.some((v) => v !== null)) {
    specs.push({ key: "E_CBM", label: "E_CBM", stroke: "#d62728", y: z.E_CBM });
    specs.push({ key: "E_VBM", label: "E_VBM", stroke: "#2ca02c", y: z.E_VBM });
  }
  return specs;
}

const IFACE_COLUMNS = [
  ["phi0_V", "φ0 (V)"], ["dipole_V", "dipole (V)"], ["total_step_V", "total step (V)"],
  ["sigma_e_per_nm2", "σ (e/nm²)"], ["capacitance_uF_per_cm2", "C (µF/cm²)"],
  ["saturated_width_A", "saturated (Å)"], ["debye_length_A", "Debye (Å)"],
  ["se_E_F_above_VBM_eV", "SE E_F − VBM (eV)"], ["R_scl_ohm_cm2", "R_SCL (Ω cm²)"], ["R_ratio", "R_SCL/R_bulk"],
  ["R_exc_ohm_cm2", "R_exc (Ω cm²)"], ["R_ct_ohm_cm2", "R_ct (Ω cm²)"],
  ["electrode_in_window", "in window"], ["injection", "injection"],
];
const LAYER_COLUMNS = [
  ["role", "role"], ["E_F_eV", "E_F (eV)"], ["E_vac_eV", "E_vac (eV)"], ["work_function_eV", "Φ (eV)"],
  ["mu_Li_eV", "μ_Li (eV)"], ["cpd_V", "CPD (V)"], ["delta_cpd_V", "ΔCPD (V)"],
  ["delta_cpd_work_function_V", "−ΔΦ/e (V)"], ["delta_cpd_potential_V", "ΔV (V)"], ["li_fraction", "x_Li"],
  ["E_F_above_VBM_eV", "E_F − VBM (eV)"], ["dEvac_dmuLi", "dE_vac/dμ_Li"],
];

// The ΔCPD reference state: how it was chosen and the electrodes' Li contents and potentials there.
export function referenceText(summary) {
  const r = summary.reference;
  if (!r) return "no ΔCPD reference state";
  return `ΔCPD reference: ${summary.reference_state}; anode x_Li = ${fmt(r.anode_li_fraction, 4)} ` +
    `(U = ${fmt(r.anode_U_V, 3)} V), cathode x_Li = ${fmt(r.cathode_li_fraction, 4)} (U = ${fmt(r.cathode_U_V, 3)} V)`;
}

export function renderTables(summary, ifaceTable, layerTable, notes) {
  fillTable(ifaceTable, ["interface", ...IFACE_COLUMNS.map((c) => c[1])],
            summary.interfaces.map((i) => [`${i.left}|${i.right}`, ...IFACE_COLUMNS.map(([k]) => fmt(i[k], 3))]));
  fillTable(layerTable, ["layer", ...LAYER_COLUMNS.map((c) => c[1])],
            summary.layers.map((L) => [L.name, ...LAYER_COLUMNS.map(([k]) => fmt(L[k], 3))]));
  const key = summary.notes.join("\u0001");
  if (notes.dataset.key !== key) {
    notes.replaceChildren(...summary.notes.map((n) => el("li", { text: n })));
    notes.dataset.key = key;
  }
}
