"""Execute a notebook in order in myst-nb's inline mode: every cell above an {eval}, and all cells.

myst-nb 1.4 in ``inline`` mode runs code cells only when it renders a *visible* code cell (then it
runs every cell up to that one), and evaluates an ``{eval}`` role at once. The course's hidden
``remove-cell`` cells, which compute the values the prose shows and assert its claims, are never
rendered: an ``{eval}`` in the paragraph right after one failed with a NameError, and the hidden
cells after the last visible one never ran at all, so a failing claim check passed the build.

Here every ``{eval}`` (role or directive) first runs all cells above its markdown cell, and the
client runs the rest of the notebook before it finishes. The book then executes what JupyterLab's
Run All executes, in the same order, and a failing hidden assert fails the build (-W).

JupyterLab (jupyterlab_myst) evaluates every ``{eval}`` once Run All has finished, with the
notebook's last values. So the client also evaluates each expression again at the end: one that
shows another value there (a name the chapter assigns again further down) is a warning, and the
build (-W) fails: the web page and JupyterLab would show different numbers.
The lock pins myst-nb; ``tests/test_book.py`` checks all this on small notebooks.
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


_ORIGINAL_EVAL = NotebookClientInline.eval_variable


def _recorded(self, name):
    outputs = _ORIGINAL_EVAL(self, name)
    self.__dict__.setdefault("_gdcourse_evals", []).append((name, _shown(outputs)))
    return outputs


def _shown(outputs):
    return [o.get("data") for o in outputs or []]


def _finalise_after_all_cells(finalise):
    def wrapped(self):
        cells = self.notebook.get("cells", [])
        if cells:
            self.code_cell_outputs(len(cells) - 1)
        last = {}
        for name, shown in self.__dict__.get("_gdcourse_evals", []):
            if name not in last:
                last[name] = _shown(_ORIGINAL_EVAL(self, name))
            if last[name] != shown:
                self.logger.warning(f"{{eval}}`{name}` shows {_text(shown)} where it stands but {_text(last[name])} "
                                    "after the last cell, as JupyterLab shows it: give that value a name of its own",
                                    subtype="eval")
        return finalise(self)
    return wrapped


def _text(shown):
    plain = [d.get("text/plain") for d in shown if isinstance(d, dict)]
    return repr(plain[0] if len(plain) == 1 else plain)


def setup(app):
    if getattr(NotebookClientInline, "_gdcourse_in_order", False):   # once per process
        return {"parallel_read_safe": True, "parallel_write_safe": True}
    NotebookClientInline._gdcourse_in_order = True
    for cls in (nb_eval.EvalRoleAny, nb_eval.EvalDirectiveAny, nb_eval.EvalFigureDirective):
        cls.run = _in_order(cls.run)
    NotebookClientInline.eval_variable = _recorded
    NotebookClientInline.finalise_client = _finalise_after_all_cells(NotebookClientInline.finalise_client)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
