"""Write the plain-Jupyter edition of every chapter: a notebook any Jupyter front end renders.

The chapters' sources are MyST notebooks: the web book (myst-nb) and JupyterLab with jupyterlab_myst
render them, but Colab, VS Code and classic Jupyter show their roles and directives as raw text. After
the book is built, each executed notebook (``_build/jupyter_execute``) is rewritten:

- ``{eval}`name``` -> the value the build's kernel gave (recorded while myst-nb evaluated it);
- links to the references page and to other chapters -> links to the published web pages, and a
  "References" list with the works the chapter cites appended;
- dropdown admonitions (the solutions) -> HTML ``<details>`` (folded in every front end), other
  admonitions -> a block quote with the title in bold;
- ``remove-cell`` cells are left out, except the Colab install cell and any hidden cell that defines
  a name a later visible cell reads (both kept, their input collapsed), so the edition runs top to
  bottom as the source does; ``remove-input``/``hide-input`` cells keep their input collapsed,
  ``remove-output`` cells lose their output.

The result goes to ``_build/plain/<docname>.ipynb`` (published to the ``plain_edition_branch`` of
the repository, which the Colab button opens) and replaces the notebook the download button serves
(``_build/html/_sources/<docname>.ipynb``). Any MyST role, directive or target left in the edition
is a build warning (and so fails ``jupyter-book build -W``).
"""
import ast
import json
import re
import shutil
from pathlib import Path

from sphinx.util import logging

logger = logging.getLogger(__name__)

COLAB_ID = "colab-install"
EVAL = re.compile(r"\{eval\}`([^`]+)`")
# What a plain Markdown renderer would show as raw text: roles, directive fences, targets, comments.
LEAKS = [
    ("MyST role", re.compile(r"\{[a-z][\w:-]*\}`")),
    ("MyST directive", re.compile(r"^\s*(`{3,}|~{3,}|:{3,})\s*\{[a-z][\w:-]*\}", re.M)),
    ("MyST directive option", re.compile(r"^:(class|name|label|open):", re.M)),
    ("MyST target", re.compile(r"^\s*\([\w:-]+\)=\s*$", re.M)),
    ("MyST comment", re.compile(r"^%\s", re.M)),
]

_evals = {}  # source path -> [(name, outputs)], filled while myst-nb evaluates {eval} roles


def _record_evals():
    """Wrap myst-nb's inline client so that every {eval} value the build computes is kept."""
    from myst_nb.core.execute.inline import NotebookClientInline

    if getattr(NotebookClientInline.eval_variable, "_plain_edition", False):
        return
    original = NotebookClientInline.eval_variable

    def eval_variable(self, name):
        outputs = original(self, name)
        _evals.setdefault(str(Path(self._path).resolve()), []).append(
            (name, [dict(o) for o in outputs]))
        return outputs

    eval_variable._plain_edition = True
    NotebookClientInline.eval_variable = eval_variable


def _as_text(outputs):
    """The value as the web page shows it: text/markdown if given, else text/plain without quotes."""
    for output in outputs:
        data = output.get("data", {})
        if "text/markdown" in data:
            return "".join(data["text/markdown"])
        if "text/plain" in data:
            text = "".join(data["text/plain"])
            try:
                return str(ast.literal_eval(text))
            except (SyntaxError, ValueError):
                return text
    return None


def _save_evals(app, doctree):
    """Keep the values of this document next to its executed notebook (incremental builds keep them)."""
    docname = app.env.docname
    record = _evals.pop(str(Path(app.env.doc2path(docname)).resolve()), None)
    out = _execute_dir(app) / (docname + ".eval.json")
    if record is None:
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps([(name, _as_text(outputs)) for name, outputs in record]),
                   encoding="utf-8")


def _execute_dir(app):
    return Path(app.outdir).parent / "jupyter_execute"


def pages_url(app):
    """The published book's address: html_baseurl, else GitHub Pages of ``repository.url``."""
    if app.config.html_baseurl:
        return app.config.html_baseurl.rstrip("/") + "/"
    repo = app.config.html_theme_options.get("repository_url", "")
    m = re.fullmatch(r"https://github\.com/([^/]+)/([^/]+?)(\.git)?/?", repo)
    if not m:
        return None
    return f"https://{m.group(1).lower()}.github.io/{m.group(2)}/"


def convert_directives(text):
    """Admonition fences -> <details> (dropdown) or a block quote; recursive for nested ones."""
    lines, out, i = text.split("\n"), [], 0
    opener = re.compile(r"^(\s*)(`{3,}|~{3,}|:{3,})\{([a-z][\w-]*)\}\s*(.*)$")
    while i < len(lines):
        m = opener.match(lines[i])
        if not m:
            out.append(lines[i])
            i += 1
            continue
        indent, fence, name, arg = m.groups()
        closer = re.compile(r"^\s*" + re.escape(fence[0]) + "{" + str(len(fence)) + r",}\s*$")
        j = i + 1
        while j < len(lines) and not closer.match(lines[j]):
            j += 1
        body = lines[i + 1:j]
        options = {}
        while body and re.match(r"^\s*:[\w-]+:", body[0]):
            key, _, value = body.pop(0).strip()[1:].partition(":")
            options[key] = value.strip()
        inner = convert_directives("\n".join(body)).strip("\n")
        if name == "math":
            block = f"$$\n{inner}\n$$"
        else:
            title = arg.strip() or name.capitalize()
            if "dropdown" in options.get("class", "").split():
                block = f"<details>\n<summary>{title}</summary>\n\n{inner}\n\n</details>"
            else:
                quoted = "\n".join(("> " + line).rstrip() for line in inner.split("\n"))
                block = f"> **{title}**\n>\n{quoted}"
        out.extend(["", *(indent + line if line else line for line in block.split("\n")), ""])
        i = j + 1
    return "\n".join(out)


def convert_markdown(text, next_value, pages, chapters):
    """One markdown cell of the MyST source as plain Markdown; returns (text, cited {key: reference})."""
    text = EVAL.sub(lambda m: next_value(m.group(1)), text)
    cited = {}

    def link(m):
        target, anchor, title = m.group(1), m.group(2) or "", m.group(3)
        if target == "references.md" and anchor.startswith("#cite-"):
            cited[anchor[len("#cite-"):]] = title or anchor[len("#cite-"):]
        page = target.rsplit(".", 1)[0]
        if page not in chapters:
            return m.group(0)
        url = f"{pages}book/{page}.html{anchor}" if pages else f"{page}.ipynb{anchor}"
        return f"]({url}" + (f' "{title}"' if title else "") + ")"

    text = re.sub(r'\]\(([\w.-]+\.(?:ipynb|md))(#[\w-]+)?(?:\s+"([^"]*)")?\)', link, text)
    text = convert_directives(text)
    text = re.sub(r"\n{3,}", "\n\n", text).strip("\n")
    return text, cited


def leaks(text):
    """The MyST constructs left in a plain Markdown text (outside code blocks)."""
    found, in_code = [], False
    kept = []
    for line in text.split("\n"):
        if re.match(r"^\s*(`{3,}|~{3,})(?!\s*\{)", line):
            in_code = not in_code
            continue
        if not in_code:
            kept.append(line)
    plain = "\n".join(kept)
    for what, pattern in LEAKS:
        for m in pattern.finditer(plain):
            found.append(f"{what}: {m.group(0).strip()!r}")
    return found


def _lines(text):
    lines = text.split("\n")
    return [line + "\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])


def _names(source):
    """(names a code cell defines, names it reads without setting them); None for magics."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    defined, read = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (defined if isinstance(node.ctx, (ast.Store, ast.Del)) else read).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            defined.update((a.asname or a.name).split(".")[0] for a in node.names)
    return defined, read - defined   # a name the cell sets itself (a loop variable) is not needed


def _needed_hidden_cells(cells):
    """Ids of remove-cell code cells that define a name some later kept code cell reads."""
    needed, read_later = set(), set()
    for cell in reversed(cells):
        if cell["cell_type"] != "code":
            continue
        names = _names("".join(cell["source"]))
        hidden = "remove-cell" in cell.get("metadata", {}).get("tags", [])
        if hidden and cell.get("id") != COLAB_ID:
            if names is None or names[0] & read_later:
                needed.add(cell.get("id"))
                read_later |= names[1] if names else set()
        elif names is not None:
            read_later |= names[1]
    return needed


def plain_notebook(nb, evals, pages, chapters, page_url):
    """The executed MyST notebook ``nb`` as a plain-Jupyter notebook."""
    queues = {}
    for name, value in evals:
        queues.setdefault(name, []).append(value)
    last = {}

    def next_value(name):
        if queues.get(name):
            last[name] = queues[name].pop(0)
        value = last.get(name)
        return "{eval}`" + name + "`" if value is None else value  # unresolved: reported as a leak

    cells, cited = [], {}
    needed = _needed_hidden_cells(nb["cells"])
    for cell in nb["cells"]:
        tags = set(cell.get("metadata", {}).get("tags", []))
        cell = json.loads(json.dumps(cell))
        meta = cell.setdefault("metadata", {})
        if cell["cell_type"] == "markdown":
            text, refs = convert_markdown("".join(cell["source"]), next_value, pages, chapters)
            cited.update(refs)
            cell["source"] = _lines(text)
        elif cell["cell_type"] == "code":
            if cell.get("id") == COLAB_ID or cell.get("id") in needed:
                meta["tags"] = sorted(tags - {"remove-cell"})
                meta["jupyter"] = {"source_hidden": True}
                if cell.get("id") == COLAB_ID:
                    cell["outputs"], cell["execution_count"] = [], None
            elif "remove-cell" in tags:
                continue
            if tags & {"remove-input", "hide-input"}:
                meta.setdefault("jupyter", {})["source_hidden"] = True
            if tags & {"remove-output"}:
                cell["outputs"] = []
            if tags & {"hide-output"}:
                meta.setdefault("jupyter", {})["outputs_hidden"] = True
        elif "remove-cell" in tags:
            continue
        cells.append(cell)
    if cited:
        items = "\n".join(f"- {ref}" for ref in cited.values())
        where = f" ([the course's reference list]({pages}book/references.html))" if pages else ""
        cells.append({"cell_type": "markdown", "id": "plain-references", "metadata": {},
                      "source": _lines(f"## References\n\nThe works this chapter cites{where}:\n\n{items}")})
    if page_url:
        cells.insert(0, {"cell_type": "markdown", "id": "plain-edition", "metadata": {},
                         "source": _lines(f"*The plain-Jupyter edition of this gdcourse chapter, with the "
                                          f"values of the book's run written into the text "
                                          f"([the chapter's web page]({page_url})).*")})
    out = dict(nb)
    out["cells"] = cells
    out["metadata"] = {k: v for k, v in nb.get("metadata", {}).items()
                       if k in ("kernelspec", "language_info", "widgets")}
    return out


def write_plain_edition(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    executed = _execute_dir(app)
    plain_dir = Path(app.outdir).parent / "plain"
    pages = pages_url(app)
    docnames = sorted(d for d in app.env.found_docs if app.env.doc2path(d).endswith(".ipynb"))
    # link targets that are pages of the book: every document beside the chapters
    chapters = {p.stem for d in docnames for p in Path(app.env.doc2path(d)).parent.iterdir()
                if p.suffix in (".ipynb", ".md")}
    written = 0
    for docname in docnames:
        source = executed / (docname + ".ipynb")
        if not source.exists():
            logger.warning(f"plain edition: no executed notebook for {docname}", location=docname)
            continue
        nb = json.loads(source.read_text(encoding="utf-8"))
        eval_file = executed / (docname + ".eval.json")
        evals = json.loads(eval_file.read_text(encoding="utf-8")) if eval_file.exists() else []
        page_url = f"{pages}{docname}.html" if pages else None
        plain = plain_notebook(nb, evals, pages, chapters, page_url)
        for cell in plain["cells"]:
            if cell["cell_type"] == "markdown":
                for leak in leaks("".join(cell["source"])):
                    logger.warning(f"plain edition: {leak} left in cell {cell.get('id')}",
                                   location=docname)
        text = json.dumps(plain, indent=1, ensure_ascii=False) + "\n"
        for target in (plain_dir / (docname + ".ipynb"),
                       Path(app.outdir) / "_sources" / (docname + ".ipynb")):
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        written += 1
    logger.info(f"plain edition: {written} notebooks in {plain_dir}")


def _colab_opens_plain_edition(app, pagename, templatename, context, doctree):
    """Point the Colab button at the plain edition's branch (the theme points it at the sources)."""
    branch = app.config.plain_edition_branch
    source_branch = app.config.html_theme_options.get("repository_branch", "main")
    for group in context.get("header_buttons", []):
        for button in group.get("buttons", []) if isinstance(group, dict) else []:
            if button.get("text") == "Colab" and branch:
                button["url"] = button["url"].replace(f"/blob/{source_branch}/", f"/blob/{branch}/", 1)


def setup(app):
    app.add_config_value("plain_edition_branch", "notebooks", "html")
    _record_evals()
    app.connect("doctree-read", _save_evals)
    app.connect("build-finished", write_plain_edition)
    # after sphinx-book-theme has added its launch buttons (default priority 500)
    app.connect("html-page-context", _colab_opens_plain_edition, priority=900)
    return {"parallel_read_safe": False, "parallel_write_safe": True}
