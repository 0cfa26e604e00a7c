"""Execute a notebook in order in myst-nb's inline mode: every cell above an {eval}, and all cells.

myst-nb 1.4 in ``inline`` mode runs code cells only when it renders a *visible* code cell (then it
runs every cell up to that one), and evaluates an ``{eval}`` role at once. The course's hidden
``remove-cell`` cells, which compute the values the prose shows and assert its claims, are never
rendered: an ``{eval}`` in the paragraph right after one failed with a NameError, and the hidden
cells after the last visible one never ran at all, so a failing claim check passed the build.

Here every ``{eval}`` (role or directive) first runs all cells above its markdown cell, and the
client runs the rest of the notebook before it finishes. The book then executes what JupyterLab's
Run All executes, in the same order, and a failing hidden assert fails the build (-W).
The lock pins myst-nb; ``tests/test_book_config.py`` checks this on a small notebook.
"""
from bisect import bisect_right

import myst_nb.ext.eval as nb_eval
from myst_nb.core.execute.inline import NotebookClientInline


def _run_cells_above(document, line):
    renderer = document.get("nb_renderer")
    client = getattr(getattr(renderer, "renderer", None), "nb_client", None)
    if not isinstance(client, NotebookClientInline) or line is None:
        return
    here = bisect_right(client._source_map, line) - 1     # the markdown cell holding the role
    if here > 0:
        client.code_cell_outputs(here - 1)


def _in_order(run):
    def wrapped(self, *args, **kwargs):
        _run_cells_above(self.document, getattr(self, "line", None) or getattr(self, "lineno", None))
        return run(self, *args, **kwargs)
    return wrapped


def _finalise_after_all_cells(finalise):
    def wrapped(self):
        cells = self.notebook.get("cells", [])
        if cells:
            self.code_cell_outputs(len(cells) - 1)
        return finalise(self)
    return wrapped


def setup(app):
    for cls in (nb_eval.EvalRoleAny, nb_eval.EvalDirectiveAny, nb_eval.EvalFigureDirective):
        cls.run = _in_order(cls.run)
    NotebookClientInline.finalise_client = _finalise_after_all_cells(NotebookClientInline.finalise_client)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
