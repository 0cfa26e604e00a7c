"""The book's build machinery (book/_ext) on small notebooks: what the chapters rely on."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _notebook(cells):
    def cell(kind, text, tags=()):
        c = {"cell_type": kind, "metadata": {"tags": list(tags)}, "source": text}
        return c | ({"outputs": [], "execution_count": None} if kind == "code" else {})
    return {"nbformat": 4, "nbformat_minor": 5,
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
            "cells": [cell(*c) for c in cells]}


def _build(tmp_path, cells):
    """Build a one-page book with the course's _config.yml; return (exit code, page text, log)."""
    shutil.copy(ROOT / "_config.yml", tmp_path / "_config.yml")
    shutil.copytree(ROOT / "book" / "_ext", tmp_path / "book" / "_ext")
    shutil.copy(ROOT / "book" / "references.bib", tmp_path / "book" / "references.bib")
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: page\n")
    (tmp_path / "page.ipynb").write_text(json.dumps(_notebook(cells)))
    proc = subprocess.run([str(Path(sys.executable).with_name("jupyter-book")), "build", "-W", "-n", "--keep-going", str(tmp_path)],
                          capture_output=True, text=True, timeout=300)
    page = tmp_path / "_build" / "html" / "page.html"
    return proc.returncode, page.read_text() if page.exists() else "", proc.stdout + proc.stderr


@pytest.mark.parametrize("visible_first", [False, True])
def test_eval_reads_a_value_computed_in_a_hidden_cell_just_above(tmp_path, visible_first):
    cells = [("code", "print('setup')")] if visible_first else []
    cells += [("code", "x = f'{3.14159:.2f}'", ["remove-cell"]), ("markdown", "# Page\n\nx is {eval}`x`.")]
    code, page, log = _build(tmp_path, cells)
    assert code == 0, log
    assert "x is <span" in page and ">3.14<" in page


def test_a_failing_hidden_assert_after_the_last_visible_cell_fails_the_build(tmp_path):
    cells = [("markdown", "# Page"), ("code", "print('shown')"),
             ("code", "assert 1 + 1 == 3, 'the claim is false'", ["remove-cell"])]
    code, _, log = _build(tmp_path, cells)
    assert code != 0 and "Executing notebook failed" in log


def test_an_eval_whose_name_is_assigned_again_further_down_fails_the_build(tmp_path):
    # JupyterLab evaluates every {eval} after Run All: it would show the later value.
    cells = [("code", "n = 3"), ("markdown", "# Page\n\nn is {eval}`n`."), ("code", "n = 4", ["remove-cell"])]
    code, _, log = _build(tmp_path, cells)
    assert code != 0 and "{eval}`n` shows '3' where it stands but '4' after the last cell" in log


def test_a_figure_that_tells_series_apart_by_colour_alone_fails_the_build(tmp_path):
    draw = ("import gdcourse\nfrom matplotlib.figure import Figure\nfig = Figure()\nax = fig.subplots()\n"
            "ax.plot([0, 1], [0, 1], color='C0', label='first')\nax.plot([0, 1], [1, 0], color='C1', label='second')\n"
            "ax.legend()\nfig")
    (tmp_path / "alone").mkdir(), (tmp_path / "dashed").mkdir()
    code, _, log = _build(tmp_path / "alone", [("markdown", "# Page"), ("code", draw)])
    assert code != 0 and "tells “first” and “second” apart by colour alone" in log
    dashed = draw.replace("color='C1'", "color='C1', ls='--'")
    code, _, log = _build(tmp_path / "dashed", [("markdown", "# Page"), ("code", dashed)])
    assert code == 0, log


CHAPTERS = sorted((ROOT / "book").glob("*.ipynb"))


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_takes_its_values_through_eval_not_glue(path):
    # JupyterLab (jupyterlab_myst) shows a {glue} role as its key's name; {eval} renders everywhere.
    nb = json.loads(path.read_text(encoding="utf-8"))
    sources = ["".join(c["source"]) for c in nb["cells"]]
    assert not [s for s in sources if "{glue" in s or "myst_nb import glue" in s]


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_is_committed_without_outputs(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    assert not [c for c in nb["cells"] if c["cell_type"] == "code" and (c["outputs"] or c["execution_count"])]
