"""Check the plain-Jupyter edition and the launch links of the built book.

Run after the book build:  python tests/browser/check_plain.py [_build] [--chapters 00_introduction 03_momentum]
Self-test (a broken edition must fail):  python tests/browser/check_plain.py --selftest

- Every notebook of the plain edition (``_build/plain``, written by ``book/_ext/plain_edition.py``):
  no MyST role, directive, option or target left in its prose, every ``{eval}`` written in, the
  Colab install cell kept.
- The built pages and the edition: no placeholder host (example.org and the like) anywhere, and no
  JupyterHub button unless ``launch_buttons.jupyterhub_url`` is set; the download button serves the
  plain edition.
- Two chapters (``--chapters``) rendered by a plain Markdown renderer (nbconvert's HTML export) and
  opened in headless Chromium: no raw MyST or unresolved value visible, every solution a folded
  ``<details>`` whose content is hidden until its summary is clicked. Screenshots go to
  ``_build/plain-screenshots``.
"""
from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml
from playwright.sync_api import sync_playwright

from check_pages import browser_binary  # one definition, beside the page check

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))
from plain_edition import COLAB_ID, leaks  # noqa: E402  (the one definition of a leak)

PLACEHOLDER = re.compile(
    r"(?i)\b(?:[\w-]+\.)*example\.(?:org|com|net)\b|\byour[-_ ]?(?:org|user|username|hub|repo)\b"
    r"|<(?:owner|org|user|repo|your[^>]*)>|\bTODO\b|\bFIXME\b")

BROWSER_JS = r"""
() => {
  const problems = [];
  const flag = (what, text, m) => problems.push("raw MyST visible (" + what + "): "
      + text.slice(Math.max(0, m.index - 40), m.index + 60).replace(/\s+/g, " "));
  const prose = [...document.querySelectorAll(".jp-MarkdownCell .jp-RenderedMarkdown")];
  for (const md of prose.length ? prose : [document.body]) {
    const html = md.innerHTML;
    let m;
    if ((m = html.match(/\{eval\}/))) flag("an unresolved value", html, m);
    else if ((m = html.match(/\{[a-z][\w:-]*\}(<code|`)/))) flag("a MyST role", html, m);
    if (md.querySelector('code[class*="language-{"]')) problems.push("raw MyST visible (a directive fence rendered as code)");
    const clone = md.cloneNode(true);
    for (const e of clone.querySelectorAll("pre, code, script, style, details:not([open]) > :not(summary)")) e.remove();
    const text = clone.textContent;
    for (const [what, re] of [["a directive fence", /(```|~~~|:::)\s*\{/], ["a directive option", /(^|\n)\s*:(class|name|open):/],
                              ["a MyST target", /(^|\n)\s*\([\w-]+\)=/]]) {
      if ((m = text.match(re))) flag(what, text, m);
    }
  }
  const details = [...document.querySelectorAll("details")];
  details.forEach((d, i) => {
    if (d.open) problems.push("solution " + (i + 1) + " unfolded before a click");
    const body = [...d.children].filter(c => c.tagName !== "SUMMARY");
    if (body.some(c => c.checkVisibility())) problems.push("solution " + (i + 1) + " content visible before a click");
    if (!d.querySelector("summary")) problems.push("solution " + (i + 1) + " has no summary to click");
  });
  return {problems, details: details.length};
}
"""




def markdown_of(nb):
    return [(c.get("id"), "".join(c["source"])) for c in nb["cells"] if c["cell_type"] == "markdown"]


def check_notebook_file(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    problems = [f"cell {cid}: {leak}" for cid, text in markdown_of(nb) for leak in leaks(text)]
    if not any(c.get("id") == COLAB_ID for c in nb["cells"]):
        problems.append("no Colab install cell")
    return problems


def placeholder_problems(folder, suffixes=(".html", ".ipynb")):
    problems = []
    for f in sorted(folder.rglob("*")):
        if f.suffix not in suffixes or not f.is_file():
            continue
        text = f.read_text(encoding="utf-8", errors="replace")
        for m in PLACEHOLDER.finditer(text):
            problems.append(f"{f.relative_to(folder)}: placeholder {m.group(0)!r}")
    return problems


def launch_problems(html, config):
    problems = []
    hub = (config.get("launch_buttons") or {}).get("jupyterhub_url")
    for page in sorted(html.rglob("*.html")):
        text = page.read_text(encoding="utf-8", errors="replace")
        if not hub and "hub/user-redirect" in text:
            problems.append(f"{page.relative_to(html)}: a JupyterHub button without a configured hub")
    return problems


def render_and_check(notebooks, shots):
    """nbconvert's HTML export of each notebook, opened in Chromium; {name: problems}."""
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        for nb in notebooks:
            subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "html", "--log-level", "ERROR",
                            "--output-dir", str(out), str(nb)], check=True)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=browser_binary(), args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1280, "height": 1600})
            # Offline: what the export loads from CDNs (MathJax, require.js) is refused; the prose is the test.
            page.route(re.compile(r"^https?://"), lambda route: route.abort())
            for nb in notebooks:
                page.goto((out / (nb.stem + ".html")).as_uri())
                found = page.evaluate(BROWSER_JS)
                problems = found["problems"]
                if found["details"]:
                    summary = page.locator("details > summary").first
                    summary.click()
                    if not summary.evaluate("s => s.parentElement.open && [...s.parentElement.children].some(c => c.tagName !== 'SUMMARY' && c.checkVisibility())"):
                        problems.append("a solution did not unfold on click")
                    summary.click()
                if shots:
                    shots.mkdir(parents=True, exist_ok=True)
                    page.screenshot(path=str(shots / (nb.stem + ".png")), full_page=True)
                results[nb.name] = (problems, found["details"])
            browser.close()
    return results


def check_build(build, chapters, shots, config):
    plain = build / "plain"
    html = build / "html"
    failures = []
    notebooks = sorted(plain.rglob("*.ipynb"))
    if not notebooks:
        failures.append(f"no plain edition under {plain}")
    for nb in notebooks:
        failures += [f"{nb.relative_to(plain)}: {p}" for p in check_notebook_file(nb)]
        served = html / "_sources" / nb.relative_to(plain)
        if not served.exists() or served.read_bytes() != nb.read_bytes():
            failures.append(f"{nb.relative_to(plain)}: the download button does not serve the plain edition")
    failures += placeholder_problems(html) + placeholder_problems(plain)
    failures += launch_problems(html, config)
    picked = [nb for nb in notebooks if nb.stem in chapters]
    if len(picked) != len(chapters):
        failures.append(f"chapters to render not found in the edition: {sorted(set(chapters) - {n.stem for n in picked})}")
    for name, (problems, details) in render_and_check(picked, shots).items():
        print(f"check_plain: {name} rendered by nbconvert: {len(problems)} problem(s), {details} folded solution(s)")
        failures += [f"{name} (nbconvert HTML): {p}" for p in problems]
    print(f"check_plain: {len(notebooks)} notebooks of the plain edition, {len(picked)} rendered")
    return failures


def selftest():
    bad_md = ("# Bad\n\nThe loss is {eval}`loss`.\n\nAs in {cite}`ruder2016overview`.\n\n"
              "```{admonition} Solution\n:class: dropdown\nIt is 2.\n```\n\n"
              "<details open>\n<summary>Solution</summary>\n\nThe answer is 42.\n\n</details>\n\n"
              "See https://hub.example.org/hub/user-redirect.")
    good_md = ("# Good\n\nThe loss is 0.25 ([Ruder, 2016](https://x.github.io/y/book/references.html#cite-r)).\n\n"
               "<details>\n<summary>Solution</summary>\n\nThe answer is 42.\n\n</details>")
    cells = lambda md: {"cells": [{"cell_type": "code", "id": COLAB_ID, "metadata": {}, "execution_count": None,
                                   "outputs": [], "source": "import gdcourse"},
                                  {"cell_type": "markdown", "id": "m", "metadata": {}, "source": md}],
                        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
                        "nbformat": 4, "nbformat_minor": 5}
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        bad, good = Path(tmp) / "bad.ipynb", Path(tmp) / "good.ipynb"
        bad.write_text(json.dumps(cells(bad_md)), encoding="utf-8")
        good.write_text(json.dumps(cells(good_md)), encoding="utf-8")
        static_bad, static_good = check_notebook_file(bad), check_notebook_file(good)
        places = placeholder_problems(Path(tmp))
        rendered = render_and_check([bad, good], None)
    for expected in ("MyST role", "MyST directive", "MyST directive option"):
        if not any(expected + ":" in p for p in static_bad):
            failures.append(f"static check missed {expected!r}: {static_bad}")
    if static_good:
        failures.append(f"static check flagged the good notebook: {static_good}")
    bad_cite = render_and_check_text("As in {cite}`ruder2016overview`.")
    if not any("a MyST role" in p for p in bad_cite):
        failures.append(f"browser check missed a role: {bad_cite}")
    if not any("example.org" in p for p in places) or any("good.ipynb" in p for p in places):
        failures.append(f"placeholder check wrong: {places}")
    bad_r, good_r = rendered["bad.ipynb"][0], rendered["good.ipynb"][0]
    for expected in ("unresolved value", "a directive fence", "unfolded before a click"):
        if not any(expected in p for p in bad_r):
            failures.append(f"browser check missed {expected!r}: {bad_r}")
    if good_r:
        failures.append(f"browser check flagged the good notebook: {good_r}")
    if failures:
        print("check_plain selftest FAILED:\n  " + "\n  ".join(failures))
        return 1
    print("check_plain selftest: ok (leaked roles, directives, an unresolved value, an unfolded solution "
          "and a placeholder host caught; the good notebook passes)")
    return 0


def render_and_check_text(markdown):
    """The browser check's problems for one markdown cell (selftest)."""
    nb = {"cells": [{"cell_type": "markdown", "id": "m", "metadata": {}, "source": markdown}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "one.ipynb"
        path.write_text(json.dumps(nb), encoding="utf-8")
        return render_and_check([path], None)["one.ipynb"][0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("build", nargs="?", default=ROOT / "_build", type=Path)
    parser.add_argument("--chapters", nargs="+", default=["00_introduction", "03_momentum"])
    parser.add_argument("--shots", default=None, type=Path, help="default: <build>/plain-screenshots")
    parser.add_argument("--config", default=ROOT / "_config.yml", type=Path)
    parser.add_argument("--selftest", action="store_true")
    args = parser.parse_args()
    if args.selftest:
        return selftest()
    config = yaml.safe_load(args.config.read_text(encoding="utf-8"))
    failures = check_build(args.build, args.chapters, args.shots or args.build / "plain-screenshots", config)
    for f in failures:
        print(f"    FAIL {f}")
    print(f"check_plain: {'ok' if not failures else f'{len(failures)} problem(s)'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
