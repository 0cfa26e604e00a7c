"""The explorers of the additional strategies (orders, batch normalization, early stopping, gradient noise)."""
import numpy as np
import pytest

from gdcourse import loops, widgets


def test_order_explorer_reruns_on_a_change_and_keeps_the_shuffled_reference():
    ex = widgets.explore_orders("sorted by label", epochs=1)
    first_png, ref = ex.image.value, ex.histories["shuffled every epoch (reference)"]
    ex.controls["order"].value = "curriculum, mixed"
    assert ex.histories["shuffled every epoch (reference)"] is ref          # cached: the order does not change it
    assert "curriculum, mixed" in ex.histories and ex.image.value != first_png
    bars = [b.get_height() for b in ex.plot["bars"]]
    assert sum(bars) == len(ex.X_val)
    with pytest.raises(ValueError, match="Invalid order"):
        widgets.explore_orders("backwards")


def test_batchnorm_explorer_switches_normalization_on_and_off():
    ex = widgets.explore_batchnorm(batchnorm=True, epochs=1)
    assert "with batch normalization" in ex.status.value
    ex.controls["batchnorm"].value = False
    assert "without batch normalization" in ex.status.value
    assert ex.band.shape == (3, len(ex.history.batch_losses) + 1)
    with pytest.raises(ValueError, match="Invalid batch_size"):
        widgets.explore_batchnorm(n=100, batch_size=32)


def test_early_stopping_explorer_stops_where_patience_stop_says():
    ex = widgets.explore_early_stopping(patience=3, epochs=15)
    h = ex.run(ex.controls["lr"].value)
    stopped_at, best = loops.patience_stop(h.val_losses, 3)
    assert ex.plot["best"].get_xdata()[0] == best
    end = stopped_at if stopped_at >= 0 else len(h.val_losses) - 1
    assert ex.plot["stop"].get_xdata()[0] == end
    ex.controls["patience"].value = 1
    assert ex.run(ex.controls["lr"].value) is h                       # patience never retrains
    with pytest.raises(ValueError, match="Invalid lr"):
        widgets.explore_early_stopping(lr=0.5)


def test_noise_explorer_draws_every_noisy_run_and_the_schedule():
    ex = widgets.explore_gradient_noise(eta=1.0, steps=50, runs=4)
    assert ex.runs["noisy"].thetas.shape == (51, 4, 2)
    sched = ex.plot["sched"].get_ydata()
    np.testing.assert_allclose(sched, loops.GradientNoise(1.0, 0.55).variance(np.arange(50)))
    before = ex.runs["noisy"].thetas.copy()
    ex.controls["eta"].value = 100.0
    assert not np.allclose(ex.runs["noisy"].thetas, before)
    assert "noisy runs end in the global minimum" in ex.status.value
