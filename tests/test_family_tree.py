"""The family tree of the conclusion: every rule has its place and a parent it improves on."""
from matplotlib.figure import Figure

import gdcourse.optimizers as O
from gdcourse import plotting


def test_lineage_covers_every_rule_but_sgd_and_adamw_and_parents_exist():
    assert set(plotting.LINEAGE) == (set(O.RULES) - {"SGD"}) | {"AdamW"}
    for child, (parents, weakness) in plotting.LINEAGE.items():
        assert parents and all(p in O.RULES for p in parents) and weakness


def test_family_tree_draws_one_box_per_rule_and_one_arrow_per_parent():
    ax = plotting.family_tree(Figure().add_subplot())
    boxes = [t.get_text() for t in ax.texts if t.get_bbox_patch() is not None and t.get_fontweight() == "bold"]
    assert sorted(boxes) == sorted([*O.RULES, "AdamW"])
    arrows = [t for t in ax.texts if t.get_text() == ""]
    assert len(arrows) == sum(len(p) for p, _ in plotting.LINEAGE.values())
