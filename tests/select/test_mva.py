"""Tests of darkscan.select.mva: deterministic split, training, AUC, save/load."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import norm

from darkscan.errors import ConfigError, InputFileError
from darkscan.select import mva

FEATURES = ("f0", "f1", "f2")


def _gaussian_sample(rng, n, mean, first_event):
    x = rng.normal(mean, 1.0, size=(n, 3))
    table = {f: x[:, i] for i, f in enumerate(FEATURES)}
    table["run"] = np.full(n, 7, dtype=np.int64)
    table["event"] = np.arange(first_event, first_event + n, dtype=np.int64)
    table["weight"] = np.full(n, 0.5)
    return table


def _subset(table, mask):
    return {k: np.asarray(v)[mask] for k, v in table.items()}


@pytest.fixture(scope="module")
def samples():
    rng = np.random.default_rng(2024)
    sig = _gaussian_sample(rng, 4000, +1.0, 0)
    bkg = _gaussian_sample(rng, 4000, -1.0, 10_000)
    return sig, bkg


@pytest.fixture(scope="module")
def trained(samples):
    sig, bkg = samples
    ev_s, ev_b = mva.evaluation_mask(sig), mva.evaluation_mask(bkg)
    clf = mva.train_classifier(
        _subset(sig, ~ev_s),
        _subset(bkg, ~ev_b),
        features=FEATURES,
        signal_weights=sig["weight"][~ev_s],
        background_weights=bkg["weight"][~ev_b],
        random_state=1,
        max_iter=100,
    )
    return clf, ev_s, ev_b


def test_split_is_deterministic_disjoint_and_about_half():
    n = 100_000
    table = {"run": np.zeros(n, dtype=np.int64), "event": np.arange(n, dtype=np.int64)}
    ev = mva.evaluation_mask(table)
    train = ~ev
    assert not np.any(ev & train) and np.all(ev | train)
    # binomial(n, 1/2): fraction within 4 standard deviations (0.5 / sqrt(n) each)
    assert abs(ev.mean() - 0.5) < 4 * 0.5 / math.sqrt(n)
    # independent of the order of the events: a permutation permutes the mask
    perm = np.random.default_rng(0).permutation(n)
    shuffled = {k: v[perm] for k, v in table.items()}
    np.testing.assert_array_equal(mva.evaluation_mask(shuffled), ev[perm])
    # identical on a second call, and differs between runs
    np.testing.assert_array_equal(mva.evaluation_mask(table), ev)
    other_run = {"run": np.ones(n, dtype=np.int64), "event": table["event"]}
    assert np.mean(mva.evaluation_mask(other_run) != ev) > 0.4
    # parity split: odd event numbers; exactly half for consecutive numbers
    parity = mva.evaluation_mask(table, method="parity")
    assert parity.sum() == n // 2 and parity[1] and not parity[0]
    with pytest.raises(ConfigError):
        mva.evaluation_mask(table, method="random")
    with pytest.raises(ConfigError):
        mva.event_hash([-1], [3])


def test_evaluation_weights_represent_the_full_sample():
    n = 200_000
    w = np.random.default_rng(5).exponential(1.0, n)
    ev = mva.evaluation_mask(n)
    scaled = mva.evaluation_weights(w, ev)
    assert np.all(scaled[~ev] == 0.0)
    np.testing.assert_array_equal(scaled[ev], 2.0 * w[ev])
    # sum is unbiased: relative spread ~ sqrt(sum w^2)/sum w ~ 1.4/sqrt(n); allow 5 sigma
    assert abs(scaled.sum() / w.sum() - 1.0) < 5 * math.sqrt(2.0) / math.sqrt(n)


def test_auc_on_evaluation_half_reaches_the_optimal_classifier(samples, trained):
    sig, bkg = samples
    clf, ev_s, ev_b = trained
    scores = np.concatenate([clf.score(_subset(sig, ev_s)), clf.score(_subset(bkg, ev_b))])
    labels = np.concatenate([np.ones(ev_s.sum()), np.zeros(ev_b.sum())])
    auc = mva.weighted_auc(scores, labels)
    # Optimal (likelihood-ratio) AUC for unit Gaussians with means +-1 in 3 dimensions:
    # Phi(d / sqrt 2), d = |mu_s - mu_b| = 2 sqrt(3) (analytic). ~4000 evaluation events:
    # statistical spread of the AUC ~ 0.002.
    optimal = norm.cdf(2.0 * math.sqrt(3.0) / math.sqrt(2.0))
    assert optimal == pytest.approx(0.99285, abs=1e-5)
    assert auc == pytest.approx(optimal, abs=0.01)


def test_training_is_deterministic(samples, trained):
    sig, bkg = samples
    clf, ev_s, ev_b = trained
    again = mva.train_classifier(
        _subset(sig, ~ev_s),
        _subset(bkg, ~ev_b),
        features=FEATURES,
        signal_weights=sig["weight"][~ev_s],
        background_weights=bkg["weight"][~ev_b],
        random_state=1,
        max_iter=100,
    )
    test = _subset(sig, ev_s)
    np.testing.assert_array_equal(clf.score(test), again.score(test))


def test_save_and_load_round_trip(tmp_path, samples, trained):
    sig, _ = samples
    clf, ev_s, _ = trained
    path = mva.save_classifier(clf, tmp_path / "models" / "bdt.pkl")
    loaded = mva.load_classifier(path)
    assert loaded.features == FEATURES
    np.testing.assert_array_equal(loaded.score(_subset(sig, ev_s)), clf.score(_subset(sig, ev_s)))
    # no temporary file left behind
    assert [p.name for p in (tmp_path / "models").iterdir()] == ["bdt.pkl"]
    with pytest.raises(InputFileError, match="does not exist"):
        mva.load_classifier(tmp_path / "missing.pkl")
    (tmp_path / "junk.pkl").write_bytes(b"not a pickle")
    with pytest.raises(InputFileError):
        mva.load_classifier(tmp_path / "junk.pkl")


def test_training_input_errors(samples):
    sig, bkg = samples
    with pytest.raises(ConfigError, match="not in the event table"):
        mva.train_classifier(sig, bkg, features=("f0", "nope"))
    with pytest.raises(ConfigError, match="non-negative"):
        mva.train_classifier(sig, bkg, features=FEATURES, signal_weights=-np.ones(len(sig["f0"])))
