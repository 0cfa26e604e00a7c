"""Every figure's alt text in the built book, from the notebook output's metadata.

``gdcourse.plotting`` gives each figure a notebook shows a text alternative, in the output's
metadata (``{"image/png": {"alt": "Figure, 2 panels. Panel 1: ..."}}``): made from what was drawn
(the objective, the runs, the axes) or the chapter's own words (``plotting.describe``).
myst-nb 1.x takes only ``width`` and ``height`` from an output's metadata, so Sphinx wrote the
image's file name as its alt (``../_images/8394….png``). This extension hands the output's alt to
the image node. A cell's own ``mystnb: image: alt:`` metadata (myst-nb's per-cell option) wins.

The same metadata names the legend entries told apart by colour alone (``colour_only``,
``gdcourse.plotting.colour_only``): each such figure is a warning, so the build (``-W``) fails.
"""
from docutils import nodes
from sphinx.util import logging

logger = logging.getLogger(__name__)

try:
    from myst_nb.core.render import NbElementRenderer
except ImportError:  # pragma: no cover - the book is built with myst-nb
    NbElementRenderer = None


def _with_output_alt(render_image):
    def render(self, data):
        drawn = render_image(self, data)
        meta = data.output_metadata.get(data.mime_type) or {}
        meta = meta if isinstance(meta, dict) else {}
        alt = meta.get("alt")
        if meta.get("colour_only"):
            pairs = "; ".join(" and ".join(f"“{t}”" for t in pair) for pair in meta["colour_only"])
            env = getattr(self.renderer.document.settings, "env", None)
            logger.warning(f"a figure (cell {data.cell_index}) tells {pairs} apart by colour alone: "
                           "draw them with gdcourse.plotting.line_kw(name) or give each a line style or marker",
                           location=(env.docname, data.line) if env else None, type="gdcourse", subtype="colour_only")
        if isinstance(alt, str) and alt.strip():
            for node in drawn:
                if isinstance(node, nodes.image) and not node.get("alt"):
                    node["alt"] = " ".join(alt.split())
        return drawn

    render._gdcourse_alt = True
    return render


def setup(app):
    if NbElementRenderer is not None and not getattr(NbElementRenderer.render_image, "_gdcourse_alt", False):
        NbElementRenderer.render_image = _with_output_alt(NbElementRenderer.render_image)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
