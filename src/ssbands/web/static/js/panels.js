// Extra panels that appear when the server reports their capability (GET /api/info "capabilities").
// A panel module calls registerPanel(name, {init(section), update(state, frame)}); the server side
// registers the same name with ssbands.web.app.register_panel and answers POST /api/panel/{name}.
// Reserved: "impedance" (Nyquist and Bode of the current cell) and "defects" (defect chemistry).

const registry = new Map();

export function registerPanel(name, panel) {
  registry.set(name, panel);
}

export function initPanels(capabilities) {
  const active = [];
  for (const [name, panel] of registry) {
    const section = document.querySelector(`[data-testid="${name}-panel"]`);
    if (!capabilities[name] || !section) continue;
    section.hidden = false;
    panel.init(section);
    active.push(panel);
  }
  return active;
}
