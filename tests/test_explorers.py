"""gdcourse.explorers: one definition (controls, computation, picture), two front-ends."""
import json
import re

import numpy as np
import pytest

import gdcourse.optimizers as O
from gdcourse import explorers
from gdcourse.explorers import Choice, Explorer, Slider, series, status
from gdcourse.objectives import get
from gdcourse.run import run


def _toy(calls=None):
    """y = a·x on x = 0..4, for a on a slider; a reference line that does not depend on a."""
    def compute(values, live=False):
        if calls is not None:
            calls.append((values, live))
        items = [series(0, "line", [a * x for x in range(5)], None, {"a": a}) for a in values["a"]]
        items.append(series(0, "reference", [1.0] * 5))
        return items, [status(f"a = {a:g}", {"a": a}) for a in values["a"]]

    return Explorer("toy", "a line of slope a", [Slider("a", "slope a of the line", [0.5, 1.0, 2.0], 1.0, short="a")],
                    compute, [{"title": "", "xlabel": "x", "ylabel": "y"}])


def test_sliders_move_by_position_and_start_at_the_nearest_value():
    s = Slider("lr", "learning rate η, log scale", [-2, -1.5, 0], -1.4, short="η", fmt=lambda v: f"{10**v:.2g}")
    assert s.default == 1 and s.labels == ["0.01", "0.032", "1"]
    c = Choice("order", "order of the examples", ["a", "b"], "b")
    assert c.default == 1 and c.kind == "choice"
    with pytest.raises(ValueError, match="Invalid values"):
        Slider("x", "x", [], 0)
    with pytest.raises(ValueError, match="Invalid default"):
        Choice("o", "o", ["a"], "z")


def test_page_data_is_the_computation_over_the_whole_grid_keyed_by_slider_position():
    calls = []
    ex = _toy(calls)
    data = ex.page_data()
    assert calls[-1] == ({"a": [0.5, 1.0, 2.0]}, False)
    lines = [it for it in data["items"] if it["s"] == "line"]
    assert [it["k"] for it in lines] == [{"a": 0}, {"a": 1}, {"a": 2}]
    assert [it for it in data["items"] if it["s"] == "reference"][0]["k"] == {}   # drawn at every a
    assert ex.page_data() is data                                                 # computed once


def test_live_data_is_the_computation_at_the_current_values():
    calls = []
    ex = _toy(calls)
    ex.set(a=2.0)
    data = ex.data()
    assert calls[-1] == ({"a": [2.0]}, True) and ex.values == {"a": 2.0}
    assert data["items"][0]["y"] == [0.0, 2.0, 4.0, 6.0, 8.0] and data["status"][0]["m"] == "a = 2"
    with pytest.raises(ValueError, match="Invalid control"):
        ex.set(b=1)


def test_a_key_off_the_grid_is_refused():
    def compute(values, live=False):
        return [series(0, "x", [1, 2], None, {"a": 0.75})], []

    ex = Explorer("t", "t", [Slider("a", "a", [0.5, 1.0], 1.0)], compute, [{"title": "", "xlabel": "", "ylabel": ""}])
    with pytest.raises(ValueError, match="Invalid key"):
        ex.page_data()


def test_the_page_html_keeps_the_dom_contract_and_needs_nothing_from_outside():
    html = _toy().to_html()
    payload = json.loads(re.search(r"<script type='application/json' id='[^']+'>(.*?)</script>", html, re.S)
                         .group(1).replace("<\\/", "</"))
    assert payload["index"] == {"a": 1}
    spec = payload["spec"]
    assert spec["controls"][0]["label"] == "slope a of the line" and spec["description"] == "a line of slope a"
    # The drawing code builds these: the CI checks and the browser test rely on them.
    for needle in ("gdcourse-explorer", "gdcourse-explorer-picture", "type='range'", "aria-label",
                   "aria-valuetext", "role='img'"):
        assert needle in html
    assert "http" not in html.split("<script>")[1]    # no library from a CDN: the code travels with the page
    assert all(st["dash"] is not None and st["color"] for st in spec["styles"].values())


def test_the_mime_bundle_carries_the_live_widget_and_the_kernel_free_fallback():
    pytest.importorskip("anywidget")
    bundle = _toy()._repr_mimebundle_()
    assert {"text/html", "text/plain", "application/vnd.jupyter.widget-view+json"} <= set(bundle)


def test_the_live_widget_recomputes_when_the_browser_moves_a_slider():
    pytest.importorskip("anywidget")
    calls = []
    ex = _toy(calls)
    w = ex.widget
    assert w.index == {"a": 1} and w.spec["controls"][0]["name"] == "a"
    w.index = {"a": 0}                                # what the browser sends
    assert ex.values == {"a": 0.5} and w.data["items"][0]["y"][1] == 0.5
    assert calls[-1][1] is True


def test_the_live_widget_sends_every_setting_one_step_away_ahead_and_each_once(monkeypatch):
    pytest.importorskip("anywidget")
    from gdcourse.explorers import live

    ex = _toy()
    w = ex.widget
    sent = []
    monkeypatch.setattr(w, "send", lambda content, buffers: sent.append((content, json.loads(bytes(buffers[0])))))
    assert w.key == "a=1"
    w._message(w, {"want": "neighbours"}, [])         # a view was drawn: a = 0.5 and a = 2 go ahead
    assert [c["key"] for c, _ in sent] == ["a=0", "a=2"]
    assert sent[1][1]["items"][0]["y"] == [0.0, 2.0, 4.0, 6.0, 8.0] and "line" in sent[1][0]["styles"]
    w.index = {"a": 2}                                # the browser moved: its neighbour a = 1 was never sent
    assert [c["key"] for c, _ in sent] == ["a=0", "a=2", "a=1"] and w.key == "a=2"
    w.index = {"a": 1}                                # both neighbours are in the page already
    assert len(sent) == 3
    assert w.neighbours([]) == [] and w.neighbours(["a"]) == w.neighbours() == [{"a": 0}, {"a": 2}]
    monkeypatch.setattr(live, "KEEP", 1)              # the page keeps one: the kernel forgets as it does
    w._message(w, {"want": "neighbours"}, [])
    assert [c["key"] for c, _ in sent[3:]] == ["a=0", "a=2"] and list(w._sent) == ["a=2"]


def test_paths_runs_are_the_runners_and_the_defaults_are_on_the_grid():
    ex = explorers.paths(["SGD", "Momentum"], "ravine", steps=30, lr={"SGD": 0.9, "Momentum": 0.09},
                         shared={"gamma": 0.9})
    obj = get("ravine")
    assert ex.values["lr_SGD"] == pytest.approx(np.log10(0.9)) and ex.values["gamma"] == 0.9
    np.testing.assert_allclose(ex.runs["Momentum"].thetas, run(O.Momentum(lr=0.09, gamma=0.9), obj, obj.start, 30).thetas)
    path = next(it for it in ex.data()["items"] if it["s"] == "Momentum" and it["p"] == 0)
    np.testing.assert_allclose(np.c_[path["x"], path["y"]], ex.runs["Momentum"].thetas, rtol=1e-3, atol=1e-4)
    # every page setting of Momentum: its η grid times the γ grid
    page = [it for it in ex.page_data()["items"] if it["s"] == "Momentum" and it["p"] == 0]
    assert len(page) == len(ex.controls["lr_Momentum"].values) * len(ex.controls["gamma"].values)


def test_paths_say_where_a_run_diverged():
    ex = explorers.paths(["SGD"], "ravine", steps=40, lr={"SGD": (-1, 0.5, 0.5)})
    assert ex.runs["SGD"].diverged_at >= 0
    assert ex.data()["status"][0]["m"] == f"SGD: diverged at step {ex.runs['SGD'].diverged_at}"


def test_shared_hyperparameters_move_only_their_rules_and_live_only_ones_stay_off_the_page():
    ex = explorers.paths(["Adagrad", "Adadelta"], "ravine", steps=20, lr={"Adagrad": (-1, -0.5, -1)},
                         shared={"eps": ((-6.0, -4.0), -6.0), "gamma": ((0.5, 0.9), 0.9, False)},
                         param_rules={"eps": ["Adadelta"]})
    keys = {(it["s"], tuple(sorted(it["k"]))) for it in ex.page_data()["items"] if it["p"] == 0}
    assert keys == {("Adagrad", ("lr_Adagrad",)), ("Adadelta", ("eps", "gamma")), ("start", ())}
    ex.set(eps=-4.0, gamma=0.5)
    obj = get("ravine")
    np.testing.assert_allclose(ex.runs["Adadelta"].thetas, run(O.Adadelta(eps=1e-4, gamma=0.5), obj, obj.start, 20).thetas)
    names = [c["name"] for c in ex.picture(page=True)["controls"]]
    assert "gamma" not in names and "gamma" in [c["name"] for c in ex.picture(page=False)["controls"]]
    with pytest.raises(ValueError, match="Invalid param_rules"):
        explorers.paths(["SGD", "Adadelta"], shared={"eps": 1e-6}, param_rules=["SGD"])
    with pytest.raises(ValueError, match="Invalid shared"):
        explorers.paths(["SGD"], shared={"rho": 1.0})
    with pytest.raises(ValueError, match="Invalid rules"):
        explorers.paths(["Newton"])


def test_a_live_start_move_is_a_look_up_and_the_step_slider_only_truncates():
    ex = explorers.paths(["SGD", "Adam"], "beale", steps=50, start=True, play=True)
    assert not ex.controls["x0"].page and ex.controls["shown"].truncates
    assert ex.values["x0"] == get("beale").start[0] and ex.values["shown"] == 50
    ex.data()
    memo = ex.compute.__closure__  # the runs are kept per setting: nothing is computed for a new start
    before = sum(len(c.cell_contents.memo) for c in memo if hasattr(c.cell_contents, "memo"))
    ex.set(x0=ex.controls["x0"].values[0])
    ex.data()
    after = sum(len(c.cell_contents.memo) for c in memo if hasattr(c.cell_contents, "memo"))
    assert after == before
    assert "shown" not in ex.data()["items"][0]["k"]


def test_panels_explorer_draws_rows_without_a_field_everywhere_and_filters_by_sliders():
    table = [{"l": l, "t": t, "a": l * t, "b": l + t, "run": "r"} for l in (0.0, 1.0) for t in range(3)]
    table += [{"t": t, "a": 0.5, "b": 0.5, "run": "reference"} for t in range(3)]
    st = [{"l": l, "m": f"line one {l}\nline two"} for l in (0.0, 1.0)]
    ex = explorers.panels_explorer(table, "t", [("a", "A", {}), ("b", "B", {"log": True, "ylim": (0.1, 10)})],
                                   {"l": ("η", [0.0, 1.0], 1.0)}, series="run", status=st, dashed=("reference",))
    assert ex.values == {"l": 1.0}
    live = ex.data()
    assert {(it["p"], it["s"]) for it in live["items"]} == {(0, "r"), (1, "r"), (0, "reference"), (1, "reference")}
    assert next(it for it in live["items"] if it["p"] == 0 and it["s"] == "r")["y"] == [0.0, 1.0, 2.0]
    assert [s["m"] for s in live["status"]] == ["line one 1.0\nline two"]
    pic = ex.picture(page=True)
    assert pic["panels"][1]["ylog"] and pic["panels"][1]["ylim"] == [0.1, 10.0]
    assert pic["styles"]["reference"]["dash"] == [6, 3]
    with pytest.raises(ValueError, match="Invalid table"):
        explorers.panels_explorer([], "t", [("a", "A", {})], {})
    with pytest.raises(ValueError, match="Invalid panels"):
        explorers.panels_explorer(table, "t", [], {})


def test_log_sliders_show_the_value_and_read_the_scale():
    s = explorers.log_slider("W", 2, "W workers", "number of workers W, log₂ scale", [0, 3, 6], 3)
    assert s.labels == ["1", "8", "64"] and s.label.endswith("log₂ scale") and s.short == "W workers"


def test_the_page_grid_marks_the_runs_that_diverge():
    ex = explorers.paths(["SGD"], "ravine", steps=60, lr={"SGD": (-2, 0.5, -0.25)})
    assert isinstance(ex, explorers.PathExplorer) and ex.runs["SGD"].diverged_at == -1
    status_of = {ex.controls[name].values[pos]: st["m"]
                 for st in ex.page_data()["status"] for name, pos in st["k"].items() if name.startswith("lr_")}
    assert "diverged" in status_of[0.5] and "diverged" not in status_of[-0.25]


def test_online_explorer_runs_the_papers_problem_and_moves_the_problem_live():
    ex = explorers.online(steps=303)
    assert ex.values["C"] == 1010 and ex.values["period"] == 101
    assert not ex.controls["C"].page and ex.controls["beta2"].page
    ends = {r: run.xs[-101:, 0].mean() for r, run in ex.runs.items()}
    assert ends["Adam"] > ends["AMSGrad"]
    for run_ in ex.runs.values():
        assert np.all(np.abs(run_.xs) <= 1.0)
    ex.set(C=500.0, period=101)     # 500 + 100 · (−10) < 0: the best point flips to +1
    assert "x* = +1" in ex.data()["status"][0]["m"]
    with pytest.raises(ValueError, match="Invalid rules"):
        explorers.online(rules=["SGD"])
    with pytest.raises(ValueError, match="Invalid x0"):
        explorers.online(x0=1.5)


def test_live_values_on_the_page_grid_are_looked_up_and_others_computed_once():
    calls = []
    ex = _toy(calls)
    ex.page_data()
    n = len(calls)
    ex.set(a=0.5)
    assert ex.data()["items"][0]["k"] == {"a": 0} and len(calls) == n       # from the page's grid


def test_a_book_build_gets_the_page_front_end_only(monkeypatch):
    monkeypatch.setenv("GDCOURSE_EXPLORERS", "page")
    bundle = _toy()._repr_mimebundle_()
    assert set(bundle) == {"text/html", "text/plain"}
