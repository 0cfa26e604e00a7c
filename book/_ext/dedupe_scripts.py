"""Drop repeated script tags from every page's head.

Jupyter Book 1 registers sphinx-thebe's and sphinx-togglebutton's inline configuration twice, so
each page declared ``const THEBE_JS_URL`` twice and the browser console showed an error on every
page. The repeats are added late in page rendering, so they are removed from the written HTML.
"""
from pathlib import Path


def _dedupe_head(html):
    head_end = html.find("</head>")
    if head_end < 0:
        return html
    seen, kept = set(), []
    for line in html[:head_end].split("\n"):
        key = line.strip()
        if key.startswith("<script") and key.endswith("</script>"):
            if key in seen:
                continue
            seen.add(key)
        kept.append(line)
    return "\n".join(kept) + html[head_end:]


def _dedupe_site(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    for page in Path(app.outdir).rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        new = _dedupe_head(text)
        if new != text:
            page.write_text(new, encoding="utf-8")


def setup(app):
    app.connect("build-finished", _dedupe_site)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
