// Extra panels that appear when the server reports their capability (GET /api/info "capabilities").
// A panel module calls registerPanel(name, {init(section, app), update(state, frame, header), sync?()}); the
// server side registers the same name with ssbands.web.app.register_panel and answers
// POST /api/panel/{name}. `app` is the page's hooks (requestSolve, showError, clearError, saveURL, ...);
// update runs after each rendered band solve, sync after the state was restored (a loaded case).
// "impedance" (impedance.js) is the first; "defects" (defect chemistry) is reserved.

const registry = new Map();

export function registerPanel(name, panel) {
  registry.set(name, panel);
}

export function initPanels(capabilities, app) {
  const active = [];
  for (const [name, panel] of registry) {
    const section = document.querySelector(`[data-testid="${name}-panel"]`);
    if (!capabilities[name] || !section) continue;
    section.hidden = false;
    panel.init(section, app);
    active.push(panel);
  }
  return active;
}
