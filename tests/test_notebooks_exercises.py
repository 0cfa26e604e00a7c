"""Exercises keep their answers hidden: no visible cell right after a solution shows a result.

A static check over every chapter (``book/*.ipynb``), without running anything. After a markdown
cell that holds an ``{admonition} Solution`` dropdown, every code cell up to the next markdown cell
must be hidden (tagged ``remove-cell``, or ``remove-input`` and ``remove-output``: a hidden check) or produce no output: no ``print``, ``display``,
``plt.show()`` or ``.show()``, and no bare expression as its last statement (Jupyter would display
its value). The answer belongs in the dropdown, as shown code, or in a hidden assert.
"""
import ast
import json
import pathlib

import pytest

BOOK = pathlib.Path(__file__).resolve().parent.parent / "book"
CHAPTERS = sorted(BOOK.glob("*.ipynb"))
OUTPUT_CALLS = {"print", "display", "show"}


def _source(cell):
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _is_solution(cell):
    return cell["cell_type"] == "markdown" and "{admonition} Solution" in _source(cell)


def _hidden(cell):
    """Hidden on the page: removed, or run with both its input and its output removed."""
    tags = set(cell.get("metadata", {}).get("tags", []))
    return "remove-cell" in tags or {"remove-input", "remove-output"} <= tags


def shows_output(code):
    """Whether a code cell displays something: a print/display/show call, or a bare last expression."""
    lines = [ln for ln in code.splitlines() if not ln.lstrip().startswith(("%", "!"))]   # IPython magics
    text = "\n".join(lines)
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return True   # cannot tell: count it as visible output
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None
            if name in OUTPUT_CALLS:
                return True
    if tree.body and isinstance(tree.body[-1], ast.Expr) and not text.rstrip().endswith(";"):
        return True
    return False


def answer_leaks(cells):
    """Indices of visible code cells that show output right after a solution dropdown."""
    leaks = []
    for i, cell in enumerate(cells):
        if not _is_solution(cell):
            continue
        for j in range(i + 1, len(cells)):
            nxt = cells[j]
            if nxt["cell_type"] == "markdown":
                break
            if nxt["cell_type"] == "code" and not _hidden(nxt) and shows_output(_source(nxt)):
                leaks.append(j)
    return leaks


def _md(text):
    return {"cell_type": "markdown", "metadata": {}, "source": text}


def _code(text, tags=()):
    return {"cell_type": "code", "metadata": {"tags": list(tags)}, "source": text}


SOLUTION = "1. Question?\n\n```{admonition} Solution\n:class: dropdown\nThe answer.\n```\n"


@pytest.mark.parametrize("cells, expected", [
    ([_md(SOLUTION), _code("x = 1\nprint(x)")], [1]),                      # prints the answer
    ([_md(SOLUTION), _code("x = 1\nx")], [1]),                             # displays the answer
    ([_md(SOLUTION), _code("fig.show()")], [1]),                           # shows a figure
    ([_md(SOLUTION), _code("x = 1\nprint(x)", tags=["remove-cell"])], []),  # hidden check
    ([_md(SOLUTION), _code("assert 1", tags=["remove-input", "remove-output"])], []),   # hidden, but run
    ([_md(SOLUTION), _code("print(1)", tags=["remove-input"])], [1]),      # its output is still shown
    ([_md(SOLUTION), _code("x = 1\nassert x == 1")], []),                  # visible but silent
    ([_md(SOLUTION), _md("2. Next question"), _code("print(2)")], []),     # belongs to the next question
    ([_md("Prose, no solution"), _code("print(1)")], []),                  # not after a solution
])
def test_answer_leaks_finds_visible_output_after_a_solution(cells, expected):
    assert answer_leaks(cells) == expected


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_no_answer_printed_right_after_a_solution(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    leaks = answer_leaks(cells)
    where = ", ".join(f"cell {j} (id {cells[j].get('id')})" for j in leaks)
    assert not leaks, (f"{path.name}: {where} right after an exercise's solution shows its result; "
                       "move the code into the solution dropdown or tag the cell remove-cell with an assert")
