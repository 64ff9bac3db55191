"""Benchmark of the workshop app: run-to-result time and time to first render.

1. State level: from pressing run (``WorkshopState.start_run``) to updated indicator
   cards with paired intervals, at the default interactive scale, for a design the
   cache has not seen (the baseline runs are warm, as after server start), pressed at
   once after the change; and pressed 1 s after it (the run pool may have run it ahead).
2. Full population: the design against its baseline on paired seeds at scale 1.0
   (baseline cached, as after one full run), with the progress reports counted.
3. Browser (if /usr/bin/chromium exists): time to first render (page opened until the
   map canvas is visible) and from clicking ▶ to the "Klaar" message with cards, timed in
   the page (the click event to the first paint with both in the DOM and visible) and, as a
   check from outside, from Playwright's mouse click until it sees that paint; pressed at
   once after adding an offer, and 1 s after it.

The server's run pool (:mod:`apps.components.pool`, ``LEERECO_WORKSHOP_WORKERS`` workers,
3 by default) is started by the warm-up, as ``python -m apps.server`` starts it; 1 and 2
run through it. Prints a table and writes ``benchmarks/results/workshop.json`` with the
load average (the machine is shared: read the figures against it).
"""
from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from results_file import write_results  # noqa: E402  (benchmarks/ is on sys.path when run as a script)
sys.path.insert(0, str(ROOT / "tests"))
if "LEERECO_VAR_DIR" not in os.environ:  # the run pool's workers import this file again: one folder, made once
    os.environ["LEERECO_VAR_DIR"] = tempfile.mkdtemp(prefix="bench-workshop-")


def bench_state_after_a_pause(repeats: int = 5, pause_s: float = 1.0) -> dict:
    """As :func:`bench_state`, but the run is pressed ``pause_s`` after the change (a table looks first)."""
    from apps.components.state import WorkshopState

    state = WorkshopState()
    row = state.genk.venues.loc["regina_mundi"]
    times = []
    for i in range(repeats):
        state.choose_point(float(row["x"]) + 100 * (i + 1), float(row["y"]) + 120)
        state.add_offer(title=f"pause {i}", themes=["kweken_en_natuur"], capacity_per_week=8 + i)
        time.sleep(pause_s)
        t = time.perf_counter()
        state.start_run().result(timeout=120)
        assert state.cards() and all(c.interval_text for c in state.cards())
        times.append(time.perf_counter() - t)
    return {"pause_s": pause_s, "run_to_cards_s": times, "run_to_cards_median_s": statistics.median(times)}


def bench_state(repeats: int = 5) -> dict:
    from apps.components.state import DEFAULT_SCALE, DEFAULT_SEEDS, WorkshopState
    from apps.workshop import warm_server

    t0 = time.perf_counter()
    warm_server()
    warm = time.perf_counter() - t0
    state = WorkshopState()
    row = state.genk.venues.loc["regina_mundi"]
    times = []
    for i in range(repeats):
        state.choose_point(float(row["x"]) + 100 * (i + 1), float(row["y"]))  # a new design each time: no cache hit
        state.add_offer(title=f"bench {i}", themes=["eten"], capacity_per_week=10 + i)
        t = time.perf_counter()
        state.start_run().result(timeout=120)
        cards = state.cards()
        assert cards and all(c.interval_text for c in cards), "no cards with intervals after the run"
        times.append(time.perf_counter() - t)
    return {"warm_up_s": warm, "population_scale": DEFAULT_SCALE, "seeds": DEFAULT_SEEDS,
            "run_to_cards_s": times, "run_to_cards_median_s": statistics.median(times)}


def bench_full(repeats: int = 2) -> dict:
    """Full population: design against baseline on paired seeds, with progress (baseline cached)."""
    from apps.components.state import WorkshopState, baseline_for
    from apps.components.runs import cached_run

    state = WorkshopState()
    seeds = state.runs.seeds(state.n_seeds)
    base = baseline_for(state.scenario)
    t = time.perf_counter()
    for seed in seeds:
        cached_run(base, seed, base.run.weeks, 1.0)
    baseline_s = time.perf_counter() - t
    row = state.genk.venues.loc["regina_mundi"]
    times, reports = [], []
    for i in range(repeats):
        state.choose_point(float(row["x"]) - 150 * (i + 1), float(row["y"]))
        state.add_offer(title=f"full {i}", themes=["ontspanning"], capacity_per_week=12 + i)
        seen = []
        watcher = state.runs.param.watch(lambda *e: seen.append(state.status_text()), ["progress", "run_index"])
        t = time.perf_counter()
        state.start_run(full=True).result(timeout=600)
        times.append(time.perf_counter() - t)
        state.runs.param.unwatch(watcher)
        assert state.paired is not None and state.cards()
        reports.append(len([x for x in seen if x]))
    return {"seeds": len(seeds), "baseline_uncached_s": baseline_s, "design_vs_baseline_s": times,
            "design_vs_baseline_median_s": statistics.median(times), "progress_reports": reports}


# In the page: the time of the click on the run button (its event's timeStamp, seen by a capturing listener:
# the button sits in a shadow root, and a click is composed) and of the first paint after the "Klaar:"
# message and the cards' change against the baseline are both in the DOM and visible (checked every
# animation frame, shadow roots included; that walk costs the page a little, so the figure errs high; the
# setTimeout after the frame's callbacks runs once that frame is painted).
RUN_LABEL = "▶ Simuleer de pilootperiode"
_IN_PAGE_TIMER = """([label, texts]) => {
  const w = window;
  w.__leerecoClick = undefined; w.__leerecoDone = undefined;
  const shown = () => {
    const seen = texts.map(() => false);
    const visit = (root) => {
      for (const el of root.querySelectorAll("*")) {
        if (!el.shadowRoot) continue;
        const t = el.shadowRoot.textContent;
        texts.forEach((x, i) => { if (!seen[i] && t.includes(x) && el.checkVisibility()) seen[i] = true; });
        if (seen.every(Boolean)) return;
        visit(el.shadowRoot);
      }
    };
    visit(document);
    return seen.every(Boolean);
  };
  if (shown()) return false;  // the page must not show them before the run
  document.addEventListener("click", (e) => {
    if (w.__leerecoClick === undefined && e.composedPath().some((n) => n.tagName === "BUTTON" && n.textContent.includes(label)))
      w.__leerecoClick = e.timeStamp;  // when the click happened (before its dispatch), on performance.now()'s clock
  }, true);
  const tick = () => {
    if (w.__leerecoClick !== undefined && shown()) { setTimeout(() => { w.__leerecoDone = performance.now(); }, 0); return; }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  return true;
}"""


def bench_browser(repeats: int = 7, pause_s: float = 0.0) -> dict | None:
    """Chromium: first render, and run -> cards: in the page (the click event to the paint) and, as a check
    from outside, from Playwright's mouse click until it sees the page's timer stop (polled every
    animation frame). Playwright's ``get_by_text(...).wait_for()`` is not used for timing: it re-checks
    with growing pauses (up to 500 ms), which put 0.3 s of its own on the figure measured before.
    ``pause_s`` waits that long between adding the offer and pressing run (the pool may run it meanwhile)."""
    from browser_support import chromium, chromium_available, new_page, served_workshop, wait_for_map

    if not chromium_available():
        return None
    out = {"pause_s": pause_s, "first_render_s": [], "run_to_cards_s": [], "run_to_cards_outside_s": []}
    with served_workshop() as url, chromium() as browser:
        for i in range(repeats):
            context, page = new_page(browser, (1600, 1000))
            t = time.perf_counter()
            page.goto(url)
            wait_for_map(page)
            out["first_render_s"].append(time.perf_counter() - t)
            canvas = page.locator("canvas").first.bounding_box()
            page.mouse.click(canvas["x"] + canvas["width"] * (0.4 + 0.05 * i), canvas["y"] + canvas["height"] * 0.5)
            page.get_by_text("Gekozen plek:").first.wait_for()
            page.get_by_role("button", name="✚ Voeg aanbod toe op de gekozen plek").click()
            page.get_by_text("toegevoegd").first.wait_for()
            assert page.evaluate(_IN_PAGE_TIMER, [RUN_LABEL, ["Klaar:", "t.o.v. vandaag (basis)"]]), "cards shown before the run"
            button = page.get_by_role("button", name=RUN_LABEL)
            box = button.bounding_box()  # found before the clock starts: a user's click needs no locating
            time.sleep(pause_s)
            t = time.perf_counter()
            page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            page.wait_for_function("() => window.__leerecoDone !== undefined", polling="raf")
            out["run_to_cards_outside_s"].append(time.perf_counter() - t)
            out["run_to_cards_s"].append(page.evaluate("() => (window.__leerecoDone - window.__leerecoClick) / 1000"))
            page.get_by_text("Klaar:").first.wait_for()  # and Playwright sees both, visible (not timed)
            page.get_by_text("t.o.v. vandaag (basis)").first.wait_for()
            context.close()
    for key in ("first_render", "run_to_cards", "run_to_cards_outside"):
        out[f"{key}_median_s"] = statistics.median(out[f"{key}_s"])
    return out


def main() -> None:
    load_at_start = list(os.getloadavg())
    state = bench_state()
    paused = bench_state_after_a_pause()
    full = bench_full()
    browser = bench_browser()
    browser_paused = bench_browser(repeats=5, pause_s=1.0)
    from apps.components.pool import current_pool

    pool = current_pool()
    results = {"state": state, "state_after_a_pause": paused, "full_population": full, "browser": browser, "browser_after_a_pause": browser_paused, "cpu_count": os.cpu_count(),
               "run_pool_workers": pool.workers if pool is not None else 0,
               "load_average_at_start_1_5_15": load_at_start,
               "load_average_1_5_15": list(os.getloadavg())}  # the machine is shared: read the figures against it
    print(f"{'measure':<52}{'median (s)':>12}  runs")
    print(f"{'server warm-up (geography, network, baseline)':<52}{state['warm_up_s']:>12.2f}")
    print(f"{'state: run pressed -> cards (scale %.2f, %d seeds)' % (state['population_scale'], state['seeds']):<52}"
          f"{state['run_to_cards_median_s']:>12.2f}  {', '.join(f'{t:.2f}' for t in state['run_to_cards_s'])}")
    print(f"{'state: run pressed %.0f s after the change -> cards' % paused['pause_s']:<52}"
          f"{paused['run_to_cards_median_s']:>12.2f}  {', '.join(f'{t:.2f}' for t in paused['run_to_cards_s'])}")
    print(f"{'full population: design vs baseline (%d paired seeds)' % full['seeds']:<52}"
          f"{full['design_vs_baseline_median_s']:>12.2f}  {', '.join(f'{t:.2f}' for t in full['design_vs_baseline_s'])}"
          f"  (progress reports {full['progress_reports']}; baseline uncached {full['baseline_uncached_s']:.1f} s)")
    if browser:
        print(f"{'browser: first render (page open -> map visible)':<52}{browser['first_render_median_s']:>12.2f}  "
              f"{', '.join(f'{t:.2f}' for t in browser['first_render_s'])}")
        for label, b in (("", browser), (" 1 s after the change", browser_paused)):
            print(f"{'browser: click run%s -> cards painted' % label:<52}{b['run_to_cards_median_s']:>12.2f}  "
                  f"{', '.join(f'{t:.2f}' for t in b['run_to_cards_s'])}")
            print(f"{'  from outside (mouse click -> timer seen)':<52}{b['run_to_cards_outside_median_s']:>12.2f}  "
                  f"{', '.join(f'{t:.2f}' for t in b['run_to_cards_outside_s'])}")
    write_results("workshop", results)


if __name__ == "__main__":
    main()
