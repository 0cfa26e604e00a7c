"""Run every code cell above a markdown cell, hidden ones included, before its {eval} roles are read.

In ``execute_notebooks: inline`` mode myst-nb executes a code cell when it renders it, and it never
renders a ``remove-cell`` cell: such a cell runs only when the next *visible* code cell is rendered,
after the markdown between them. So ``{eval}`x``` right after the hidden cell that sets ``x`` (the
course's pattern: run, hidden assert cell that formats the values, then the prose that reads them)
failed with ``NameError``. This extension makes the inline client execute all cells up to each
markdown cell before that cell is rendered, which is the order JupyterLab's Run All uses.
"""


def _run_cells_above_markdown():
    from myst_nb.core.render import MditRenderMixin

    original = MditRenderMixin.render_nb_cell_markdown
    if getattr(original, "_runs_cells_above", False):
        return

    def render_nb_cell_markdown(self, token):
        client = self.nb_client
        if hasattr(client, "code_cell_outputs") and client.nb_config.execution_mode == "inline":
            client.code_cell_outputs(token.meta["index"])   # executes every cell up to this one
        return original(self, token)

    render_nb_cell_markdown._runs_cells_above = True
    MditRenderMixin.render_nb_cell_markdown = render_nb_cell_markdown


def setup(app):
    _run_cells_above_markdown()
    return {"parallel_read_safe": True, "parallel_write_safe": True}
