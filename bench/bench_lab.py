"""Keydown on an explorer's slider -> its picture changed, in a real JupyterLab (median per chapter).

Starts JupyterLab headless on the repository's ``book/`` (token off, its own settings and
workspaces in a temporary folder, notebook windowing off so every cell is in the page), opens
each chapter in headless Chromium, runs all its cells, and then, for every slider of every
explorer in the chapter: puts the slider at its maximum, and times alternating ArrowLeft /
ArrowRight presses from the keydown (a capturing listener) to the first change under
``.gdcourse-explorer-picture`` (a MutationObserver). The kernels import the package from this
checkout (``PYTHONPATH``). The server is stopped on every path.

Run: ``python bench/bench_lab.py [chapter-prefix ...]``, e.g. ``python bench/bench_lab.py 03 13``.
Chromium: ``$CHROMIUM`` or ``/usr/bin/chromium``. Goal: median <= 50 ms per chapter.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
PRESSES = 16

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


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(url, seconds=90):
    end = time.time() + seconds
    while time.time() < end:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"JupyterLab did not answer at {url} within {seconds} s")


def start_lab(tmp):
    settings = Path(tmp) / "settings"
    (settings / "@jupyterlab" / "notebook-extension").mkdir(parents=True)
    (settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings").write_text(
        json.dumps({"windowingMode": "none"}))
    port = _free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1", JUPYTERLAB_SETTINGS_DIR=str(settings),
               JUPYTERLAB_WORKSPACES_DIR=str(Path(tmp) / "workspaces"))
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ServerApp.token=",
           "--ServerApp.password=", "--ServerApp.disable_check_xsrf=True", "--allow-root", f"--ServerApp.root_dir={BOOK}",
           f"--LabApp.user_settings_dir={settings}", f"--LabApp.workspaces_dir={Path(tmp) / 'workspaces'}"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    return proc, f"http://127.0.0.1:{port}"


def stop_lab(proc):
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def _delete_sessions(base):
    with urllib.request.urlopen(f"{base}/api/sessions") as r:
        sessions = json.load(r)
    for s in sessions:
        urllib.request.urlopen(urllib.request.Request(f"{base}/api/sessions/{s['id']}", method="DELETE"))


def run_all(page, base, name, timeout=600):
    page.goto(f"{base}/lab/tree/{name}?reset")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60000)
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60000)
    page.click(".lm-MenuBar-item:has-text('Run')", timeout=10000)
    page.click("li[data-command='runmenu:run-all']", timeout=10000)
    end = time.time() + timeout
    time.sleep(2)
    while time.time() < end:
        busy = page.evaluate("[...document.querySelectorAll('.jp-InputPrompt')].some(p => p.textContent.includes('*'))")
        if not busy:
            break
        time.sleep(1)
    else:
        raise RuntimeError(f"{name}: still running after {timeout} s")
    page.wait_for_selector(".gdcourse-explorer input[type=range]", timeout=30000)


def time_slider(page, slider, presses=PRESSES):
    """Keydown -> picture for one slider at its maximum (the others at their defaults); then back to its default."""
    start = slider.input_value()
    slider.focus()
    slider.press("End")
    page.wait_for_timeout(400)          # the first move may compute; it is not what is timed
    slider.evaluate(_ARM)
    for k in range(presses):
        slider.press("ArrowLeft" if k % 2 == 0 else "ArrowRight")
        page.wait_for_function("window.__gdx.t0 === null", timeout=5000)
        page.wait_for_timeout(30)
    times = page.evaluate("window.__gdx.times")
    slider.evaluate("(el, v) => { el.value = v; el.dispatchEvent(new Event('input')); }", start)
    page.wait_for_timeout(300)
    return times


def bench(chapters, chromium):
    from playwright.sync_api import sync_playwright

    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        proc, base = start_lab(tmp)
        try:
            _wait_for(f"{base}/api/status")
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
                try:
                    page = browser.new_page(viewport={"width": 1300, "height": 1000})
                    for name in chapters:
                        try:
                            run_all(page, base, name)
                            times = {}
                            sliders = page.query_selector_all(".gdcourse-explorer input[type=range]")
                            for s in sliders:
                                label = s.get_attribute("aria-label")
                                times[label] = time_slider(page, s)
                            results[name] = times
                            allt = [t for ts in times.values() for t in ts]
                            worst = max(times, key=lambda k: statistics.median(times[k]))
                            if "-v" in sys.argv:
                                for label, ts in times.items():
                                    print(f"    {label:60s} {statistics.median(ts):6.1f} ms  (n = {len(ts)})")
                            print(f"{name:36s} median {statistics.median(allt):6.1f} ms over {len(sliders)} sliders; "
                                  f"slowest slider: {worst} ({statistics.median(times[worst]):.1f} ms)", flush=True)
                        except Exception as err:  # one chapter's failure is reported, the others still run
                            print(f"{name:36s} FAILED: {err}", flush=True)
                        finally:
                            _delete_sessions(base)
                finally:
                    browser.close()
        finally:
            stop_lab(proc)
    return results


if __name__ == "__main__":
    wanted = [a for a in sys.argv[1:] if a != "-v"]
    names = sorted(p.name for p in BOOK.glob("*.ipynb") if not wanted or any(p.name.startswith(w) for w in wanted))
    bench(names, os.environ.get("CHROMIUM", "/usr/bin/chromium"))
