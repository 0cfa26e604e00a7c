"""Rewrite the chapters' markup into the form every medium renders, and the Colab cell from _config.yml.

The same notebook is read in three places: the web book (myst-nb), JupyterLab (jupyterlab_myst) and,
through the plain edition the build writes, any Jupyter front end (Colab, VS Code, classic Jupyter).
Two MyST roles do not survive all three: jupyterlab_myst shows ``{cite}`key``` as its bare key with a
warning mark, and shows ``{doc}`` without the target's title. Both become plain Markdown links, which
every renderer shows as readable text:

- ``{cite}`a,b``` (and ``{cite:p}``) -> ``([Ruder, 2016](references.md#cite-a); [...](references.md#cite-b))``
- ``{cite:t}`a``` -> ``[Ruder (2016)](references.md#cite-a)``
- ``{doc}`03_momentum``` -> ``[Momentum](03_momentum.ipynb)`` (the target's title), and
  ``{doc}`text <03_momentum>``` -> ``[text](03_momentum.ipynb)``.

The anchors ``cite-<key>`` are the references page's entries (``bibtex_cite_id`` in _config.yml; the
book's ``citation_links`` extension lets MyST resolve them). Author and year come from
book/references.bib. The link's title (the tooltip) is the full reference.

It also (re)writes every chapter's first hidden cell, id ``colab-install`` (hidden on the web page,
its input collapsed in JupyterLab): on a kernel without the
course package (Colab) it installs gdcourse from ``repository.url`` of _config.yml, constrained to
the versions of that repository's requirements.lock. The address is written only in _config.yml.

Idempotent: a second run changes nothing. ``--check`` changes nothing and exits 1 if a run would.

    python .ci/portable_markup.py            # every notebook under book/
    python .ci/portable_markup.py --check    # CI: fail if a notebook is not in the portable form
"""
import argparse
import json
import re
import sys
from pathlib import Path

import yaml
from pybtex.database import parse_file

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
COLAB_ID = "colab-install"

# {cite}`k`, {cite:p}`k1,k2`, {cite:t}`k`, {doc}`target`, {doc}`text <target>`
ROLE = re.compile(r"\{(cite|cite:p|cite:t|cite:ps|cite:ts|doc)\}`([^`]+)`")


def _strip_tex(text):
    return re.sub(r"[{}]", "", text).replace("\\&", "&").replace("--", "–").strip()


def load_references(bib=BOOK / "references.bib"):
    """``{key: (authors for the citation, year, full reference)}`` from the .bib file."""
    refs = {}
    for key, entry in parse_file(str(bib)).entries.items():
        people = entry.persons.get("author", [])
        last = [_strip_tex(" ".join(p.prelast_names + p.last_names)) for p in people]
        if len(last) == 1:
            who = last[0]
        elif len(last) == 2:
            who = f"{last[0]} and {last[1]}"
        else:
            who = f"{last[0]} et al."
        year = entry.fields.get("year", "n.d.")
        names = ", ".join(_strip_tex(" ".join(p.first_names + p.middle_names + p.prelast_names
                                               + p.last_names)) for p in people)
        venue = entry.fields.get("journal") or entry.fields.get("booktitle") or ""
        full = f"{names} ({year}). {_strip_tex(entry.fields.get('title', ''))}."
        if venue:
            full += f" {_strip_tex(venue)}."
        refs[key] = (who, year, full.replace('"', "'"))
    return refs


def _title(target):
    """The first '# ' heading of a chapter (notebook or Markdown page), for a {doc} link's text."""
    path = BOOK / target
    if path.suffix == ".ipynb":
        texts = ["".join(c["source"]) for c in json.loads(path.read_text(encoding="utf-8"))["cells"]
                 if c["cell_type"] == "markdown"]
    else:
        texts = [path.read_text(encoding="utf-8")]
    for text in texts:
        m = re.search(r"^# (.+)$", text, re.M)
        if m:
            return m.group(1).strip()
    raise SystemExit(f"portable_markup: {target} has no '# ' title")


def _doc_file(target):
    for suffix in (".ipynb", ".md"):
        if (BOOK / (target + suffix)).exists():
            return target + suffix
    raise SystemExit(f"portable_markup: {{doc}} target {target!r} is not a chapter under book/")


def rewrite_roles(text, refs):
    def cite_link(key, textual):
        if key not in refs:
            raise SystemExit(f"portable_markup: citation key {key!r} is not in references.bib")
        who, year, full = refs[key]
        label = f"{who} ({year})" if textual else f"{who}, {year}"
        return f'[{label}](references.md#cite-{key} "{full}")'

    def repl(m):
        role, body = m.group(1), m.group(2)
        if role == "doc":
            explicit = re.fullmatch(r"(.+?)\s*<([^>]+)>", body)
            text_, target = (explicit.group(1), explicit.group(2)) if explicit else (None, body)
            target = target.strip().removeprefix("/book/").removeprefix("./")
            file = _doc_file(target)
            return f"[{text_ or _title(file)}]({file})"
        keys = [k.strip() for k in body.split(",") if k.strip()]
        if role.startswith("cite:t"):
            return "; ".join(cite_link(k, True) for k in keys)
        return "(" + "; ".join(cite_link(k, False) for k in keys) + ")"

    return ROLE.sub(repl, text)


def colab_cell_source(config_path=ROOT / "_config.yml"):
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    repo = config["repository"]["url"].rstrip("/")
    branch = config["repository"].get("branch", "main")
    m = re.fullmatch(r"https://github\.com/([^/]+)/([^/]+?)(\.git)?", repo)
    if not m:
        raise SystemExit(f"portable_markup: repository.url {repo!r} is not a GitHub repository")
    lock = f"https://raw.githubusercontent.com/{m.group(1)}/{m.group(2)}/{branch}/requirements.lock"
    return (
        "# On Colab (or any kernel without the course package): install gdcourse from the course's\n"
        "# repository, with every dependency at the version of its requirements.lock.\n"
        "try:\n"
        "    import gdcourse\n"
        "except ImportError:\n"
        f'    %pip install --quiet -c {lock} "gdcourse @ git+{repo}@{branch}"'
    )


def _lines(text):
    lines = text.split("\n")
    return [line + "\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])


def rewrite_notebook(nb, refs, colab_source):
    cells = nb["cells"]
    for cell in cells:
        if cell["cell_type"] == "markdown":
            text = "".join(cell["source"])
            new = rewrite_roles(text, refs)
            if new != text:
                cell["source"] = _lines(new)
    colab = [c for c in cells if c.get("id") == COLAB_ID]
    if colab:
        cell = colab[0]
    else:
        cell = {"cell_type": "code", "execution_count": None, "id": COLAB_ID,
                "metadata": {}, "outputs": [], "source": []}
        first_code = next((i for i, c in enumerate(cells) if c["cell_type"] == "code"), len(cells))
        cells.insert(first_code, cell)
    cell["metadata"]["tags"] = sorted(set(cell["metadata"].get("tags", [])) | {"remove-cell"})
    cell["metadata"]["jupyter"] = {"source_hidden": True}   # collapsed in JupyterLab
    cell["source"] = _lines(colab_source)
    cell["outputs"], cell["execution_count"] = [], None
    return nb


def dump(nb):
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to rewrite (default: every notebook under book/)")
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 if a notebook is not in the portable form")
    args = parser.parse_args(argv)
    refs = load_references()
    colab_source = colab_cell_source()
    stale = []
    for path in args.notebooks or sorted(BOOK.glob("*.ipynb")):
        old = path.read_text(encoding="utf-8")
        new = dump(rewrite_notebook(json.loads(old), refs, colab_source))
        if new != old:
            stale.append(path)
            if not args.check:
                path.write_text(new, encoding="utf-8")
    verb = "not in the portable form (run python .ci/portable_markup.py)" if args.check else "rewritten"
    for path in stale:
        print(f"portable_markup: {path} {verb}")
    if args.check and stale:
        return 1
    print(f"portable_markup: {len(stale)} notebook(s) {verb}" if stale else "portable_markup: all notebooks portable")
    return 0


if __name__ == "__main__":
    sys.exit(main())
