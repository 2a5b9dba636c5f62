// Screening explorer: a heatmap (an HTML table of coloured cells) of one interface descriptor over
// electrodes × electrolytes, from the server's --screen folder or computed live for the library's
// materials. Clicking a cell puts that electrode and electrolyte into the stack and solves it.

import { getJSON, postJSON } from "./api.js";
import { state } from "./state.js";
import { $, el, fmt } from "./util.js";

// viridis-like ramp, t in [0, 1]
const RAMP = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
function color(t) {
  const u = Math.min(1, Math.max(0, t)) * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(u));
  const f = u - i;
  const c = RAMP[i].map((a, k) => Math.round(a + f * (RAMP[i + 1][k] - a)));
  return `rgb(${c.join(",")})`;
}

export class Screen {
  constructor(app, info) {
    this.app = app; // {onStackChanged(), showError, clearError, saveURL}
    this.data = null;
    const src = $("screen-source");
    src.replaceChildren(
      ...(info.capabilities.screen_folder ? [el("option", { value: "folder", text: "screen folder (--screen)" })] : []),
      el("option", { value: "live", text: "computed live (library)" }));
    const v = state.view.screen;
    src.value = info.capabilities.screen_folder && v.source === "folder" ? "folder" : "live";
    $("screen-compute").addEventListener("click", () => this.load());
    for (const id of ["screen-descriptor", "screen-state"]) $(id).addEventListener("change", () => this.load());
  }

  async load() {
    const v = state.view.screen;
    v.source = $("screen-source").value;
    if (this.data) {
      v.descriptor = $("screen-descriptor").value || v.descriptor;
      v.state = $("screen-state").value || v.state;
    }
    $("screen-status").textContent = "computing…";
    try {
      if (v.source === "folder") {
        const q = new URLSearchParams({ descriptor: v.descriptor, state: v.state });
        this.data = await getJSON(`/api/screen?${q}`);
      } else {
        this.data = await postJSON("/api/screen/live", {
          descriptor: v.descriptor, state: v.state, n_states: 3, temperature_K: state.stack.temperature_K ?? 300,
        });
      }
      this.app.clearError("screen");
      this.render();
      this.app.saveURL();
    } catch (e) {
      $("screen-status").textContent = "";
      this.app.showError("screen", e.message);
    }
  }

  render() {
    const d = this.data;
    $("screen-descriptor").replaceChildren(...d.descriptors.map((x) => el("option",
      { value: x.name, text: `${x.label}${x.unit ? ` (${x.unit})` : ""}`, selected: x.name === d.descriptor })));
    $("screen-state").replaceChildren(...d.states.map((s) => el("option", { value: s, text: s, selected: s === d.state })));
    const flat = d.values.flat().filter((x) => x !== null);
    const lo = Math.min(...flat);
    const hi = Math.max(...flat);
    const head = el("tr", {}, el("th", { text: "electrode \\ electrolyte" }), ...d.columns.map((c) => el("th", { text: c })));
    const rows = d.rows.map((r, i) => el("tr", {}, el("th", { text: `${r.electrode} (${r.role})` }),
      ...d.columns.map((c, j) => {
        const v = d.values[i][j];
        const t = hi > lo ? (v - lo) / (hi - lo) : 0.5;
        return el("td", {
          testid: `screen-cell-${i}-${j}`, class: v === null ? "empty" : "cell",
          style: v === null ? "" : `background:${color(t)};color:${t > 0.6 ? "#000" : "#fff"}`,
          title: `${r.electrode} (${r.role}) | ${c}: ${fmt(v, 4)} ${d.unit}`, text: fmt(v, 2),
          onclick: () => this.open(r, c),
        });
      })));
    $("screen-heatmap").replaceChildren(el("thead", {}, head), el("tbody", {}, ...rows));
    $("screen-status").textContent = `${d.label}${d.unit ? ` (${d.unit})` : ""}, state: ${d.state}, closure: ${d.closure}; ` +
      `source: ${d.source}. Click a cell to open its band diagram.`;
  }

  // Put the electrode (in its role) and the electrolyte of a cell into the stack.
  open(row, electrolyte) {
    for (const L of state.stack.layer) {
      if (L.role === row.role) {
        L.material = row.electrode;
        delete L.branch;
        delete L.name;
      }
      if (L.role === "electrolyte") {
        L.material = electrolyte;
        delete L.name;
      }
    }
    state.stack.interface = [];
    this.app.onStackChanged();
  }
}
