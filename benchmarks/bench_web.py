"""ssbands web: slider input → rendered frame latency, measured in the page (headless Chromium).

Starts `ssbands web --no-browser --port 0` in its own process (the Fuller 2021 example stack), opens
the page in Debian's Chromium (/usr/bin/chromium) through Playwright, and moves the OCV slider:

* steps: one arrow-key press at a time, each waited for (the latency of a single slider step);
* drag: the slider moved by script every 8 ms for a few seconds (the page coalesces inputs while a
  solve is in flight and renders the latest; the latencies are those of the inputs it rendered).

Each rendered solve records, with performance.now() in the page, the time from the input event to
all plots and tables drawn (``latency_ms``) and to the next animation frame (``frame_ms``); the
server's solve time (stack validation, cell solve, ``band --json`` summary) comes with the frame.
Usage: python benchmarks/bench_web.py [--steps 150] [--drag-s 4]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _common import cpu_model

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
STACK = REPO / "examples" / "stacks" / "fuller2021.toml"
CHROMIUM = "/usr/bin/chromium"

DRAG_JS = """async ([seconds, every]) => {
  const s = document.querySelector('[data-testid=ocv]');
  const lo = Number(s.min), hi = Number(s.max);
  const start = window.ssbands.latencies.length;
  const t0 = performance.now();
  let v = lo + 0.1 * (hi - lo), dir = 1;
  while (performance.now() - t0 < seconds * 1000) {
    v += dir * (hi - lo) / 400;
    if (v > hi || v < lo) { dir = -dir; v = Math.min(hi, Math.max(lo, v)); }
    s.value = String(v);
    s.dispatchEvent(new Event('input', {bubbles: true}));
    await new Promise((r) => setTimeout(r, every));
  }
  await new Promise((r) => setTimeout(r, 500));
  return {inputs: Math.round(seconds * 1000 / every), rendered: window.ssbands.latencies.slice(start)};
}"""


def _pct(values, q):
    v = sorted(values)
    if not v:
        return float("nan")
    k = (len(v) - 1) * q
    i = int(k)
    return v[i] + (v[min(i + 1, len(v) - 1)] - v[i]) * (k - i)


def _mp(values):
    values = [v for v in values if v is not None]
    return f"{statistics.median(values):.1f} / {_pct(values, 0.95):.1f}" if values else "—"


def _row(name, rows, n):
    return (f"| {name} | {n} | {_mp([r['latency_ms'] for r in rows])} | {_mp([r.get('frame_ms') for r in rows])} | "
            f"{_mp([r['solve_ms'] for r in rows])} | {_mp([r['handle_ms'] for r in rows])} | "
            f"{_mp([r.get('reply_ms') for r in rows])} | {_mp([r['render_ms'] for r in rows])} |")


def _start_server():
    env = dict(os.environ, PYTHONPATH=str(REPO / "src") + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen([sys.executable, "-m", "ssbands.cli", "web", str(STACK), "--no-browser", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    line = proc.stdout.readline()
    m = re.search(r"(http://\S+/)", line)
    if not m:
        proc.kill()
        raise SystemExit(f"the server did not start: {line}")
    time.sleep(0.5)
    return proc, m.group(1)


def _steps(page, n):
    out = []
    slider = page.get_by_test_id("ocv")
    slider.fill("0.5")
    page.wait_for_function("() => Math.abs(window.ssbands.lastSolve.ocv_V - 0.5) < 1e-12")
    slider.focus()
    for i in range(n):
        before = page.evaluate("() => window.ssbands.solves")
        page.keyboard.press("ArrowRight" if (i // 50) % 2 == 0 else "ArrowLeft")
        page.wait_for_function("n => window.ssbands.solves > n && window.ssbands.lastSolve.frame_ms !== null",
                               arg=before)
        out.append(page.evaluate("() => window.ssbands.lastSolve"))
    return out


IMPEDANCE_JS = """async (n) => {
  const out = [];
  for (let i = 0; i < n; i++) {
    const before = window.ssbands.impedanceSolves;
    const t0 = performance.now();
    document.querySelector('[data-testid=imp-update]').click();
    while (window.ssbands.impedanceSolves === before) await new Promise((r) => setTimeout(r, 1));
    out.push({total_ms: performance.now() - t0, compute_ms: window.ssbands.lastImpedance.compute_ms});
  }
  return out;
}"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=150)
    ap.add_argument("--drag-s", type=float, default=4.0)
    a = ap.parse_args()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("(skipped: playwright is not installed; pip install 'ssbands[dev]')")
        return
    if not Path(CHROMIUM).exists():
        print(f"(skipped: Debian's chromium is not installed at {CHROMIUM})")
        return

    load0 = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    proc, url = _start_server()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            version = browser.version
            page = browser.new_page(viewport={"width": 1500, "height": 1000})
            page.goto(url)
            page.wait_for_function("() => window.ssbands && window.ssbands.solves > 0", timeout=30_000)
            for _ in range(10):  # warm up (imports, caches, JIT)
                page.get_by_test_id("ocv").fill(f"{1 + 0.1 * _:.2f}")
            page.wait_for_timeout(500)
            steps = _steps(page, a.steps)
            drag = page.evaluate(DRAG_JS, [a.drag_s, 8])
            page.wait_for_function("() => window.ssbands.impedanceSolves > 0", timeout=30_000)
            imp = page.evaluate(IMPEDANCE_JS, 10)
            n_freq = page.evaluate("() => window.ssbands.lastImpedance.frequency_Hz.length")
            browser.close()
    finally:
        proc.terminate()
        proc.wait(10)
    rendered = drag["rendered"]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"machine: {cpu_model()}, {os.cpu_count()} cores (load average {load0:.1f} at the start, {load:.1f} at the "
          f"end); headless Chromium "
          f"{version}; date {time.strftime('%Y-%m-%d')}; server: `ssbands web` in its own process; stack: Fuller 2021 "
          f"example ({len(steps[-1]['x_nm'])} grid points, 6 layers)\n")
    print("| mode | rendered solves | input → drawn | input → next frame | server solve | server message "
          "(solve + arrays) | sent → reply (page) | page render (decode, 4 plots, tables) |")
    print("|---|---|---|---|---|---|---|---|")
    print(_row("single slider steps (one at a time)", steps, len(steps)))
    print(_row(f"drag: input every 8 ms for {a.drag_s:g} s ({drag['inputs']} inputs, latest rendered)", rendered,
               len(rendered)))
    print("\nAll times in ms as median / p95, measured with performance.now() in the page (input event to drawn) "
          "and time.perf_counter() on the server; the rest of input → drawn is the WebSocket round trip and "
          "scheduling.")
    print(f"\nImpedance panel (the same cell at its last OCV, {n_freq} frequencies, blocking electrodes, circuit fit "
          f"and Lin-KK; {len(imp)} clicks on Update): server {_mp([r['compute_ms'] for r in imp])} ms, click → "
          f"Nyquist and Bode drawn {_mp([r['total_ms'] for r in imp])} ms (median / p95).")
    lat = [s["latency_ms"] for s in steps]
    ok = statistics.median(lat) <= 16 and _pct(lat, 0.95) <= 50
    print(f"\nTarget (single steps, input → drawn): median ≤ 16 ms and p95 ≤ 50 ms: **{'met' if ok else 'MISSED'}** "
          f"(median {statistics.median(lat):.1f} ms, p95 {_pct(lat, 0.95):.1f} ms).")


if __name__ == "__main__":
    main()
