"""Keydown on an explorer's slider -> its picture changed, in a real JupyterLab (median per chapter).

Starts JupyterLab as the JupyterLab check does (``tests/browser/check_lab.py``: a temporary copy
of ``book/``, its own settings, notebook windowing off so every cell is in the page), opens each
chapter of ``_toc.yml`` in headless Chromium, runs all its cells, and then, for every slider of every
explorer in the chapter, times from the keydown (a capturing listener) to the first change under
``.gdcourse-explorer-picture`` (a MutationObserver):

- jumps, first: Home from the maximum to the minimum, the slider put back at its maximum untimed
  each time. The minimum was not sent ahead (unless the slider's default is next to it), so this
  is keydown -> the kernel's answer drawn;
- steps: ArrowLeft presses down from the maximum, each to a setting not visited before (back up with
  ArrowRight on a slider with few values), a tenth of a second apart as a person presses. A step of
  one is drawn from what the kernel sent ahead (``gdcourse/explorers/live.py``).

The kernels import the package from this checkout (``PYTHONPATH``) or the installed one. The server
is stopped on every path.

Run: ``python bench/bench_lab.py [-v] [chapter-prefix ...]``, e.g. ``python bench/bench_lab.py -v 03 13``
(``-v``: every slider's medians). Goal: median <= 50 ms for every slider.
"""
from __future__ import annotations

import statistics
import sys
from pathlib import Path

from playwright.sync_api import TimeoutError as PlaywrightTimeout, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
sys.path.insert(0, str(ROOT / "tests" / "browser"))
from check_lab import RUN_TIMEOUT_S, Lab, menu, open_notebook, toc_notebooks, wait_done  # noqa: E402
from check_pages import browser_binary  # noqa: E402
PRESSES = 16
JUMPS = 6

_ARM = """(el) => {
  const pic = el.closest('.gdcourse-explorer').querySelector('.gdcourse-explorer-picture');
  window.__gdx = {t0: null, times: []};
  if (window.__gdxObs) window.__gdxObs.disconnect();
  window.__gdxObs = new MutationObserver(() => {
    const s = window.__gdx;
    if (s.t0 !== null) { s.times.push(performance.now() - s.t0); s.t0 = null; }
  });
  window.__gdxObs.observe(pic, {childList: true, subtree: true, characterData: true, attributes: true});
  if (!window.__gdxKey) {
    window.__gdxKey = true;
    document.addEventListener('keydown', () => { if (window.__gdx) window.__gdx.t0 = performance.now(); }, true);
  }
}"""


def run_all(lab, page, name):
    """Open ``name`` as the only tab, Run All, save (the copy, so that its tab closes without asking);
    whether an explorer was drawn (a chapter may have none)."""
    open_notebook(lab, page, name)
    menu(page, "Run", "Run All Cells")
    wait_done(page, RUN_TIMEOUT_S)
    menu(page, "File", "Save Notebook")
    page.wait_for_function("() => !document.querySelector('.jp-mod-dirty')", timeout=30000)
    try:
        page.wait_for_selector(".gdcourse-explorer input[type=range]", timeout=15000)
    except PlaywrightTimeout:
        return False
    return True


_SET = "(el, v) => { el.value = v; el.dispatchEvent(new Event('input')); }"


def time_slider(page, slider, presses=PRESSES, jumps=JUMPS):
    """Keydown -> picture for one slider at its maximum (the others at their defaults): ``(steps, jumps)``
    in ms, Home jumps (the kernel's answer; first, while the minimum has not been visited) and
    arrow-key steps; then the slider goes back to its default."""
    start = slider.input_value()
    top = slider.get_attribute("max")
    slider.focus()
    slider.press("End")
    page.wait_for_timeout(400)          # the first move may compute; it is not what is timed
    far = int(top) > 2                  # with three values or fewer, the minimum is a step away
    slider.evaluate(_ARM)
    for _ in range(jumps if far else 0):
        slider.evaluate(_SET, top)      # no keydown: not timed
        page.wait_for_timeout(300)
        slider.press("Home")
        page.wait_for_function("window.__gdx.t0 === null", timeout=5000)
    jumped = page.evaluate("window.__gdx.times") if far else []
    slider.evaluate(_SET, top)
    page.wait_for_timeout(300)
    slider.evaluate(_ARM)
    for k in range(presses):
        down = (k // int(top)) % 2 == 0       # down from the maximum, then back up
        slider.press("ArrowLeft" if down else "ArrowRight")
        page.wait_for_function("window.__gdx.t0 === null", timeout=5000)
        page.wait_for_timeout(100)
    steps = page.evaluate("window.__gdx.times")
    slider.evaluate(_SET, start)
    page.wait_for_timeout(300)
    return steps, jumped


def bench(chapters, verbose=False):
    """{chapter: {slider label: [ms, ...]}}; prints each chapter's medians as it goes."""
    results = {}
    lab = Lab(BOOK)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=browser_binary(), args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1300, "height": 1000})
            for name in chapters:
                try:
                    if not run_all(lab, page, name):
                        print(f"{name:36s} no explorer", flush=True)
                        continue
                    times = {s.get_attribute("aria-label"): time_slider(page, s)
                             for s in page.query_selector_all(".gdcourse-explorer input[type=range]")}
                except Exception as err:  # one chapter's failure is reported, the others still run
                    print(f"{name:36s} FAILED: {str(err).splitlines()[0]}", flush=True)
                    continue
                finally:
                    lab.delete_sessions()
                results[name] = times
                medians = {label: statistics.median(st) for label, (st, _) in times.items()}
                if verbose:
                    for label, (st, ju) in times.items():
                        jump = f"{statistics.median(ju):6.1f} ms" if ju else "     -   "
                        print(f"    {label:60s} step {medians[label]:6.1f} ms, jump {jump}  (n = {len(st)}, {len(ju)})")
                worst = max(medians, key=medians.get)
                steps = [t for st, _ in times.values() for t in st]
                jumps = [t for _, ju in times.values() for t in ju]
                print(f"{name:36s} step median {statistics.median(steps):6.1f} ms over {len(times)} sliders "
                      f"(slowest slider {medians[worst]:.1f} ms: {worst}); "
                      f"jump median {statistics.median(jumps) if jumps else float('nan'):6.1f} ms", flush=True)
            browser.close()
    finally:
        lab.stop()
    return results


if __name__ == "__main__":
    wanted = [a for a in sys.argv[1:] if a != "-v"]
    names = [Path(n).name + ".ipynb" for n in toc_notebooks(ROOT / "_toc.yml")
             if not wanted or any(Path(n).name.startswith(w) for w in wanted)]
    bench(names, verbose="-v" in sys.argv)
