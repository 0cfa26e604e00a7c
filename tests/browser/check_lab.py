"""Run every chapter in a real JupyterLab, in headless Chromium, as a learner would, and check it.

Run after the book build:  python tests/browser/check_lab.py [--book-build _build] [--only 03 08]
Self-test (broken notebooks must fail):  python tests/browser/check_lab.py --selftest

A JupyterLab server (token off, settings and workspaces in a temporary folder, root: a temporary copy
of ``book/`` so nothing is written into the repository) is started; each notebook of ``_toc.yml`` is
opened with ``?reset``, run with Run → Run All Cells, saved (into the copy) and checked:

- no error output (stderr, a traceback, an ``{eval}`` that raised), and Run All reached the end;
- the prose rendered by jupyterlab_myst: no raw MyST visible (a role such as ``{eval}``, ``{cite}``,
  ``{glue``, a directive fence, ``:class:``), no role in the source that JupyterLab does not render
  readably (only ``{eval}`` and the maths roles are), no "Citation Not Found";
- every ``{eval}`` shows a value (jupyterlab_myst's ``user_expressions`` of the saved notebook); with
  ``--book-build``, a value that differs from the web page's is reported (not a failure: some are
  timings);
- every solution (an admonition titled "Solution...") is a closed dropdown that opens on click;
- every explorer's picture changes when each of its sliders moves (the explorer DOM contract:
  ``.gdcourse-explorer`` holding ``.widget-slider``/``input[type=range]`` and a
  ``.gdcourse-explorer-picture``; an output area with an ipywidgets slider and images also counts).

A screenshot of each chapter goes to ``_build/lab-screenshots``. Each notebook's session is deleted
after it is checked, and the server is stopped also when a check fails.
"""
from __future__ import annotations

import argparse
import ast
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import sync_playwright

from check_pages import browser_binary, toc_pages  # one definition, beside the page check

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
RUN_TIMEOUT_S = 900          # one chapter's Run All
REDRAW_TIMEOUT_MS = 15000    # one slider move -> picture changed
# Roles JupyterLab (jupyterlab_myst) renders readably; any other role in a chapter's prose is a failure.
READABLE_ROLES = {"eval", "math", "sub", "sup", "abbr", "kbd"}

SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
        {"fetchNews": "false", "checkForUpdates": False},
}

RENDERED_JS = r"""
() => {
  const problems = [];
  const nb = document.querySelector(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook");
  if (!nb) return {problems: ["no notebook is open"], cells: 0};
  // Error output: stderr streams and errors of code cells.
  for (const el of nb.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'))
    problems.push("error output: " + el.innerText.trim().slice(-1200));
  // Run All must have reached every code cell that has source.
  const unrun = [...nb.querySelectorAll(".jp-CodeCell")].filter(c =>
      c.querySelector(".cm-content") && c.querySelector(".cm-content").innerText.trim() &&
      !/\[\d+\]/.test((c.querySelector(".jp-InputPrompt") || {}).innerText || ""));
  if (unrun.length) problems.push(unrun.length + " code cell(s) not run (Run All stopped early)");
  let cells = 0;
  for (const cell of nb.querySelectorAll(".jp-MarkdownCell")) {
    cells += 1;
    const md = cell.querySelector(".myst") || cell.querySelector(".jp-RenderedMarkdown");
    if (!md) { problems.push("markdown cell not rendered"); continue; }
    if (!cell.querySelector(".myst")) problems.push("markdown cell not rendered by jupyterlab_myst");
    for (const e of md.querySelectorAll('[data-mime-type="application/vnd.jupyter.stderr"]'))
      problems.push("{eval} error in the prose: " + e.innerText.trim().slice(0, 200));
    for (const e of md.querySelectorAll('[title="Citation Not Found"]'))
      problems.push("citation shown as a bare key: " + e.innerText.trim());
    const clone = md.cloneNode(true);
    for (const e of clone.querySelectorAll("pre, code, .MathJax, mjx-container, script, style")) e.remove();
    const text = clone.textContent;
    for (const [what, re] of [["a MyST role", /\{[a-z][\w:-]*\}`/], ["a role name", /\{(eval|cite|glue|doc|ref|numref|term)(:[\w-]+)?\}/],
                              ["a directive fence", /(```|~~~|:::)\s*\{/], ["a directive option", /(^|\n)\s*:(class|name|open):/],
                              ["a MyST target", /(^|\n)\s*\([\w-]+\)=/]]) {
      const m = text.match(re);
      if (m) problems.push("raw MyST visible (" + what + "): " + text.slice(Math.max(0, m.index - 40), m.index + 60).replace(/\s+/g, " "));
    }
    // Solutions: closed dropdowns. An admonition titled "Solution" that is not a <details> is open text.
    for (const adm of md.querySelectorAll(".myst-admonition")) {
      const head = adm.querySelector(".myst-admonition-header-text, .myst-admonition-header");
      const title = head ? head.innerText.trim() : "";
      if (!/^solution/i.test(title)) continue;
      if (adm.tagName !== "DETAILS") problems.push("solution shown without a click: " + title);
      else if (adm.open) problems.push("solution open before a click: " + title);
    }
  }
  return {problems, cells,
          solutions: nb.querySelectorAll("details.myst-admonition").length};
}
"""

# Explorers: the contract's roots, else output areas with an ipywidgets slider (today's explorers).
EXPLORERS_JS = r"""
() => {
  const nb = document.querySelector(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook");
  let roots = [...nb.querySelectorAll(".gdcourse-explorer")];
  roots = roots.filter(r => !roots.some(o => o !== r && o.contains(r)));
  for (const area of nb.querySelectorAll(".jp-OutputArea")) {
    if (roots.some(r => area.contains(r) || r.contains(area))) continue;
    if (area.querySelector(".gdcourse-animation")) continue;   // an animation player, not an explorer
    if (area.querySelector(".widget-slider, input[type=range]")) roots.push(area);
  }
  roots.forEach((r, i) => r.setAttribute("data-lab-check-explorer", String(i)));
  return roots.map(r => r.querySelectorAll(".widget-slider, input[type=range]").length);
}
"""

SIGNATURE_JS = r"""
(root) => {
  const pic = root.querySelector(".gdcourse-explorer-picture") || root;
  const parts = [];
  for (const img of pic.querySelectorAll("img")) parts.push(img.currentSrc || img.src);
  for (const c of pic.querySelectorAll("canvas")) { try { parts.push(c.toDataURL()); } catch (e) { parts.push(String(c.width)); } }
  for (const s of pic.querySelectorAll("svg")) parts.push(s.outerHTML);
  if (pic.classList.contains("gdcourse-explorer-picture")) parts.push(pic.innerText);
  let h = 0;
  const all = parts.join("|");
  for (let i = 0; i < all.length; i++) h = (h * 31 + all.charCodeAt(i)) | 0;
  return all.length + ":" + h;
}
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]




class Lab:
    """A JupyterLab server on a temporary copy of a folder; stopped by ``stop`` (use try/finally)."""

    def __init__(self, folder):
        self.tmp = Path(tempfile.mkdtemp(prefix="check_lab_"))
        self.root = self.tmp / "root"
        shutil.copytree(folder, self.root, ignore=shutil.ignore_patterns(
            "_build", ".ipynb_checkpoints", "__pycache__", ".*"))
        settings = self.tmp / "settings"
        for name, value in SETTINGS.items():
            (settings / name).parent.mkdir(parents=True, exist_ok=True)
            (settings / name).write_text(json.dumps(value), encoding="utf-8")
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, JUPYTERLAB_SETTINGS_DIR=str(settings),
                   JUPYTERLAB_WORKSPACES_DIR=str(self.tmp / "workspaces"),
                   JUPYTER_RUNTIME_DIR=str(self.tmp / "runtime"),
                   JUPYTER_CONFIG_DIR=str(self.tmp / "config"),
                   JUPYTER_DATA_DIR=str(self.tmp / "data"))
        env.pop("MPLBACKEND", None)
        self.log = open(self.tmp / "server.log", "w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={self.port}",
             "--ServerApp.ip=127.0.0.1", "--ServerApp.token=", "--ServerApp.password=",
             "--ServerApp.disable_check_xsrf=True", "--allow-root",
             f"--ServerApp.root_dir={self.root}", f"--LabApp.user_settings_dir={settings}",
             f"--LabApp.workspaces_dir={self.tmp / 'workspaces'}"],
            env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + 120
        while True:
            try:
                urllib.request.urlopen(self.base + "/api/status", timeout=5)
                break
            except OSError:
                if self.proc.poll() is not None or time.time() > deadline:
                    self.stop()
                    raise RuntimeError("JupyterLab did not start:\n" + self.server_log()[-3000:])
                time.sleep(0.3)

    def api(self, path, method="GET"):
        req = urllib.request.Request(self.base + path, method=method)
        with urllib.request.urlopen(req, timeout=30) as r:
            body = r.read()
        return json.loads(body) if body else None

    def delete_sessions(self, path=None):
        for s in self.api("/api/sessions"):
            if path is None or s["path"] == path:
                self.api(f"/api/sessions/{s['id']}", method="DELETE")

    def server_log(self):
        self.log.flush()
        return (self.tmp / "server.log").read_text(encoding="utf-8", errors="replace")

    def stop(self):
        if self.proc.poll() is None:
            try:
                self.delete_sessions()
            except OSError:
                pass
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self.log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


def menu(page, top, item):
    page.click(f'.lm-MenuBar-itemLabel:text-is("{top}")')
    page.click(f'.lm-Menu-itemLabel:text-is("{item}")')


def wait_done(page, timeout_s):
    """Until Run All has finished: every code cell numbered (or an error stopped it), none at [*],
    the same twice in a row half a second apart."""
    deadline = time.time() + timeout_s
    quiet = 0
    while quiet < 2:
        if time.time() > deadline:
            raise PlaywrightTimeout(f"Run All did not finish in {timeout_s} s")
        done = page.evaluate("""() => {
            const nb = document.querySelector(".jp-NotebookPanel:not(.lm-mod-hidden)");
            if (!nb) return false;
            const prompts = [...nb.querySelectorAll(".jp-CodeCell")].filter(c =>
                (c.querySelector(".cm-content") || {innerText: ""}).innerText.trim())
                .map(c => (c.querySelector(".jp-InputPrompt") || {textContent: ""}).textContent);
            if (prompts.some(p => p.includes("*"))) return false;
            const failed = [...nb.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')]
                .some(e => /Error|Traceback/.test(e.innerText));
            return failed || prompts.every(p => /\[\d+\]/.test(p));
        }""")
        quiet = quiet + 1 if done else 0
        page.wait_for_timeout(500)


def kernel_ready(page):
    page.wait_for_function("""() => /\\| Idle/.test((document.querySelector(".jp-StatusBar-Widget")
                                                      || document.body).innerText)""", timeout=120000)


def source_problems(nb):
    """Roles in the prose that JupyterLab does not render readably, and the {eval} count."""
    unreadable, evals = {}, 0
    for cell in nb["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        text = "".join(cell["source"])
        text = re.sub(r"(?ms)^(`{3,}|~{3,})(?!\s*\{).*?^\1", "", text)   # code blocks
        for m in re.finditer(r"\{([a-z][\w-]*)(:[\w-]+)?\}`", text):
            if m.group(1) == "eval":
                evals += 1
            elif m.group(1) not in READABLE_ROLES:
                unreadable.setdefault(m.group(0)[:-1], []).append(cell.get("id"))
    problems = [f"role {role} ({len(ids)}x, cells {', '.join(sorted(set(ids)))}): "
                "JupyterLab does not render it readably" for role, ids in unreadable.items()]
    return problems, evals


def _value(result):
    text = "".join(result.get("data", {}).get("text/plain", ""))
    try:
        return str(ast.literal_eval(text))
    except (SyntaxError, ValueError):
        return text


def eval_problems(nb, expected_count, book_values):
    """Every {eval} evaluated to a value; differences from the web page's values as notes."""
    problems, notes, got = [], [], []
    for cell in nb["cells"]:
        for ue in cell.get("metadata", {}).get("user_expressions", []) if cell["cell_type"] == "markdown" else []:
            result = ue.get("result", {})
            if result.get("status") != "ok":
                problems.append(f"{{eval}}`{ue.get('expression')}` raised "
                                f"{result.get('ename')}: {result.get('evalue')}")
            elif not result.get("data"):
                problems.append(f"{{eval}}`{ue.get('expression')}` shows no value")
            got.append((ue.get("expression"), _value(result)))
    if len(got) < expected_count:
        problems.append(f"{expected_count - len(got)} of {expected_count} {{eval}} roles show no value")
    if book_values is not None and len(book_values) == len(got):
        for (name, lab), (_, web) in zip(got, book_values):
            if web is not None and lab != web:
                notes.append(f"{{eval}}`{name}` is {lab!r} in JupyterLab, {web!r} on the web page")
    return problems, notes


def check_explorers(page, problems):
    counts = page.evaluate(EXPLORERS_JS)
    for i, n_sliders in enumerate(counts):
        root = page.locator(f'[data-lab-check-explorer="{i}"]')
        if n_sliders == 0:
            problems.append(f"explorer {i + 1}: no slider")
        for j in range(n_sliders):
            slider = root.locator(".widget-slider, input[type=range]").nth(j)
            slider.scroll_into_view_if_needed()
            handle = slider.locator(".noUi-handle")
            target = handle.first if handle.count() else slider
            at_max = target.evaluate("""e => e.tagName === 'INPUT' ? Number(e.value) >= Number(e.max)
                : e.getAttribute('aria-valuenow') === e.getAttribute('aria-valuemax')""")
            before = root.evaluate(SIGNATURE_JS)
            target.focus()
            page.keyboard.press("ArrowLeft" if at_max else "ArrowRight")
            try:
                page.wait_for_function(
                    f"""(before) => {{ const r = document.querySelector('[data-lab-check-explorer="{i}"]');
                        return r && ({SIGNATURE_JS})(r) !== before; }}""",
                    arg=before, timeout=REDRAW_TIMEOUT_MS, polling=100)
            except PlaywrightTimeout:
                problems.append(f"explorer {i + 1}: the picture did not change when slider {j + 1} moved")
    return len(counts)


def open_notebook(lab, page, rel):
    """Open ``rel`` as the only tab: from the file browser once JupyterLab is loaded (a reload per
    chapter costs seconds), else by its URL with ``?reset`` (no restored workspace)."""
    name = Path(rel).name
    listed = page.locator(".jp-DirListing-item .jp-DirListing-itemText", has_text=name)
    if "/" not in rel and page.url.startswith(lab.base) and listed.count():
        menu(page, "File", "Close All Tabs")
        page.wait_for_function("() => !document.querySelector('.jp-NotebookPanel')", timeout=30000)
        listed.first.dblclick()
    else:
        page.goto(f"{lab.base}/lab/tree/{rel}?reset")
    page.wait_for_function("""(name) => { const t = document.querySelector(
        '.lm-DockPanel .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel'); return t && t.textContent === name; }""",
        arg=name, timeout=120000)
    page.wait_for_selector(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell", timeout=120000)
    kernel_ready(page)


def check_notebook(lab, page, rel, shots, book_values):
    problems, notes = [], []
    t0 = time.time()
    open_notebook(lab, page, rel)
    open_s = time.time() - t0
    start = time.time()
    menu(page, "Run", "Run All Cells")
    wait_done(page, RUN_TIMEOUT_S)
    run_s = time.time() - start
    page.wait_for_timeout(500)
    found = page.evaluate(RENDERED_JS)
    problems += found["problems"]
    # The saved copy holds what jupyterlab_myst evaluated for each {eval}.
    menu(page, "File", "Save Notebook")
    page.wait_for_function("() => !document.querySelector('.jp-mod-dirty')", timeout=30000)
    saved = lab.api(f"/api/contents/{rel}?content=1")["content"]
    src_problems, n_evals = source_problems(saved)
    problems += src_problems
    p, notes = eval_problems(saved, n_evals, book_values)
    problems += p
    # A solution opens on click.
    first = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) details.myst-admonition > summary").first
    if found["solutions"]:
        first.scroll_into_view_if_needed()
        first.click()
        if not first.evaluate("s => s.parentElement.open"):
            problems.append("a solution did not open on click")
        first.click()
    t_explore = time.time()
    explorers = check_explorers(page, problems)
    explore_s = time.time() - t_explore
    page.evaluate("""() => { const s = document.querySelector(
        '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-outer'); if (s) s.scrollTop = 0; }""")
    if shots:
        page.screenshot(path=str(shots / (Path(rel).stem + ".png")))
    lab.delete_sessions(rel)
    return problems, notes, {"open_s": open_s, "run_s": run_s, "explore_s": explore_s,
                             "evals": n_evals, "solutions": found["solutions"], "explorers": explorers}


def toc_notebooks(toc_file):
    """The notebooks of ``toc_file`` in reading order (its Markdown pages left out)."""
    return [f for f in toc_pages(toc_file) if (ROOT / (f + ".ipynb")).exists()]


def check_lab(folder, notebooks, shots=None, book_build=None, quiet=False):
    """Check ``notebooks`` (paths relative to ``folder``); returns {notebook: problems}."""
    if shots:
        shots.mkdir(parents=True, exist_ok=True)
    results = {}
    lab = Lab(folder)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=browser_binary(),
                                         args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1280, "height": 1600})
            for rel in notebooks:
                book_values = None
                if book_build:
                    f = Path(book_build) / "jupyter_execute" / Path(folder).name / (Path(rel).stem + ".eval.json")
                    book_values = json.loads(f.read_text(encoding="utf-8")) if f.exists() else None
                t0 = time.time()
                try:
                    problems, notes, info = check_notebook(lab, page, rel, shots, book_values)
                except PlaywrightTimeout as exc:
                    problems, notes, info = [f"timed out: {str(exc).splitlines()[0]}"], [], {}
                    page.screenshot(path=str((shots or lab.tmp.parent) / (Path(rel).stem + "-timeout.png")))
                    lab.delete_sessions(rel)
                results[rel] = problems
                if not quiet:
                    status = "ok" if not problems else f"{len(problems)} problem(s)"
                    extra = ", ".join(f"{k} {v:.1f}" if isinstance(v, float) else f"{k} {v}"
                                      for k, v in info.items())
                    print(f"check_lab: {rel}: {status} ({extra}; total {time.time() - t0:.1f} s)", flush=True)
                    for p in problems:
                        print(f"    FAIL {p}", flush=True)
                    for n in notes:
                        print(f"    note {n}", flush=True)
            browser.close()
    finally:
        lab.stop()
    return results


def _nb(cells):
    def cell(kind, source, i):
        c = {"cell_type": kind, "id": f"s{i}", "metadata": {}, "source": source}
        if kind == "code":
            c.update(execution_count=None, outputs=[])
        return c
    return {"cells": [cell(k, s, i) for i, (k, s) in enumerate(cells)],
            "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                         "language_info": {"name": "python"}},
            "nbformat": 4, "nbformat_minor": 5}


EXPLORER = """import ipywidgets as w
pic = w.HTML("<b>η = 1</b>").add_class("gdcourse-explorer-picture")
lr = w.IntSlider(value=1, min=0, max=5, description="η")
{observe}
w.VBox([lr, pic]).add_class("gdcourse-explorer")"""

SELFTEST = {
    "good.ipynb": (None, [
        ("code", "best = 'Adam'\nn_steps = 42"),
        ("markdown", "# Good\n\n**{eval}`best`** wins after {eval}`n_steps` steps, "
                     "as in ([Ruder, 2016](references.md#cite-ruder2016overview)).\n\n"
                     "```{admonition} Solution\n:class: dropdown\nIt is {eval}`best`.\n```"),
        ("code", EXPLORER.format(observe="lr.observe(lambda c: setattr(pic, 'value', f'<b>η = {c.new}</b>'), 'value')")),
    ]),
    "error.ipynb": ("error output", [("markdown", "# Error"), ("code", "1 / 0")]),
    "raw_role.ipynb": ("role {glue:text}", [("markdown", "# Raw\n\nThe loss is {glue:text}`loss:.2f`.")]),
    "raw_cite.ipynb": ("citation shown as a bare key", [("markdown", "# Cite\n\nAs in {cite}`ruder2016overview`.")]),
    "no_value.ipynb": ("{eval}`missing` raised", [("markdown", "# Eval\n\nIt took {eval}`missing` steps.")]),
    "open_solution.ipynb": ("solution shown without a click",
                            [("markdown", "# Solution\n\n```{admonition} Solution\nThe answer.\n```")]),
    "dead_explorer.ipynb": ("did not change", [("code", EXPLORER.format(observe=""))]),
}


def selftest():
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "book"
        folder.mkdir()
        for name, (_, cells) in SELFTEST.items():
            (folder / name).write_text(json.dumps(_nb(cells)), encoding="utf-8")
        results = check_lab(folder, list(SELFTEST), quiet=not os.environ.get("CHECK_LAB_VERBOSE"))
    failures = []
    for name, (expected, _) in SELFTEST.items():
        problems = results.get(name, ["not checked"])
        if expected is None and problems:
            failures.append(f"{name} should pass, got: {problems}")
        elif expected is not None and not any(expected in p for p in problems):
            failures.append(f"{name} should fail with {expected!r}, got: {problems}")
    if failures:
        print("check_lab selftest FAILED:\n  " + "\n  ".join(failures))
        return 1
    print(f"check_lab selftest: ok ({len(SELFTEST) - 1} broken notebooks caught, the good one passes)")
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--toc", default=ROOT / "_toc.yml", type=Path)
    parser.add_argument("--only", nargs="*", default=None,
                        help="check only notebooks whose file name starts with one of these")
    parser.add_argument("--shots", default=ROOT / "_build" / "lab-screenshots", type=Path)
    parser.add_argument("--book-build", default=None, type=Path,
                        help="a built book's _build folder: compare {eval} values with the web page's")
    parser.add_argument("--jobs", type=int, default=1,
                        help="check the chapters in this many JupyterLab servers at once (one kernel each)")
    parser.add_argument("--shard", default=None, help=argparse.SUPPRESS)   # i/n: the i-th of n slices
    parser.add_argument("--selftest", action="store_true")
    args = parser.parse_args()
    # A CI timeout's SIGTERM unwinds like an error: the finally blocks stop the servers and kernels.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.selftest:
        return selftest()
    if args.jobs > 1:
        argv, skip = [], False
        for a in sys.argv[1:]:
            if skip or a == "--jobs" or a.startswith("--jobs="):
                skip = a == "--jobs"
                continue
            argv.append(a)
        t0 = time.time()
        procs = [subprocess.Popen([sys.executable, __file__, *argv, "--shard", f"{i}/{args.jobs}"])
                 for i in range(args.jobs)]
        codes = [p.wait() for p in procs]
        print(f"check_lab: {args.jobs} jobs in {time.time() - t0:.0f} s, "
              f"{'ok' if not any(codes) else 'problems found (above)'}")
        return 1 if any(codes) else 0
    files = toc_notebooks(args.toc)
    folder = ROOT / Path(files[0]).parent
    notebooks = [Path(f).name + ".ipynb" for f in files if Path(f).parent == Path(files[0]).parent]
    if args.only:
        notebooks = [n for n in notebooks if any(n.startswith(p) for p in args.only)]
    if args.shard:
        i, n = map(int, args.shard.split("/"))
        notebooks = notebooks[i::n]
    t0 = time.time()
    results = check_lab(folder, notebooks, args.shots, args.book_build)
    bad = {n: p for n, p in results.items() if p}
    print(f"check_lab: {len(results)} notebooks in {time.time() - t0:.0f} s, "
          f"{len(bad)} with problems; screenshots in {args.shots}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
