"""Open every page of the built book in headless Chromium and check it as a reader would see it.

Run after the book build:  python tests/browser/check_pages.py [_build/html]
Self-test (broken pages must fail, a sound one must pass):  python tests/browser/check_pages.py --selftest

For each page in ``_toc.yml``, at desktop width (1280 px): no error output or traceback; every image
loaded and given an alt text that is not a file name; as many pictures in the cell outputs as the
executed notebook (``_build/jupyter_execute``) has image outputs in cells that are not removed;
equations typeset by MathJax (no raw TeX left, no MathJax error); animations step when their
controls are clicked; dropdown solutions open on
click; no critical or serious axe-core violation (in the course's content, or in the theme's unless
listed in ``THEME_WAITING`` with the upstream report it waits on); every explorer and animation can
be used by keyboard alone (Tab reaches each slider, an arrow key changes the picture); the browser
console has no errors. At phone width (390 px): no sideways scrolling of the page, no explorer or
figure scaled below 75 % of its natural width (a wider figure scrolls in its own box:
``_static/figure-width.js``), no explorer text under 10 px. A full-page screenshot of each
page at both widths goes to ``_build/screenshots``.

This machine is offline: what the pages load from a CDN (MathJax; no page holds a widget's state,
so none loads require.js or a widget manager) is answered from local copies installed by ``npm ci``
in this folder (axe-core too, injected by the check); any other outside request is refused and
reported.
"""
from __future__ import annotations

import argparse
import base64
import functools
import http.server
import json
import re
import shutil
import sys
import tempfile
import threading
from pathlib import Path

import yaml
from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
PHONE = {"width": 390, "height": 844}
#: Smallest share of its natural width an explorer may be drawn at on a phone.
MIN_SCALE = 0.75
#: axe-core rules the theme breaks that the project cannot fix yet: rule -> the upstream report.
#: A theme violation of any other rule fails the page (fix it in _static or a template override).
THEME_WAITING: dict[str, str] = {}
IMAGE_TYPES = ("image/svg+xml", "image/png", "image/gif", "image/jpeg")
#: myst-nb's output priority for HTML: an output shows as a picture when an image type is the first it has.
MIME_PRIORITY = ("application/vnd.jupyter.widget-view+json", "application/javascript", "text/html",
                 *IMAGE_TYPES, "text/markdown", "text/latex", "text/plain")
REMOVED = {"remove-cell", "remove-output", "remove_cell", "remove_output"}
NODE = HERE / "node_modules"
ROOT = HERE.parents[1]

# CDN address pattern -> local file (a callable of the match for folders).
LOCAL = [
    (r"/mathjax@3/es5/(.*)$", lambda m: NODE / "mathjax/es5" / m.group(1)),
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
  // Images: loaded, and an alt text that says something (not a file name, not empty).
  const fileName = /(\.(png|svg|jpe?g|gif|webp)(\?.*)?$)|(^|\/)_images\/|^data:|^[0-9a-f]{24,}$/i;
  for (const img of main.querySelectorAll("img")) {
    const src = (img.getAttribute("src") || "").slice(0, 80);
    if (!img.complete || img.naturalWidth === 0) problems.push("image not loaded: " + src);
    const alt = img.getAttribute("alt");
    if (alt === null || !alt.trim()) problems.push("image without alt text: " + src);
    else if (fileName.test(alt.trim())) problems.push("image whose alt text is a file name: " + alt.slice(0, 80));
  }
  // Equations: MathJax errors, and raw TeX outside code.
  for (const e of main.querySelectorAll("mjx-merror")) problems.push("MathJax error: " + e.textContent.slice(0, 120));
  const clone = main.cloneNode(true);
  for (const e of clone.querySelectorAll("pre, code, script, style, mjx-container, textarea")) e.remove();
  const prose = clone.textContent;
  for (const raw of ["\\(", "\\[", "$$", "\\begin{", "\\frac", "\\theta"]) {
    if (prose.includes(raw)) { problems.push("raw TeX left visible: " + raw); }
  }
  return {problems,
          maths: main.querySelectorAll("mjx-container").length,
          images: main.querySelectorAll("img").length,
          output_images: main.querySelectorAll(".cell_output img").length,
          explorers: main.querySelectorAll(".gdcourse-explorer").length,
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

AXE_JS = r"""
async () => {
  const content = document.querySelector("article.bd-article") || document.querySelector("main") || document.body;
  const result = await axe.run(document, {resultTypes: ["violations"]});
  const out = [];
  for (const v of result.violations) {
    if (v.impact !== "critical" && v.impact !== "serious") continue;
    for (const node of v.nodes) {
      let el = null;
      try { el = document.querySelector(node.target[node.target.length - 1]); } catch (e) { el = null; }
      out.push({rule: v.id, impact: v.impact, help: v.help, own: !!(el && content.contains(el)),
                html: node.html.slice(0, 160)});
    }
  }
  return out;
}
"""

PHONE_JS = r"""
(minScale) => {
  const problems = [], vw = document.documentElement.clientWidth;
  const page = document.scrollingElement || document.documentElement;
  if (page.scrollWidth > vw + 1) {
    // Name the widest elements that stick out (not those inside a box that scrolls or clips them).
    const culprits = [];
    for (const el of document.querySelectorAll("body *")) {
      const r = el.getBoundingClientRect();
      if (r.right <= vw + 1 || r.width === 0) continue;
      let clipped = false;
      for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
        const ox = getComputedStyle(p).overflowX;
        if (ox !== "visible" && ox !== "clip" || getComputedStyle(p).overflow === "hidden") {
          if (p.getBoundingClientRect().right <= vw + 1) { clipped = true; break; }
        }
      }
      if (!clipped) culprits.push([Math.round(r.right),
        el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.className && el.className.baseVal === undefined ? "." + String(el.className).trim().split(/\s+/).join(".") : "")]);
    }
    culprits.sort((a, b) => b[0] - a[0]);
    problems.push(`the page scrolls sideways at ${vw} px: ${page.scrollWidth} px wide` +
                  (culprits.length ? " (e.g. " + culprits.slice(0, 3).map(c => c[1] + " to " + c[0] + " px").join(", ") + ")" : ""));
  }
  document.querySelectorAll(".gdcourse-explorer").forEach((ex, i) => {
    const name = "explorer " + i;
    const r = ex.getBoundingClientRect();
    if (ex.offsetWidth > 0 && r.width / ex.offsetWidth < minScale - 1e-6)
      problems.push(`${name} is scaled to ${Math.round(100 * r.width / ex.offsetWidth)} % of its width`);
    for (const svg of ex.querySelectorAll("svg")) {
      const w = svg.width && svg.width.baseVal, vb = svg.viewBox && svg.viewBox.baseVal;
      let natural = 0;
      if (svg.getAttribute("width") && w && w.unitType === 1 || svg.getAttribute("width") && /px$|^[0-9.]+$/.test(svg.getAttribute("width"))) natural = parseFloat(svg.getAttribute("width"));
      else if (vb && vb.width) natural = vb.width;
      const shown = svg.getBoundingClientRect().width;
      if (natural < 60 || shown === 0) continue;   // icons
      const scale = shown / natural;
      if (scale < minScale - 1e-6) problems.push(`${name}: its drawing is scaled to ${Math.round(100 * scale)} % (${Math.round(shown)} of ${Math.round(natural)} px)`);
      let smallest = Infinity;
      for (const t of svg.querySelectorAll("text")) {
        if (!t.textContent.trim() || t.getBoundingClientRect().width === 0) continue;
        smallest = Math.min(smallest, parseFloat(getComputedStyle(t).fontSize) * scale);
      }
      if (smallest < 10 - 0.05) problems.push(`${name}: text ${smallest.toFixed(1)} px high (under 10 px)`);
    }
    for (const c of ex.querySelectorAll("canvas")) {
      const natural = c.width / (window.devicePixelRatio || 1), shown = c.getBoundingClientRect().width;
      if (natural >= 60 && shown > 0 && shown / natural < minScale - 1e-6)
        problems.push(`${name}: its canvas is scaled to ${Math.round(100 * shown / natural)} %`);
    }
    for (const img of ex.querySelectorAll("img")) {
      const shown = img.getBoundingClientRect().width;
      if (img.naturalWidth >= 60 && shown > 0 && shown / img.naturalWidth < minScale - 1e-6)
        problems.push(`${name}: its picture is scaled to ${Math.round(100 * shown / img.naturalWidth)} %`);
    }
  });
  // Every figure of the page (outputs and animation frames): at least minScale of its natural width.
  document.querySelectorAll(".cell_output img, .gdcourse-animation img").forEach((img, i) => {
    const shown = img.getBoundingClientRect().width;
    if (img.naturalWidth >= 60 && shown > 0 && shown / img.naturalWidth < minScale - 1e-6)
      problems.push(`figure ${i + 1} is scaled to ${Math.round(100 * shown / img.naturalWidth)} % of its width` +
                    ` (${Math.round(shown)} of ${img.naturalWidth} px): its text is under 10 px`);
  });
  return problems;
}
"""

# The controls of an explorer or an animation, and what the keyboard is on.
FOCUS_JS = r"""
(root) => {
  const a = document.activeElement;
  if (!a || !root.contains(a) || a === root) return null;
  const slider = a.matches("input[type=range], [role=slider]");
  let value = slider ? (a.value !== undefined && a.matches("input") ? a.value : a.getAttribute("aria-valuenow")) : null;
  const min = a.matches("input") ? a.min : a.getAttribute("aria-valuemin");
  const max = a.matches("input") ? a.max : a.getAttribute("aria-valuemax");
  return {tag: a.tagName.toLowerCase(), slider, button: a.matches("button, [role=button]"), value, min, max,
          name: (a.getAttribute("aria-label") || (a.labels && a.labels[0] && a.labels[0].innerText) ||
                 a.innerText || a.getAttribute("title") || "").trim().slice(0, 60)};
}
"""


def _picture(el):
    """The drawing of an explorer or animation (its largest svg, canvas or img), not its controls."""
    handle = el.evaluate_handle("""e => {
        let best = null, area = 0;
        for (const p of e.querySelectorAll("svg, canvas, img")) {
          if (p.closest("label, button") || p.parentElement.closest("svg")) continue;
          const r = p.getBoundingClientRect();
          if (r.width * r.height > area) { best = p; area = r.width * r.height; }
        }
        return best || e; }""")
    return handle.as_element()


def executed_notebook_pictures(notebook):
    """How many pictures the page of ``notebook`` should show: image outputs of cells that are not removed."""
    nb = json.loads(Path(notebook).read_text(encoding="utf-8"))
    count = 0
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code" or REMOVED & set(cell.get("metadata", {}).get("tags", [])):
            continue
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            shown = next((m for m in MIME_PRIORITY if m in data), None)
            count += shown in IMAGE_TYPES
    return count


def check_figures(result, notebook, problems):
    """A page with fewer pictures in its cell outputs than its executed notebook has image outputs fails."""
    if notebook is None:
        return
    if not Path(notebook).is_file():
        problems.append(f"no executed notebook to compare with ({Path(notebook).name} missing)")
        return
    expected = executed_notebook_pictures(notebook)
    result["notebook_images"] = expected
    if result["output_images"] < expected:
        problems.append(f"fewer pictures than the notebook's outputs: {result['output_images']} on the page, "
                        f"{expected} image outputs in the executed notebook")


def check_axe(page, problems):
    """axe-core on the whole page: critical and serious violations fail, except theme rules in THEME_WAITING."""
    page.add_script_tag(path=str(NODE / "axe-core/axe.min.js"))
    found = page.evaluate(AXE_JS)
    seen = {}
    for v in found:
        if not v["own"] and v["rule"] in THEME_WAITING:
            continue
        key = (v["rule"], v["own"])
        seen.setdefault(key, []).append(v)
    for (rule, own), nodes in seen.items():
        where = "content" if own else "theme"
        problems.append(f"axe {nodes[0]['impact']} ({where}) {rule}: {nodes[0]['help']} — {len(nodes)}x, e.g. "
                        f"{nodes[0]['html'][:120]}")
    return len(found)


def _keyboard_units(page):
    """Explorers and animations, as element handles."""
    return page.evaluate_handle("""() => [...document.querySelectorAll(
        ".gdcourse-explorer, .gdcourse-animation, .animation")].filter(
        el => !el.parentElement.closest(".gdcourse-explorer, .gdcourse-animation, .animation"))""")


def check_keyboard(page, problems):
    """Tab into each explorer and animation; every slider must be reached and an arrow key must change the picture.

    Returns how many sliders were used by keyboard.
    """
    used = 0
    units = _keyboard_units(page)
    n = units.evaluate("u => u.length")
    for i in range(n):
        el = units.evaluate_handle(f"u => u[{i}]").as_element()
        kind = el.evaluate("e => e.matches('.gdcourse-animation, .animation') ? 'animation' : "
                           "(e.matches('.gdcourse-explorer') ? 'explorer' : 'chart')")
        what = f"{kind} {i}"
        sliders = el.evaluate("e => e.querySelectorAll('input[type=range], [role=slider]').length")
        if sliders == 0:
            problems.append(f"{what}: no slider to use by keyboard")
            continue
        el.scroll_into_view_if_needed()
        # Start from just before it, as a reader tabbing down the page does.
        el.evaluate("""e => { const s = document.createElement('span'); s.tabIndex = 0; s.id = 'kb-start';
                              e.parentNode.insertBefore(s, e); s.focus(); }""")
        reached, entered = 0, False
        for _ in range(4 * sliders + 20):
            page.keyboard.press("Tab")
            focus = el.evaluate(FOCUS_JS)
            if focus is None:
                if entered:
                    break
                continue
            entered = True
            if focus["slider"]:
                reached += 1
                used += 1
                picture = _picture(el)
                before = picture.screenshot()
                key = "ArrowLeft" if focus["max"] not in (None, "") and focus["value"] == focus["max"] else "ArrowRight"
                page.keyboard.press(key)
                page.wait_for_timeout(300)
                after = el.evaluate(FOCUS_JS)
                if after is None or after["value"] == focus["value"]:
                    problems.append(f"{what}: {key} does not move slider '{focus['name']}'")
                elif _picture(el).screenshot() == before:
                    problems.append(f"{what}: moving slider '{focus['name']}' by keyboard changed nothing")
            elif focus["button"] and kind == "animation":
                picture = _picture(el)
                before = picture.screenshot()
                page.keyboard.press("Enter")
                page.wait_for_timeout(700)
                page.keyboard.press("Enter")
                if _picture(el).screenshot() == before:
                    problems.append(f"{what}: pressing Enter on '{focus['name']}' changed nothing")
        page.evaluate("() => document.getElementById('kb-start') && document.getElementById('kb-start').remove()")
        if not entered:
            problems.append(f"{what}: Tab does not reach any of its controls")
        elif reached < sliders:
            problems.append(f"{what}: Tab reaches {reached} of its {sliders} sliders")
    return used


def check_phone(browser, base, name, shot, router):
    """The page at 390 px: no sideways scrolling, no explorer or figure shrunk below MIN_SCALE, no explorer text under 10 px."""
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    context.route("**/*", router)
    page = context.new_page()
    try:
        page.goto(f"{base}/{name}.html", wait_until="load")
        page.evaluate("async () => { if (window.MathJax && MathJax.startup && MathJax.startup.promise) "
                      "await MathJax.startup.promise; }")
        page.wait_for_timeout(1200)
        problems = [f"at {PHONE['width']} px: {p}" for p in page.evaluate(PHONE_JS, MIN_SCALE)]
        page.screenshot(path=str(shot), full_page=True)
    finally:
        context.close()
    return problems


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


def check_site(html_dir, pages, shots, notebooks=None):
    """Check each page; returns {page: [problems]}.

    ``notebooks``: page -> its executed notebook (or None for a page made from markdown).
    """
    notebooks = notebooks or {}
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
            problems += result.pop("problems")
            check_figures(result, notebooks.get(name), problems)
            result["axe_violations"] = check_axe(page, problems)
            check_animations(page, problems)
            result["keyboard_sliders"] = check_keyboard(page, problems)
            check_dropdowns(page, problems)
            stem = name.replace("/", "__")
            page.screenshot(path=str(shots / (stem + ".png")), full_page=True)
            problems += check_phone(browser, base, name, shots / (stem + f"__{PHONE['width']}.png"),
                                    make_router(blocked))
            problems += [f"console error: {c[:200]}" for c in console]
            problems += [f"outside request refused: {u[:120]}" for u in blocked if not _harmless(u)]
            report[name] = problems
            counts = ", ".join(f"{k} {v}" for k, v in result.items())
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


# A PNG of 240 x 120 px, one colour: a picture that loads.
_PNG = ("iVBORw0KGgoAAAANSUhEUgAAAPAAAAB4CAIAAABD1OhwAAABXUlEQVR4nO3SQQ3AIADAwDE/GEQ7D0yQkDR3CvromGt/UPG/DoCb"
        "DE2KoUkxNCmGJsXQpBiaFEOTYmhSDE2KoUkxNCmGJsXQpBiaFEOTYmhSDE2KoUkxNCmGJsXQpBiaFEOTYmhSDE2KoUkxNCmGJsXQ"
        "pBiaFEOTYmhSDE2KoUkxNCmGJsXQpBiaFEOTYmhSDE2KoUkxNCmGJsXQpBiaFEOTYmhSDE2KoUkxNCmGJsXQpBiaFEOTYmhSDE2K"
        "oUkxNCmGJsXQpBiaFEOTYmhSDE2KoUkxNCmGJsXQpBiaFEOTYmhSDE2KoUkxNCmGJsXQpBiaFEOTYmhSDE2KoUkxNCmGJsXQpBia"
        "FEOTYmhSDE2KoUkxNCmGJsXQpBiaFEOTYmhSDE2KoUkxNCmGJsXQpBiaFEOTYmhSDE2KoUkxNCmGJsXQpBiaFEOTYmhSDE2KoUkx"
        "NCmGJsXQpBialAMM0gKTli/8uAAAAABJRU5ErkJggg==")
_FIG = f"<div class='cell_output'><img src='data:image/png;base64,{_PNG}' alt='{{alt}}'></div>"
# A kernel-free explorer in miniature: a named slider that redraws a bar (or, broken, redraws nothing).
_EXPLORER = """<div class="gdcourse-explorer" style="width:300px">
<label>learning rate η <input type="range" min="0" max="10" value="5" {extra}></label>
<svg width="300" height="60" role="img" aria-label="a bar as long as η"><rect width="150" height="40" fill="#2d7afc"/></svg>
<script>(function () {{ var root = document.currentScript.parentElement, s = root.querySelector("input"),
  r = root.querySelector("rect"); s.addEventListener("input", function () {{ {redraw} }}); }})();</script></div>"""
_REDRAW = "r.setAttribute('width', 30 * s.value);"


def _notebook(pictures, removed=1):
    """An executed notebook with ``pictures`` image outputs (and ``removed`` more in a remove-cell cell)."""
    png = {"output_type": "display_data", "metadata": {}, "data": {"image/png": _PNG, "text/plain": "<Figure>"}}
    cells = [{"cell_type": "code", "metadata": {}, "source": "plt.show()", "outputs": [png] * pictures},
             {"cell_type": "code", "metadata": {"tags": ["remove-cell"]}, "source": "", "outputs": [png] * removed}]
    return {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


#: name -> (body, executed notebook or None, what the check must say about it).
SELFTEST = {
    "sound_page": ("<p>A figure, an explorer, an equation \\(x^2\\).</p>" + _FIG.format(alt="Loss against step for SGD")
                   + _EXPLORER.format(extra="", redraw=_REDRAW), _notebook(1), None),
    "broken_equation": ("<p>An equation with a missing brace: \\(\\frac{1}{2\\)</p>", None, r"MathJax error|raw TeX"),
    "missing_image": ("<p>A figure whose file is missing:</p><img src='no-such-figure.png' alt='a missing figure'>",
                      None, r"image not loaded"),
    "missing_figure": ("<p>The cell ran plt.show(), and its figure never reached the page:</p>"
                       "<div class='cell_output'><pre>mean 0.3</pre></div>", _notebook(1), r"fewer pictures"),
    "image_without_alt": ("<p>A figure:</p>" + _FIG.replace(" alt='{alt}'", ""), _notebook(1),
                          r"image without alt text.*|axe critical \(content\) image-alt"),
    "image_alt_is_file_name": ("<p>A figure:</p>" + _FIG.format(alt="../_images/8394ee4b.png"), _notebook(1),
                               r"alt text is a file name"),
    "slider_without_name": ("<p>An explorer:</p>" + _EXPLORER.format(extra="", redraw=_REDRAW)
                            .replace("<label>learning rate η ", "").replace("</label>", ""), None,
                            r"axe critical \(content\) label"),
    "keyboard_dead_explorer": ("<p>An explorer whose slider moves but redraws nothing:</p>"
                               + _EXPLORER.format(extra="", redraw=""), None, r"by keyboard changed nothing"),
    "slider_out_of_tab_order": ("<p>An explorer whose slider Tab skips:</p>"
                                + _EXPLORER.format(extra="tabindex='-1'", redraw=_REDRAW), None,
                                r"Tab does not reach|Tab reaches 0"),
    "sideways_on_a_phone": ("<p>A table as wide as a desktop:</p><div style='width:900px'>wide</div>", None,
                            r"scrolls sideways at 390 px"),
    "shrunken_figure": ("<p>A figure squeezed into a narrow column:</p>"
                        + _FIG.format(alt="Loss against step for SGD").replace(
                            "class='cell_output'", "class='cell_output' style='width:120px'").replace(
                            "<img ", "<img style='max-width:100%' "), _notebook(1), r"figure 1 is scaled to 50 %"),
    "shrunken_explorer": ("<p>An explorer squeezed into the phone's width:</p>"
                          + _EXPLORER.format(extra="", redraw=_REDRAW).replace(
                              'style="width:300px"', 'style="max-width:100%"').replace(
                              '<svg width="300"', '<svg width="900" style="max-width:100%;height:auto" '
                              'viewBox="0 0 900 60"'), None, r"scaled to \d+ %"),
}


def _page(body):
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'><title>selftest</title>"
            "<script>window.MathJax = {tex: {inlineMath: [['\\\\(', '\\\\)']]}};</script>"
            "<script defer src='https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js'></script>"
            f"</head><body><main><h1>Selftest</h1>{body}</main></body></html>")


def selftest():
    """Each broken page must fail for its reason, and the sound page must pass."""
    with tempfile.TemporaryDirectory() as tmp:
        html, executed = Path(tmp, "html"), Path(tmp, "jupyter_execute")
        html.mkdir()
        executed.mkdir()
        notebooks = {}
        for name, (body, nb, _) in SELFTEST.items():
            (html / f"{name}.html").write_text(_page(body), encoding="utf-8")
            if nb is not None:
                notebooks[name] = executed / f"{name}.ipynb"
                notebooks[name].write_text(json.dumps(nb), encoding="utf-8")
        report = check_site(html, list(SELFTEST), Path(tmp, "shots"), notebooks)
    wrong = []
    for name, (_, _, expected) in SELFTEST.items():
        problems = report[name]
        if expected is None and problems:
            wrong.append(f"{name} should pass")
        elif expected is not None and not any(re.search(expected, p) for p in problems):
            wrong.append(f"{name} not caught for /{expected}/")
    if wrong:
        print("selftest FAILED: " + "; ".join(wrong))
        return 1
    print(f"selftest passed: {len(SELFTEST) - 1} broken pages caught, each for its reason; the sound page passed")
    return 0


def notebooks_of(html_dir, pages):
    """page -> the executed notebook myst-nb wrote for it (None for a page made from markdown)."""
    executed = Path(html_dir).parent / "jupyter_execute"
    return {name: executed / f"{name}.ipynb" if (ROOT / f"{name}.ipynb").is_file() else None for name in pages}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("html", nargs="?", default=str(ROOT / "_build/html"))
    parser.add_argument("--selftest", action="store_true")
    parser.add_argument("--toc", default=str(ROOT / "_toc.yml"), help="the table of contents the book was built with")
    args = parser.parse_args()
    if not NODE.is_dir():
        sys.exit(f"{NODE} is missing: run `npm ci` in {HERE}")
    if args.selftest:
        sys.exit(selftest())
    pages = toc_pages(args.toc)
    report = check_site(Path(args.html), pages, Path(args.html).parent / "screenshots",
                        notebooks_of(args.html, pages))
    bad = {k: v for k, v in report.items() if v}
    print(f"{len(report) - len(bad)} passed, {len(bad)} failed")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
