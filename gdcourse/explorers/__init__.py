"""The course's explorers: sliders that move a chapter's hyperparameters and redraw its runs.

Each is defined once (:mod:`.core`: controls, computation, picture) and shown live in
Jupyter (a kernel recomputes on every change) and kernel-free on the web page (a grid of the
same computation, precomputed when the book is built, drawn in the browser). In a chapter an
explorer is one line, e.g. ``explorers.paths(["SGD", "Momentum"], shared={"gamma": 0.9})``.
"""
from .core import Choice, Explorer, Slider, series, status
from .paths import PathExplorer, contour_lines, paths

__all__ = ["Choice", "Explorer", "Slider", "series", "status", "paths", "PathExplorer", "contour_lines"]
from .chapters import (batchnorm_explorer, batchnorm_table, delay_explorer, downpour_explorer, early_stopping_explorer,
                       early_stopping_table, easgd_explorer, hogwild_explorer, noise_explorer, noise_table,
                       online, OnlineExplorer, online_explorer, orders_explorer, orders_table, sync_explorer, variants_explorer,
                       variants_table)
from .tables import TableExplorer, curve_explorer, log_slider, panels_explorer

__all__ += ["curve_explorer", "panels_explorer", "log_slider", "TableExplorer", "variants_table", "variants_explorer",
            "online", "OnlineExplorer", "online_explorer", "downpour_explorer", "hogwild_explorer", "delay_explorer", "sync_explorer",
            "easgd_explorer", "orders_table", "orders_explorer", "batchnorm_table", "batchnorm_explorer",
            "early_stopping_table", "early_stopping_explorer", "noise_table", "noise_explorer"]
