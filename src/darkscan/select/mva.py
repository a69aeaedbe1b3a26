"""Gradient-boosted-tree background suppression (scikit-learn HistGradientBoostingClassifier).

Train / evaluation split
------------------------
Every event is assigned once and for all to the *training* or the *evaluation* half by a
deterministic function of its identity, never of its position in a file or chunk, so the
split is the same whatever the chunking, the worker count or the order of reading:

- ``method="hash"`` (default): a 64-bit integer hash (the SplitMix64 finaliser, Steele,
  Lea and Flood, OOPSLA 2014) of ``(run, event)``; the event is in the evaluation half if
  the lowest bit of the hash is 1. About half the events land in each half, independent of
  any structure in the event numbers.
- ``method="parity"``: the evaluation half is the events with an odd event number.

Samples without run/event numbers use the position in the sample as the event number and
run 0 (deterministic for a given sample, but then tied to its order).

Only the evaluation half is used for yields after the MVA; its weights are multiplied by
2 (:func:`evaluation_weights`) so that it represents the whole sample. This is exact for
the parity split of consecutive event numbers and correct in expectation for the hash split.

References
----------
F. Pedregosa et al., "Scikit-learn: Machine Learning in Python", JMLR 12 (2011) 2825
(HistGradientBoostingClassifier, after G. Ke et al., LightGBM, NeurIPS 2017).
G. L. Steele, D. Lea, C. H. Flood, "Fast splittable pseudorandom number generators",
OOPSLA 2014 (SplitMix64 finaliser).
Belle II, PRL 124, 141801 (2020), arXiv:1912.11276 (tau-pair background is the dominant
background of the mu mu + invisible search).
"""

from __future__ import annotations

import pickle
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score

from darkscan.errors import ConfigError, InputFileError
from darkscan.io.atomic import atomic_output

__all__ = [
    "DEFAULT_FEATURES",
    "BoostedTreeClassifier",
    "evaluation_mask",
    "evaluation_weights",
    "event_hash",
    "feature_matrix",
    "load_classifier",
    "save_classifier",
    "train_classifier",
    "weighted_auc",
]

#: Default input variables (names of :func:`darkscan.select.kinematics.dimuon_variables`):
#: tau-pair suppression variables of the mu mu + invisible search.
DEFAULT_FEATURES: tuple[str, ...] = (
    "pt_mumu_cms",
    "recoil_theta_cms",
    "recoil_p_cms",
    "opening_angle_cms",
    "p_mu_plus_cms",
    "p_mu_minus_cms",
    "muon_pt_wrt_recoil_cms_max",
    "muon_pt_wrt_recoil_cms_min",
    "extra_energy",
)


def _splitmix64(x: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser of uint64 values (wrap-around arithmetic)."""
    z = np.asarray(x, dtype=np.uint64)
    with np.errstate(over="ignore"):
        z = z + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def event_hash(run, event) -> np.ndarray:
    """Deterministic 64-bit hash of (run, event) numbers (non-negative integers).

    Examples
    --------
    >>> h = event_hash([0, 0], [1, 2])
    >>> h.dtype.name, bool(h[0] != h[1]), bool(event_hash(0, 1) == h[0])
    ('uint64', True, True)
    """
    r = np.asarray(run)
    e = np.asarray(event)
    for name, a in (("run", r), ("event", e)):
        if a.size and (not np.issubdtype(a.dtype, np.integer) or np.any(a < 0)):
            raise ConfigError(f"{name} numbers must be non-negative integers, got {a.dtype}")
    return _splitmix64(_splitmix64(r.astype(np.uint64)) ^ e.astype(np.uint64))


def evaluation_mask(table_or_n, *, method: str = "hash") -> np.ndarray:
    """True for events of the evaluation half, False for the training half.

    Parameters
    ----------
    table_or_n : mapping or int
        A per-event table with optional integer columns ``run`` and ``event``, or a number
        of events (then run 0 and event = position).
    method : {"hash", "parity"}
        See the module docstring.

    Returns
    -------
    numpy.ndarray of bool
    """
    if isinstance(table_or_n, (int, np.integer)):
        n = int(table_or_n)
        run, event = np.zeros(n, dtype=np.int64), np.arange(n, dtype=np.int64)
    else:
        table = table_or_n
        if "event" in table:
            event = np.asarray(table["event"]).astype(np.int64)
            run = (
                np.asarray(table["run"]).astype(np.int64)
                if "run" in table
                else np.zeros_like(event)
            )
        else:
            n = len(
                np.asarray(table["weight"] if "weight" in table else next(iter(table.values())))
            )
            run, event = np.zeros(n, dtype=np.int64), np.arange(n, dtype=np.int64)
    if method == "hash":
        return (event_hash(run, event) & np.uint64(1)).astype(bool)
    if method == "parity":
        return (event % 2) == 1
    raise ConfigError(f"split method must be 'hash' or 'parity', got {method!r}")


def evaluation_weights(weights, is_evaluation) -> np.ndarray:
    """Weights for yields from the evaluation half: 2 w on evaluation events, 0 on training.

    Examples
    --------
    >>> evaluation_weights([1.0, 2.0, 3.0], [True, False, True]).tolist()
    [2.0, 0.0, 6.0]
    """
    w = np.asarray(weights, dtype=np.float64)
    return np.where(np.asarray(is_evaluation, dtype=bool), 2.0 * w, 0.0)


def feature_matrix(table: Mapping[str, Any], features: Sequence[str]) -> np.ndarray:
    """Stack the named per-event columns into an (n_events, n_features) float64 array."""
    missing = [f for f in features if f not in table]
    if missing:
        raise ConfigError(
            f"MVA feature(s) {missing} are not in the event table; available: {sorted(table)}"
        )
    if not features:
        raise ConfigError("the MVA needs at least one feature")
    return np.column_stack([np.asarray(table[f], dtype=np.float64) for f in features])


@dataclass(frozen=True)
class BoostedTreeClassifier:
    """A trained classifier and the ordered feature names it expects."""

    model: HistGradientBoostingClassifier
    features: tuple[str, ...]

    def score(self, table: Mapping[str, Any]) -> np.ndarray:
        """Signal probability in [0, 1] for every event of ``table``."""
        return self.model.predict_proba(feature_matrix(table, self.features))[:, 1]


def train_classifier(
    signal: Mapping[str, Any],
    background: Mapping[str, Any],
    *,
    features: Sequence[str] = DEFAULT_FEATURES,
    signal_weights=None,
    background_weights=None,
    balance: bool = True,
    random_state: int = 0,
    **params: Any,
) -> BoostedTreeClassifier:
    """Train a HistGradientBoostingClassifier on signal (label 1) vs background (label 0).

    The caller passes only training-half events (see :func:`evaluation_mask`).

    Parameters
    ----------
    signal, background : mapping of str to array
        Per-event tables with the ``features`` columns (NaN allowed: treated as missing).
    features : sequence of str
        Column names, in order.
    signal_weights, background_weights : array_like, optional
        Event weights (fb); default 1. Negative weights are rejected.
    balance : bool
        Rescale the background weights so that both classes have the same total weight.
    random_state : int
        Seed of the classifier (early-stopping split and feature subsampling).
    **params
        Further HistGradientBoostingClassifier arguments (e.g. ``max_iter``,
        ``learning_rate``, ``max_leaf_nodes``).

    Returns
    -------
    BoostedTreeClassifier
    """
    features = tuple(features)
    xs = feature_matrix(signal, features)
    xb = feature_matrix(background, features)
    ws = np.ones(len(xs)) if signal_weights is None else np.asarray(signal_weights, float)
    wb = np.ones(len(xb)) if background_weights is None else np.asarray(background_weights, float)
    if ws.shape != (len(xs),) or wb.shape != (len(xb),):
        raise ConfigError("signal/background weights must have one entry per event")
    if (
        np.any(ws < 0)
        or np.any(wb < 0)
        or not (np.all(np.isfinite(ws)) and np.all(np.isfinite(wb)))
    ):
        raise ConfigError("MVA training weights must be finite and non-negative")
    if ws.sum() <= 0 or wb.sum() <= 0:
        raise ConfigError("both signal and background need a positive total training weight")
    if balance:
        wb = wb * (ws.sum() / wb.sum())
    x = np.vstack([xs, xb])
    y = np.concatenate([np.ones(len(xs), dtype=int), np.zeros(len(xb), dtype=int)])
    w = np.concatenate([ws, wb])
    # normalise to mean 1 so that min_samples_leaf-like hyper-parameters keep their meaning
    w = w / w.mean()
    model = HistGradientBoostingClassifier(random_state=random_state, **params)
    model.fit(x, y, sample_weight=w)
    return BoostedTreeClassifier(model=model, features=features)


def weighted_auc(scores, labels, weights=None) -> float:
    """Area under the ROC curve of ``scores`` for binary ``labels`` (1 = signal), weighted."""
    return float(roc_auc_score(np.asarray(labels), np.asarray(scores), sample_weight=weights))


def save_classifier(classifier: BoostedTreeClassifier, path) -> Path:
    """Pickle ``classifier`` to ``path`` atomically (temporary file, then rename)."""
    if not isinstance(classifier, BoostedTreeClassifier):
        raise ConfigError(f"expected a BoostedTreeClassifier, got {type(classifier).__name__}")
    with atomic_output(path) as tmp, open(tmp, "wb") as fh:
        pickle.dump(classifier, fh, protocol=pickle.HIGHEST_PROTOCOL)
    return Path(path)


def load_classifier(path) -> BoostedTreeClassifier:
    """Load a classifier written by :func:`save_classifier` (only load trusted files).

    Raises
    ------
    InputFileError
        Missing, unreadable or not a BoostedTreeClassifier.
    """
    p = Path(path)
    try:
        with open(p, "rb") as fh:
            obj = pickle.load(fh)
    except FileNotFoundError:
        raise InputFileError(f"MVA model file {str(p)!r} does not exist") from None
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError) as exc:
        raise InputFileError(f"cannot read MVA model file {str(p)!r}: {exc}") from None
    if not isinstance(obj, BoostedTreeClassifier):
        raise InputFileError(
            f"{str(p)!r} holds a {type(obj).__name__}, not a BoostedTreeClassifier"
        )
    return obj
