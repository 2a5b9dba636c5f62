// The stack editor: conditions (OCV, closure, μ_Li,SE, ground, T, tip, dipoles) and the layer table.
// Every control writes into `state` and calls onChange(t0) with the input's timestamp; sliders do it
// on every `input` event, so the page re-solves while they move.

import { state } from "./state.js";
import { $, el, layerName } from "./util.js";

const ROLES = ["current-collector", "anode", "electrolyte", "cathode", "base"];
const BRANCHES = ["", "lithiation", "delithiation"];

function num(v) {
  if (v === "" || v === null || v === undefined) return NaN;
  return Number(v);
}

export class Editor {
  constructor(info, onChange, onLocalError) {
    this.materials = info.materials;
    this.onChange = onChange;
    this.onLocalError = onLocalError;
    this.bindConditions();
    $("add-layer").addEventListener("click", () => this.addLayer());
  }

  changed(ev) {
    this.onChange(ev && ev.timeStamp ? ev.timeStamp : performance.now());
  }

  bindConditions() {
    const ocv = $("ocv");
    const ocvIn = $("ocv-input");
    ocv.addEventListener("input", (ev) => {
      state.ocv = Number(ocv.value);
      ocvIn.value = ocv.value;
      this.changed(ev);
    });
    ocvIn.addEventListener("change", (ev) => {
      const v = num(ocvIn.value);
      if (!Number.isFinite(v)) return this.onLocalError("ocv", `OCV must be a number (V), got ${JSON.stringify(ocvIn.value)}`);
      state.ocv = v;
      ocv.value = String(v);
      this.changed(ev);
    });
    $("closure").addEventListener("change", (ev) => {
      state.stack.closure = $("closure").value;
      if (state.stack.closure === "extrinsic" && state.stack.mu_li_se_eV === undefined) {
        state.stack.mu_li_se_eV = Number($("mu-li-se").value);
      }
      this.syncMu();
      this.changed(ev);
    });
    const mu = $("mu-li-se");
    const muIn = $("mu-li-se-input");
    mu.addEventListener("input", (ev) => { state.stack.mu_li_se_eV = Number(mu.value); muIn.value = mu.value; this.changed(ev); });
    muIn.addEventListener("change", (ev) => {
      const v = num(muIn.value);
      if (!Number.isFinite(v)) return this.onLocalError("mu_li_se", "μ_Li,SE must be a number (eV)");
      state.stack.mu_li_se_eV = v;
      mu.value = String(v);
      this.changed(ev);
    });
    $("ground").addEventListener("change", (ev) => { state.stack.ground = $("ground").value; this.changed(ev); });
    for (const [id, key, what] of [["temperature", "temperature_K", "temperature (K)"],
                                   ["tip", "tip_work_function_eV", "tip work function (eV)"]]) {
      $(id).addEventListener("change", (ev) => {
        const v = num($(id).value);
        if (!Number.isFinite(v)) return this.onLocalError(id, `${what} must be a number`);
        state.stack[key] = v;
        this.changed(ev);
      });
    }
    for (const side of ["anode", "cathode"]) {
      const s = $(`dipole-${side}`);
      s.addEventListener("input", (ev) => {
        this.setDipole(side, Number(s.value));
        $(`dipole-${side}-value`).textContent = `${Number(s.value).toFixed(3)} V`;
        this.changed(ev);
      });
    }
  }

  pair(side) {
    const L = state.stack.layer;
    const roles = L.map((l) => l.role);
    const ie = roles.indexOf("electrolyte");
    const ia = roles.indexOf("anode");
    const ic = roles.indexOf("cathode");
    if (ie < 0 || ia < 0 || ic < 0) return null;
    return side === "anode" ? [layerName(L[ia]), layerName(L[ie])] : [layerName(L[ie]), layerName(L[ic])];
  }

  dipole(side) {
    const p = this.pair(side);
    if (!p) return 0;
    const hit = (state.stack.interface || []).find(
      (d) => d.left.toLowerCase() === p[0].toLowerCase() && d.right.toLowerCase() === p[1].toLowerCase());
    return hit ? hit.dipole_V || 0 : 0;
  }

  setDipole(side, v) {
    const p = this.pair(side);
    if (!p) return;
    const rest = (state.stack.interface || []).filter(
      (d) => !(d.left.toLowerCase() === p[0].toLowerCase() && d.right.toLowerCase() === p[1].toLowerCase()));
    state.stack.interface = [...rest, { left: p[0], right: p[1], dipole_V: v }];
  }

  // A layer renamed (its material changed): its interface dipoles follow it.
  renameInterfaces(before, after) {
    const same = (a) => a.toLowerCase() === before.toLowerCase();
    for (const d of state.stack.interface || []) {
      if (same(d.left)) d.left = after;
      if (same(d.right)) d.right = after;
    }
  }

  syncMu() {
    const ext = state.stack.closure === "extrinsic";
    $("mu-li-se").disabled = !ext;
    $("mu-li-se-input").disabled = !ext;
    if (state.stack.mu_li_se_eV !== undefined) {
      $("mu-li-se").value = String(state.stack.mu_li_se_eV);
      $("mu-li-se-input").value = String(state.stack.mu_li_se_eV);
    }
  }

  // Show the whole state in the controls (after a load, a reload or a click in the explorer).
  render() {
    const s = state.stack;
    $("ocv").value = String(state.ocv);
    $("ocv-input").value = String(state.ocv);
    $("closure").value = s.closure || "minimum-interface";
    $("ground").value = s.ground || "cathode";
    $("temperature").value = String(s.temperature_K ?? 300);
    $("tip").value = String(s.tip_work_function_eV ?? 5.65);
    this.syncMu();
    for (const side of ["anode", "cathode"]) {
      const v = this.dipole(side);
      $(`dipole-${side}`).value = String(v);
      $(`dipole-${side}-value`).textContent = `${v.toFixed(3)} V`;
    }
    this.renderLayers();
  }

  setSlider([lo, hi]) {
    for (const id of ["ocv", "ocv-input"]) {
      if ($(id).min !== String(lo)) $(id).min = String(lo);
      if ($(id).max !== String(hi)) $(id).max = String(hi);
    }
    if (Number($("ocv").value) !== state.ocv) $("ocv").value = String(state.ocv);
  }

  options(role, current) {
    const ok = this.materials.filter((m) => m.roles.includes(role));
    if (!ok.some((m) => m.name === current)) ok.unshift({ name: current, kind: "?" });
    return ok.map((m) => el("option", { value: m.name, text: m.name, selected: m.name === current }));
  }

  renderLayers() {
    const rows = state.stack.layer.map((L, k) => this.layerRow(L, k));
    $("layers").replaceChildren(
      el("thead", {}, el("tr", {}, ...["#", "material", "role", "nm", "x_Li", "branch", ""].map((h) => el("th", { text: h })))),
      el("tbody", {}, ...rows));
  }

  layerRow(L, k) {
    const i = k + 1;
    const set = (key, v, ev) => {
      if (v === undefined || v === "") delete L[key];
      else L[key] = v;
      this.changed(ev);
    };
    const material = el("select", { testid: `layer-${i}-material` }, ...this.options(L.role, L.material));
    material.addEventListener("change", (ev) => {
      const before = layerName(L);
      L.material = material.value;
      delete L.branch;
      delete L.name;
      this.renameInterfaces(before, layerName(L));
      this.changed(ev);
      this.renderLayers();
    });
    const role = el("select", { testid: `layer-${i}-role` },
                    ...ROLES.map((r) => el("option", { value: r, text: r, selected: r === L.role })));
    role.addEventListener("change", (ev) => { L.role = role.value; this.changed(ev); this.renderLayers(); });
    const th = el("input", { type: "number", min: "0", step: "any", value: String(L.thickness_nm), testid: `layer-${i}-thickness` });
    th.addEventListener("change", (ev) => set("thickness_nm", num(th.value), ev));
    const electrode = L.role === "anode" || L.role === "cathode";
    const li = el("input", { type: "range", min: "0", max: "1", step: "0.005", value: String(L.li_fraction ?? 0.5),
                             testid: `layer-${i}-li`, disabled: !electrode, title: "Li fraction of the as-made electrode" });
    const liOut = el("span", { class: "li-value", text: L.li_fraction === undefined ? "default" : L.li_fraction.toFixed(3) });
    li.addEventListener("input", (ev) => { liOut.textContent = Number(li.value).toFixed(3); set("li_fraction", Number(li.value), ev); });
    const branch = el("select", { testid: `layer-${i}-branch`, disabled: !electrode },
                      ...BRANCHES.map((b) => el("option", { value: b, text: b || "default", selected: (L.branch || "") === b })));
    branch.addEventListener("change", (ev) => set("branch", branch.value || undefined, ev));
    const move = (d) => () => {
      const A = state.stack.layer;
      const j = k + d;
      if (j < 0 || j >= A.length) return;
      [A[k], A[j]] = [A[j], A[k]];
      this.changed();
      this.renderLayers();
    };
    const remove = () => { state.stack.layer.splice(k, 1); this.changed(); this.renderLayers(); };
    return el("tr", { "data-layer": String(i) },
      el("td", { text: String(i) }), el("td", {}, material), el("td", {}, role), el("td", {}, th),
      el("td", {}, electrode ? li : "", electrode ? liOut : ""), el("td", {}, electrode ? branch : ""),
      el("td", { class: "row-buttons" },
         el("button", { text: "↑", title: "move up", onclick: move(-1) }),
         el("button", { text: "↓", title: "move down", onclick: move(1) }),
         el("button", { text: "✕", title: "remove", testid: `layer-${i}-remove`, onclick: remove })));
  }

  addLayer() {
    const metal = this.materials.find((m) => m.kind === "metal");
    state.stack.layer.push({ material: metal ? metal.name : "Cu", role: "current-collector", thickness_nm: 100 });
    this.changed();
    this.renderLayers();
  }
}
