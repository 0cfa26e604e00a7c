"""Open every page of the built book in headless Chromium and check it as a reader would see it.

Run after the book build:  python tests/browser/check_pages.py [_build/html]
Self-test (broken pages must fail):  python tests/browser/check_pages.py --selftest

For each page in ``_toc.yml``: no error output or traceback; every image loaded; equations typeset
by MathJax (no raw TeX left, no MathJax error); each kernel-free explorer redraws when its slider
moves; animations step when their controls are clicked; dropdown solutions open on click; the
browser console has no errors. A full-page screenshot of each page goes to ``_build/screenshots``.

This machine is offline: what the pages load from CDNs (MathJax, require.js, the widget manager,
Vega) is answered from local copies installed by ``npm ci`` in this folder; any other outside
request is refused and reported.
"""
from __future__ import annotations

import argparse
import functools
import http.server
import re
import shutil
import sys
import tempfile
import threading
from pathlib import Path

import yaml
from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
NODE = HERE / "node_modules"
ROOT = HERE.parents[1]

# CDN address pattern -> local file (a callable of the match for folders).
LOCAL = [
    (r"/mathjax@3/es5/(.*)$", lambda m: NODE / "mathjax/es5" / m.group(1)),
    (r"/npm/requirejs@[^/]+/require\.js$", lambda m: NODE / "requirejs/require.js"),
    (r"/font-awesome/4\.\d+\.\d+/(.*)$", lambda m: NODE / "font-awesome" / m.group(1)),
    (r"/@jupyter-widgets/html-manager@[^/]+/dist/(.*)$",
     lambda m: NODE / "@jupyter-widgets/html-manager/dist" / m.group(1)),
    (r"/npm/vega@[^/?]+", lambda m: NODE / "vega/build/vega.min.js"),
    (r"/npm/vega-lite@[^/?]+", lambda m: NODE / "vega-lite/build/vega-lite.min.js"),
    (r"/npm/vega-embed@[^/?]+", lambda m: NODE / "vega-embed/build/vega-embed.min.js"),
]

CHECK_JS = r"""
async () => {
  const problems = [];
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) { await MathJax.startup.promise; }
  const main = document.querySelector("main") || document.body;
  // Error output: stderr streams and tracebacks in cell outputs.
  for (const el of main.querySelectorAll(".output.stderr, .output.traceback, .output .ansi-red-fg")) {
    problems.push("error output: " + el.innerText.slice(0, 200));
  }
  const text = main.innerText;
  if (/Traceback \(most recent call last\)/.test(text)) problems.push("a traceback is visible");
  if (/\b[A-Z][a-zA-Z]*Error: /.test([...main.querySelectorAll(".cell_output")].map(e => e.innerText).join("\n")))
    problems.push("an exception message is visible in an output");
  // Images.
  for (const img of main.querySelectorAll("img")) {
    if (!img.complete || img.naturalWidth === 0) problems.push("image not loaded: " + (img.getAttribute("src") || "").slice(0, 80));
  }
  // Equations: MathJax errors, and raw TeX outside code.
  for (const e of main.querySelectorAll("mjx-merror")) problems.push("MathJax error: " + e.textContent.slice(0, 120));
  const clone = main.cloneNode(true);
  for (const e of clone.querySelectorAll("pre, code, script, style, mjx-container, .vega-embed, textarea")) e.remove();
  const prose = clone.textContent;
  for (const raw of ["\\(", "\\[", "$$", "\\begin{", "\\frac", "\\theta"]) {
    if (prose.includes(raw)) { problems.push("raw TeX left visible: " + raw); }
  }
  return {problems,
          maths: main.querySelectorAll("mjx-container").length,
          images: main.querySelectorAll("img").length,
          explorers: main.querySelectorAll(".vega-embed").length,
          animations: main.querySelectorAll(".animation, .gdcourse-animation").length,
          dropdowns: main.querySelectorAll(".toggle-button, details.dropdown summary, button.toggle-button").length};
}
"""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve(folder):
    handler = functools.partial(_Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def toc_pages(toc_file):
    """The document names of ``_toc.yml`` in reading order."""
    toc = yaml.safe_load(Path(toc_file).read_text())
    names = [toc["root"]]

    def walk(entries):
        for e in entries or []:
            if "file" in e:
                names.append(e["file"])
            walk(e.get("sections"))
            walk(e.get("chapters"))
    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return [re.sub(r"\.(ipynb|md)$", "", n) for n in names]


def make_router(blocked):
    def route(route):
        url = route.request.url
        if url.startswith("http://127.0.0.1"):
            # The widget manager (html-manager 1.0.x) asks for its icon fonts relative to the page,
            # not to its CDN; a known limitation of the published pages (icons only), served here.
            m = re.search(r"/@jupyter-widgets/(?:html-manager/dist/)?([^/?]+\.(?:woff2?|ttf|eot|svg))$", url)
            if m and (NODE / "@jupyter-widgets/html-manager/dist" / m.group(1)).is_file():
                return route.fulfill(path=str(NODE / "@jupyter-widgets/html-manager/dist" / m.group(1)))
            return route.continue_()
        for pattern, local in LOCAL:
            m = re.search(pattern, url.split("?")[0])
            if m:
                path = local(m)
                if path.is_file():
                    return route.fulfill(path=str(path))
        blocked.append(url)
        return route.abort()
    return route


def check_explorers(page, problems):
    """Move the first slider of each kernel-free explorer; what is drawn must change."""
    for i, el in enumerate(page.query_selector_all(".vega-embed")):
        el.scroll_into_view_if_needed()
        page.wait_for_timeout(300)
        sliders = el.query_selector_all(".vega-bindings input[type=range]")
        if not sliders:
            problems.append(f"explorer {i}: no slider")
            continue
        for j, slider in enumerate(sliders):
            before = el.screenshot()
            slider.evaluate("""s => { const v = parseFloat(s.value), lo = parseFloat(s.min), hi = parseFloat(s.max),
                                       step = parseFloat(s.step);
                                       s.value = (v - step >= lo) ? v - step : v + step;
                                       s.dispatchEvent(new Event('input', {bubbles: true})); }""")
            page.wait_for_timeout(250)
            if el.screenshot() == before:
                problems.append(f"explorer {i}: moving slider {j} changed nothing")


def check_animations(page, problems):
    for i, anim in enumerate(page.query_selector_all(".animation")):
        img = anim.query_selector("img")
        button = anim.query_selector("button[title='Next frame'], button[onclick*='next_frame']")
        if img is None or button is None:
            problems.append(f"animation {i}: no frame or no controls")
            continue
        anim.scroll_into_view_if_needed()
        src = img.get_attribute("src")
        button.click()
        page.wait_for_timeout(200)
        if img.get_attribute("src") == src:
            problems.append(f"animation {i}: clicking 'next frame' changed nothing")
    # gdcourse.plotting.animate_paths: a frame <img>, a play <button> and a frame slider <input type=range>.
    for i, anim in enumerate(page.query_selector_all(".gdcourse-animation")):
        img, button = anim.query_selector("img"), anim.query_selector("button")
        slider = anim.query_selector("input[type=range]")
        if img is None or button is None or slider is None:
            problems.append(f"gdcourse animation {i}: no frame, play button or frame slider")
            continue
        anim.scroll_into_view_if_needed()
        src = img.get_attribute("src")
        slider.evaluate("s => { s.value = parseInt(s.value) + 1; s.dispatchEvent(new Event('input', {bubbles: true})); }")
        page.wait_for_timeout(200)
        if img.get_attribute("src") == src:
            problems.append(f"gdcourse animation {i}: moving the frame slider changed nothing")
        src = img.get_attribute("src")
        button.click()
        page.wait_for_timeout(600)
        button.click()
        if img.get_attribute("src") == src:
            problems.append(f"gdcourse animation {i}: pressing play changed nothing")


def check_dropdowns(page, problems):
    for i, button in enumerate(page.query_selector_all("button.toggle-button")):
        box = button.evaluate_handle("b => b.closest('.toggle, .admonition') || b.parentElement")
        hidden_before = box.evaluate("b => b.classList.contains('toggle-hidden')")
        button.scroll_into_view_if_needed()
        button.click()
        page.wait_for_timeout(150)
        if not hidden_before or box.evaluate("b => b.classList.contains('toggle-hidden')"):
            problems.append(f"dropdown {i}: did not open on click")


def browser_binary():
    """The system's Chromium (``$CHROMIUM`` if set): this test never downloads a browser."""
    import os

    for candidate in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if candidate and shutil.which(candidate):
            return shutil.which(candidate)
    sys.exit("no Chromium found: install Debian's `chromium` or set $CHROMIUM")


def check_site(html_dir, pages, shots):
    """Check each page; returns {page: [problems]}."""
    server = serve(html_dir)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    shots.mkdir(parents=True, exist_ok=True)
    report = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=browser_binary(), args=["--no-sandbox", "--disable-gpu"])
        for name in pages:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            blocked, console = [], []
            context.route("**/*", make_router(blocked))
            page = context.new_page()
            page.on("console", lambda m, c=console: c.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e, c=console: c.append(str(e)))
            problems = []
            response = page.goto(f"{base}/{name}.html", wait_until="load")
            if response is None or not response.ok:
                report[name] = [f"page not served ({response.status if response else 'no response'})"]
                context.close()
                continue
            page.wait_for_timeout(800)
            result = page.evaluate(CHECK_JS)
            problems += result["problems"]
            check_explorers(page, problems)
            check_animations(page, problems)
            check_dropdowns(page, problems)
            page.screenshot(path=str(shots / (name.replace("/", "__") + ".png")), full_page=True)
            problems += [f"console error: {c[:200]}" for c in console]
            problems += [f"outside request refused: {u[:120]}" for u in blocked if not _harmless(u)]
            report[name] = problems
            counts = ", ".join(f"{k} {v}" for k, v in result.items() if k != "problems")
            print(f"{'FAIL' if problems else 'ok  '} {name}: {counts}")
            for p in problems:
                print(f"       - {p}")
            context.close()
        browser.close()
    server.shutdown()
    return report


def _harmless(url):
    # Launch/repository links are not loaded by a page; fonts and analytics are not used by the book.
    return False


BROKEN = {
    "broken_equation": "<p>An equation with a missing brace: \\(\\frac{1}{2\\)</p>",
    "missing_image": "<p>A figure whose file is missing:</p><img src='no-such-figure.png' alt='missing'>",
}


def selftest():
    """The checker must fail on a page with a broken equation and on one with a missing image."""
    with tempfile.TemporaryDirectory() as tmp:
        for name, body in BROKEN.items():
            Path(tmp, name + ".html").write_text(
                "<html><head><script>window.MathJax = {tex: {inlineMath: [['\\\\(', '\\\\)']]}};</script>"
                "<script defer src='https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js'></script>"
                f"</head><body><main>{body}</main></body></html>")
        report = check_site(tmp, list(BROKEN), Path(tmp, "shots"))
    failed = [name for name, problems in report.items() if not problems]
    if failed:
        print(f"selftest FAILED: the checker passed broken page(s) {failed}")
        return 1
    print("selftest passed: both broken pages were caught")
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("html", nargs="?", default=str(ROOT / "_build/html"))
    parser.add_argument("--selftest", action="store_true")
    args = parser.parse_args()
    if not NODE.is_dir():
        sys.exit(f"{NODE} is missing: run `npm ci` in {HERE}")
    if args.selftest:
        sys.exit(selftest())
    pages = toc_pages(ROOT / "_toc.yml")
    report = check_site(Path(args.html), pages, Path(args.html).parent / "screenshots")
    bad = {k: v for k, v in report.items() if v}
    print(f"{len(report) - len(bad)} passed, {len(bad)} failed")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
