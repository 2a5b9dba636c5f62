// KPFM overlay: upload a measured profile or instrument file (bytes, size-limited), overlay it on
// the model ΔCPD (with an offset and the x mapping x_measured = x_offset + x_scale · x_model), and
// fit the model to it on the server (ssbands.kpfm.fit).

import { ApiError, postJSON, uploadBytes } from "./api.js";
import { state } from "./state.js";
import { $, el, fmt } from "./util.js";

export class Kpfm {
  constructor(app, info) {
    this.app = app; // {current(), rerender(), showError, clearError, saveURL}
    this.limit = info.limits.max_upload_bytes;
    this.params = info.fit_parameters;
    this.overlay = null; // {token, name, kind, x_nm, values_V, fit?}
    $("kpfm-file").addEventListener("change", () => this.upload());
    for (const [id, key] of [["kpfm-offset", "offset"], ["kpfm-xoffset", "xOffset"], ["kpfm-xscale", "xScale"]]) {
      $(id).value = String(state.view.kpfm[key]);
      $(id).addEventListener("input", () => {
        const v = Number($(id).value);
        if (!Number.isFinite(v) || (key === "xScale" && v <= 0)) return;
        state.view.kpfm[key] = v;
        this.app.rerender();
        this.app.saveURL();
      });
    }
    $("kpfm-auto").addEventListener("click", () => this.autoOffset());
    $("kpfm-fit").addEventListener("click", () => this.fit());
    $("kpfm-clear").addEventListener("click", () => { this.overlay = null; this.show(); this.app.rerender(); });
    $("kpfm-params").replaceChildren(...this.params.map((p) => el("label", {},
      el("input", { type: "checkbox", value: p, checked: p === "offset" || p === "width", testid: `kpfm-param-${p}` }),
      ` ${p} `)));
  }

  async upload() {
    const file = $("kpfm-file").files[0];
    if (!file) return;
    if (file.size > this.limit) {
      this.app.showError("kpfm", `${file.name}: ${file.size} bytes is over the upload limit of ${this.limit} bytes`);
      return;
    }
    $("kpfm-status").textContent = `reading ${file.name}…`;
    try {
      const params = { name: file.name };
      if ($("kpfm-pixel").value) params.pixel_size_nm = $("kpfm-pixel").value;
      if ($("kpfm-channel").value) params.channel = $("kpfm-channel").value;
      if ($("kpfm-flip").checked) params.flip_sign = "1";
      this.overlay = await uploadBytes("/api/kpfm/upload", params, await file.arrayBuffer());
      if (this.overlay.kind === "cpd") this.autoOffset(false);
      this.app.clearError("kpfm");
      this.show();
      this.app.rerender();
    } catch (e) {
      $("kpfm-status").textContent = "";
      this.app.showError("kpfm", e.message);
    }
  }

  // Offset that makes the measured mean equal the model's mean over the measured x range.
  autoOffset(render = true) {
    const cur = this.app.current();
    if (!this.overlay || !cur) return;
    const k = state.view.kpfm;
    const x = cur.x_nm;
    const y = cur.dcpd_V;
    let sm = 0;
    let sd = 0;
    let n = 0;
    this.overlay.x_nm.forEach((xm, i) => {
      const v = this.overlay.values_V[i];
      const xModel = (xm - k.xOffset) / k.xScale;
      if (v === null || xModel < x[0] || xModel > x[x.length - 1]) return;
      let j = 0;
      while (j < x.length - 1 && x[j + 1] < xModel) j++;
      if (y[j] === null) return;
      sm += v;
      sd += y[j];
      n++;
    });
    k.offset = n ? (sm - sd) / n : 0;
    $("kpfm-offset").value = k.offset.toFixed(4);
    if (render) { this.app.rerender(); this.app.saveURL(); }
  }

  show() {
    const o = this.overlay;
    $("kpfm-status").textContent = o
      ? `${o.name}: ${o.format}${o.channel ? `, channel ${o.channel}` : ""}, ${o.x_nm.length} points ` +
        `(${o.kind === "cpd" ? "CPD map: shown minus the offset" : "ΔCPD"})`
      : "";
    $("kpfm-notes").replaceChildren(...(o ? o.notes : []).map((n) => el("li", { text: n })));
    if (!o || !o.fit) { $("kpfm-result").replaceChildren(); return; }
    const f = o.fit;
    $("kpfm-result").replaceChildren(
      el("thead", {}, el("tr", {}, el("th", { text: "parameter" }), el("th", { text: "value" }), el("th", { text: "± stderr" }))),
      el("tbody", {}, ...Object.entries(f.parameters).map(([k, p]) => el("tr", {},
        el("td", { text: `${k}${p.unit ? ` (${p.unit})` : ""}` }), el("td", { text: fmt(p.value, 4) }),
        el("td", { text: fmt(p.stderr, 4) }))),
        el("tr", {}, el("td", { text: "reduced χ²" }), el("td", { text: fmt(f.reduced_chi2, 4) }), el("td", { text: "" }))));
  }

  // After a fit: show the data in model space with the fitted offset and x mapping.
  applyFit(f) {
    const val = (name, dflt) => (f.parameters[name] ? f.parameters[name].value : (f.fixed[name] ?? dflt));
    const offsets = [...Object.keys(f.parameters), ...Object.keys(f.fixed)].filter((n) => n.startsWith("offset"));
    const k = state.view.kpfm;
    k.offset = offsets.length ? val(offsets[0], 0) : 0;
    k.xOffset = val("x_offset_nm", 0);
    k.xScale = val("x_scale", 1);
    for (const [id, v] of [["kpfm-offset", k.offset], ["kpfm-xoffset", k.xOffset], ["kpfm-xscale", k.xScale]]) {
      $(id).value = String(Number(Number(v).toFixed(6)));
    }
  }

  async fit() {
    if (!this.overlay) return this.app.showError("kpfm", "upload a measured profile first");
    const params = [...document.querySelectorAll("[data-testid^=kpfm-param-]")].filter((c) => c.checked).map((c) => c.value);
    $("kpfm-status").textContent = "fitting…";
    try {
      const f = await postJSON("/api/kpfm/fit", { token: this.overlay.token, stack: state.stack, ocv: state.ocv, params });
      this.overlay.fit = f;
      this.applyFit(f);
      this.app.clearError("kpfm");
      this.show();
      this.app.rerender();
      this.app.saveURL();
    } catch (e) {
      this.show();
      this.app.showError("kpfm", e instanceof ApiError ? e.message : String(e));
    }
  }
}
