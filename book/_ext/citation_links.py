"""Let Markdown links to the references page's entries resolve: ``[Ruder, 2016](references.md#cite-<key>)``.

The chapters cite with plain Markdown links (``.ci/portable_markup.py`` writes them), because
JupyterLab and every other Jupyter front end render those as readable text, where a ``{cite}`` role
shows as a bare key. On the web page sphinxcontrib-bibtex renders the references page; with
``bibtex_cite_id = "cite-{key}"`` its entries carry the ids ``cite-<key>``. MyST resolves a link's
``#anchor`` into another document only against that document's heading anchors, so this extension
adds each entry's id to the references page's anchors; an unknown key still fails the build
(MyST's "local id not found" warning under -W).
"""
from sphinx.util import logging

logger = logging.getLogger(__name__)


def _register_entry_anchors(app, doctree):
    docname = app.env.docname
    # The bibliography directive notes an explicit target for every entry while it is read.
    found = {id_: (0, id_, id_.removeprefix("cite-")) for id_ in doctree.ids if id_.startswith("cite-")}
    if found:
        slugs = app.env.metadata[docname].setdefault("myst_slugs", {})
        slugs.update(found)


def setup(app):
    app.connect("doctree-read", _register_entry_anchors)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
