"""Calibration of the churn model: probabilities stay within [0.001, 0.999] (isotonic steps
otherwise reach exactly 0 and 1), sigmoid when the held-out slice has few churners, and the
calibrated probabilities match a known truth."""

from __future__ import annotations

import numpy as np
import pytest

from learning import churn_model

SETTINGS = churn_model.ModelSettings(learner_params={"max_iter": 60, "learning_rate": 0.1, "max_leaf_nodes": 15,
                                                     "min_samples_leaf": 20})


def _world(n: int, offset: float, seed: int):
    """P(churn) = sigmoid(3x - offset) on the first of three features; days in time order."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)).astype(np.float32)
    truth = 1 / (1 + np.exp(-(3 * x[:, 0] - offset)))
    y = (rng.random(n) < truth).astype(np.int8)
    days = np.sort(rng.integers(0, 200, size=n))
    return x, y, days


def _judge(model, offset: float, seed: int):
    x, y, _ = _world(20_000, offset, seed)
    truth = 1 / (1 + np.exp(-(3 * x[:, 0] - offset)))
    return model.predict_proba(x)[:, 1], y, truth


def test_isotonic_probabilities_never_reach_zero_or_one():
    x, y, days = _world(40_000, 3.0, 0)
    model, method = churn_model._fit_calibrated(x, y, np.ones(len(y)), days, SETTINGS)
    assert method == "isotonic on 10058 held-out later rows from 150"
    p, y_new, truth = _judge(model, 3.0, 1)
    # the isotonic steps at both ends are held at the bounds, not at certainty
    assert p.min() == 0.001 and p.max() == 0.999
    assert (p == 0.001).sum() > 100 and (p == 0.999).sum() > 10
    proba = model.predict_proba(x[:5])
    assert proba.shape == (5, 2) and np.allclose(proba.sum(axis=1), 1.0)
    assert churn_model.expected_calibration_error(p, y_new) < 0.02
    assert abs(p.mean() - truth.mean()) < 0.01


def test_few_churners_in_the_calibration_slice_calibrate_by_sigmoid():
    x, y, days = _world(6_000, 7.0, 2)
    held_out_churners = int(y[days >= np.unique(days)[150]].sum())
    assert 5 <= held_out_churners < churn_model.ISOTONIC_MIN_CHURNERS
    model, method = churn_model._fit_calibrated(x, y, np.ones(len(y)), days, SETTINGS)
    assert method.startswith("sigmoid on ")
    p, y_new, truth = _judge(model, 7.0, 3)
    assert 0.001 <= p.min() and p.max() <= 0.999
    assert churn_model.expected_calibration_error(p, y_new) < 0.02
    assert p.mean() == pytest.approx(truth.mean(), abs=0.01)
