"""The columnar truth-event record and the :class:`Sample` that carries it.

Every generator in :mod:`darkscan.generate` returns a :class:`Sample`: an awkward Array of
events plus the metadata needed to normalise it (cross section, equivalent luminosity,
generator settings, seed). One event is a record with

``particles``
    a variable-length list of truth particles, each with fields

    ========== ======= ============================================================
    pdg        int32   PDG Monte Carlo code
    px py pz E float32 four-momentum in the lab frame, GeV
    vx vy vz   float32 production vertex, cm (the interaction point is the origin)
    t          float32 production time, ns (present when the generator sets it)
    is_final   bool    stable final-state particle (not decayed in the generator)
    is_invisible bool  escapes undetected: neutrinos, dark-sector states, A'/Z' -> invisible
    mother     int32   index of the mother within the same event, -1 for none
    ========== ======= ============================================================

``weight``
    float64 event weight in fb. Weights are normalised so that their sum over a sample is
    the sample's cross section: an unweighted sample of ``n`` events carries
    ``cross_section_fb / n`` per event, so the expected yield in a luminosity ``L`` (fb^-1)
    of any selection is ``L * sum(weight[selected])``.

Builders take flat numpy arrays: for a process with a fixed number ``k`` of particles per
event, arrays of shape ``(n_events, k)`` are flattened and regrouped with
:func:`awkward.unflatten` (no Python loop over events). Kinematics are computed in float64
by the generators and stored in float32.

References
----------
PDG Monte Carlo particle numbering scheme (revised 2019 by F. Krauss, S. Navas,
P. Richardson, T. Sjöstrand, in R. L. Workman et al., PTEP 2022, 083C01, chapter 45):
codes 51-60 for generic dark-matter states and mediators, used here for A', chi and ALP.

Examples
--------
>>> import numpy as np
>>> p = np.array([[1.0, 2.0]])
>>> ev = events_from_arrays(
...     {"pdg": np.array([[22, 11]]), "E": p, "px": 0 * p, "py": 0 * p, "pz": p},
...     weight=np.array([0.5]),
... )
>>> ak.to_list(ev.particles.pdg), float(ev.weight[0])
([[22, 11]], 0.5)
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import awkward as ak
import numpy as np

from darkscan._validate import in_range, non_negative
from darkscan.errors import ConfigError, PhysicsDomainError

__all__ = [
    "FLOAT_FIELDS",
    "PARTICLE_FIELDS",
    "PDG_ALP",
    "PDG_APRIME",
    "PDG_CHI",
    "PDG_CHI_SCALAR",
    "Sample",
    "check_generator_arguments",
    "concatenate_samples",
    "events_from_arrays",
    "events_from_flat",
    "invisible_pdg",
    "seed_record",
]

#: Spin-1 mediator (A', Z') in the PDG scheme for dark-sector states (codes 51-60).
PDG_APRIME = 55
#: Spin-1/2 dark-matter fermion chi.
PDG_CHI = 52
#: Spin-0 dark-matter state (scalar chi).
PDG_CHI_SCALAR = 51
#: Spin-0 mediator, used for the axion-like particle a.
PDG_ALP = 54

#: |pdg| codes that escape the detector: neutrinos and dark-matter states (51, 52, 53, 57).
_INVISIBLE = np.array([12, 14, 16, 51, 52, 53, 57], dtype=np.int32)

#: Fields of a truth particle in storage order, with their stored dtype.
PARTICLE_FIELDS: dict[str, type] = {
    "pdg": np.int32,
    "px": np.float32,
    "py": np.float32,
    "pz": np.float32,
    "E": np.float32,
    "vx": np.float32,
    "vy": np.float32,
    "vz": np.float32,
    "t": np.float32,
    "is_final": np.bool_,
    "is_invisible": np.bool_,
    "mother": np.int32,
}
#: The floating-point particle fields (kinematics, vertex, time).
FLOAT_FIELDS = ("px", "py", "pz", "E", "vx", "vy", "vz", "t")
_REQUIRED = ("pdg", "px", "py", "pz", "E")


def invisible_pdg(pdg) -> np.ndarray:
    """True where a PDG code is a neutrino or a dark-matter state (escapes the detector).

    >>> invisible_pdg([12, 11, -52, 22]).tolist()
    [True, False, True, False]
    """
    return np.isin(np.abs(np.asarray(pdg)), _INVISIBLE)


def _complete_columns(columns: Mapping[str, Any], shape: tuple[int, ...]) -> dict[str, np.ndarray]:
    """Check names, fill defaults and cast every particle column to its stored dtype."""
    unknown = set(columns) - set(PARTICLE_FIELDS)
    if unknown:
        raise ConfigError(
            f"unknown particle field(s) {sorted(unknown)}; allowed: {list(PARTICLE_FIELDS)}"
        )
    missing = [f for f in _REQUIRED if f not in columns]
    if missing:
        raise ConfigError(f"particle field(s) {missing} are required to build events")
    out: dict[str, np.ndarray] = {}
    for name, dtype in PARTICLE_FIELDS.items():
        if name in columns:
            arr = np.asarray(columns[name])
            if arr.shape != shape:
                raise ConfigError(
                    f"particle field {name!r} has shape {arr.shape}, expected {shape}"
                )
            out[name] = arr.astype(dtype, copy=False)
        elif name == "t":
            continue  # optional: absent unless the generator provides it
        elif name in ("vx", "vy", "vz"):
            out[name] = np.zeros(shape, dtype=dtype)
        elif name == "is_final":
            out[name] = np.ones(shape, dtype=dtype)
        elif name == "is_invisible":
            out[name] = invisible_pdg(out["pdg"])
        elif name == "mother":
            out[name] = np.full(shape, -1, dtype=dtype)
    return out


def events_from_flat(columns: Mapping[str, Any], counts, weight) -> ak.Array:
    """Build the event record from flat per-particle arrays and per-event multiplicities.

    Parameters
    ----------
    columns : mapping of str to array_like, each of shape (n_particles_total,)
        Particle fields (see the module docstring). ``pdg, px, py, pz, E`` are required;
        missing ``vx, vy, vz`` default to 0 cm, ``is_final`` to True, ``is_invisible`` to
        :func:`invisible_pdg` of ``pdg``, ``mother`` to -1; ``t`` is left out if not given.
    counts : array_like of int, shape (n_events,)
        Number of particles in each event (sums to ``n_particles_total``).
    weight : array_like, shape (n_events,)
        Event weights in fb.

    Returns
    -------
    awkward.Array
        ``n_events`` records with fields ``particles`` (list of particle records) and
        ``weight`` (float64).
    """
    counts = np.asarray(counts, dtype=np.int64)
    weight = np.asarray(weight, dtype=np.float64)
    if counts.ndim != 1 or weight.shape != counts.shape:
        raise ConfigError(
            f"counts and weight must be 1-d of equal length, got {counts.shape} and {weight.shape}"
        )
    n_total = int(counts.sum())
    cols = _complete_columns(columns, (n_total,))
    particles = ak.unflatten(ak.zip(cols, depth_limit=1), counts)
    return ak.zip({"particles": particles, "weight": weight}, depth_limit=1)


def events_from_arrays(columns: Mapping[str, Any], weight) -> ak.Array:
    """Build the event record for a fixed multiplicity ``k`` from arrays of shape (n, k).

    Parameters
    ----------
    columns : mapping of str to array_like of shape (n_events, k)
        Particle fields as in :func:`events_from_flat`.
    weight : array_like, shape (n_events,)
        Event weights in fb.

    Returns
    -------
    awkward.Array
        See :func:`events_from_flat`.
    """
    pdg = np.asarray(columns["pdg"]) if "pdg" in columns else None
    if pdg is None or pdg.ndim != 2:
        raise ConfigError("events_from_arrays needs a 2-d 'pdg' array of shape (n_events, k)")
    n, k = pdg.shape
    flat = {}
    for name, value in columns.items():
        arr = np.asarray(value)
        if arr.shape != (n, k):
            raise ConfigError(f"particle field {name!r} has shape {arr.shape}, expected {(n, k)}")
        flat[name] = arr.reshape(-1)
    return events_from_flat(flat, np.full(n, k, dtype=np.int64), weight)


def _jsonable(value: Any) -> Any:
    """Convert numpy scalars/arrays (also nested in dicts and lists) to plain JSON types."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    return value


@dataclasses.dataclass(frozen=True)
class Sample:
    """A generated sample: the event record plus what is needed to normalise and reproduce it.

    Parameters
    ----------
    events : awkward.Array
        Event record (see the module docstring).
    process : str
        Process name, e.g. ``"ee -> gamma A'"``.
    model_parameters : dict
        Model parameters (masses in GeV, couplings), JSON-serialisable.
    generator : str
        Name of the generator function, e.g. ``"darkscan.generate.processes.gamma_aprime"``.
    generator_settings : dict
        Settings the generator was called with (ISR on/off, weighting, beam setup, ...).
    seed : int or list or None
        Seed (or SeedSequence entropy / spawn key) the generator was driven with.
    cross_section_fb : float
        Cross section of the generated process within the generator-level cuts, fb.
    cross_section_uncertainty_fb : float
        Its uncertainty (0 for an analytic cross section), fb.
    generator_cuts : dict
        Generator-level cuts, e.g. ``{"cos_theta_gamma_cms": [-0.95, 0.95]}``.
    darkscan_version : str
        Version of darkscan that produced the sample.
    weighted : bool
        True if the events carry non-uniform weights.
    """

    events: ak.Array
    process: str
    model_parameters: dict
    generator: str
    generator_settings: dict
    seed: Any
    cross_section_fb: float
    cross_section_uncertainty_fb: float = 0.0
    generator_cuts: dict = dataclasses.field(default_factory=dict)
    darkscan_version: str = ""
    weighted: bool = False

    def __post_init__(self) -> None:
        # normalise to plain JSON types now, so a sample equals its Parquet round trip
        for name in ("model_parameters", "generator_settings", "generator_cuts", "seed"):
            value = _jsonable(getattr(self, name))
            try:
                value = json.loads(json.dumps(value))
            except (TypeError, ValueError) as exc:
                raise ConfigError(f"Sample.{name} is not JSON-serialisable: {exc}") from exc
            object.__setattr__(self, name, value)
        if not self.darkscan_version:
            from darkscan import __version__

            object.__setattr__(self, "darkscan_version", __version__)
        sigma = float(self.cross_section_fb)
        if not (math.isfinite(sigma) and sigma >= 0):
            raise ConfigError(f"cross_section_fb = {sigma:g} must be finite and >= 0")

    @property
    def n_events(self) -> int:
        """Number of events in the sample."""
        return len(self.events)

    @property
    def effective_n_events(self) -> float:
        """Kish effective number of events (sum w)^2 / sum w^2 (equals n if unweighted)."""
        w = np.asarray(self.events.weight, dtype=np.float64)
        s2 = float(np.sum(w * w))
        return float(np.sum(w)) ** 2 / s2 if s2 > 0 else 0.0

    @property
    def luminosity(self) -> float:
        """Equivalent integrated luminosity in fb^-1: n_eff / sigma (n / sigma if unweighted)."""
        sigma = float(self.cross_section_fb)
        return self.effective_n_events / sigma if sigma > 0 else math.inf

    def metadata(self) -> dict:
        """All metadata as a JSON-serialisable dict (everything except the events)."""
        meta = {
            f.name: _jsonable(getattr(self, f.name))
            for f in dataclasses.fields(self)
            if f.name != "events"
        }
        meta["n_events"] = self.n_events
        meta["luminosity_fb"] = self.luminosity if self.cross_section_fb > 0 else None
        # round trip through JSON now, so that a bad value fails here and not at write time
        return json.loads(json.dumps(meta))

    @classmethod
    def from_metadata(cls, events: ak.Array, metadata: Mapping[str, Any]) -> Sample:
        """Rebuild a sample from events and a :meth:`metadata` dict (derived keys ignored)."""
        names = {f.name for f in dataclasses.fields(cls)} - {"events"}
        return cls(events=events, **{k: v for k, v in metadata.items() if k in names})


def concatenate_samples(samples: Sequence[Sample]) -> Sample:
    """Merge chunks of one process (same process, parameters and cuts) into one sample.

    The combined cross section is the event-count weighted mean of the chunks' estimates,
    sigma = sum_k n_k sigma_k / n, with uncertainty sqrt(sum_k (n_k dsigma_k)^2) / n
    (independent chunks); each chunk's weights are rescaled by n_k / n so that the merged
    weights again sum to sigma. Seeds are collected into a list.

    Parameters
    ----------
    samples : sequence of Sample
        Chunks to merge, in order.

    Returns
    -------
    Sample

    Examples
    --------
    >>> import numpy as np
    >>> def chunk(n, sigma):
    ...     ev = events_from_arrays({"pdg": np.full((n, 1), 22), "E": np.ones((n, 1)),
    ...         "px": np.zeros((n, 1)), "py": np.zeros((n, 1)), "pz": np.ones((n, 1))},
    ...         weight=np.full(n, sigma / n))
    ...     return Sample(ev, "p", {}, "g", {}, seed=n, cross_section_fb=sigma)
    >>> s = concatenate_samples([chunk(1, 2.0), chunk(3, 6.0)])
    >>> s.n_events, s.cross_section_fb, round(float(np.sum(s.events.weight)), 12)
    (4, 5.0, 5.0)
    """
    if not samples:
        raise ConfigError("concatenate_samples needs at least one sample, got none")
    first = samples[0]
    for s in samples[1:]:
        for key in ("process", "model_parameters", "generator_cuts"):
            if getattr(s, key) != getattr(first, key):
                raise ConfigError(
                    f"cannot concatenate samples with different {key}: "
                    f"{getattr(first, key)!r} vs {getattr(s, key)!r}"
                )
    counts = np.array([s.n_events for s in samples], dtype=np.float64)
    n = counts.sum()
    if n == 0:
        raise ConfigError("cannot concatenate samples that are all empty")
    sigmas = np.array([s.cross_section_fb for s in samples], dtype=np.float64)
    errors = np.array([s.cross_section_uncertainty_fb for s in samples], dtype=np.float64)
    sigma = float(np.sum(counts * sigmas) / n)
    error = float(np.sqrt(np.sum((counts * errors) ** 2)) / n)
    parts = []
    for s, nk in zip(samples, counts, strict=True):
        ev = s.events
        parts.append(ak.with_field(ev, ev.weight * (nk / n), "weight"))
    events = ak.concatenate(parts) if len(parts) > 1 else parts[0]
    return dataclasses.replace(
        first,
        events=events,
        seed=[s.seed for s in samples],
        cross_section_fb=sigma,
        cross_section_uncertainty_fb=error,
        weighted=any(s.weighted for s in samples),
    )


def seed_record(rng: np.random.Generator) -> dict:
    """What reproduces a generator call: the seed sequence and the bit-generator state.

    Stored as :attr:`Sample.seed`; ``rng.bit_generator.state = record["state"]`` restores
    the stream as it was when the generator started.
    """
    out: dict = {"bit_generator": type(rng.bit_generator).__name__}
    seq = getattr(rng.bit_generator, "seed_seq", None)
    if seq is not None and hasattr(seq, "entropy"):
        out["entropy"] = seq.entropy
        out["spawn_key"] = list(seq.spawn_key)
    out["state"] = rng.bit_generator.state
    return out


def check_generator_arguments(
    n_events, rng, cos_theta_range, e_gamma_min
) -> tuple[int, float, float, float]:
    """Validate the arguments every process generator shares; one-line errors.

    Returns ``(n_events, cos_min, cos_max, e_gamma_min)``. ``n_events`` must be a positive
    integer and ``rng`` a numpy Generator (ConfigError); the angular range must lie inside
    (-1, 1) with min < max and ``e_gamma_min`` >= 0 GeV (PhysicsDomainError).
    """
    if isinstance(n_events, bool) or not isinstance(n_events, int | np.integer) or n_events <= 0:
        raise ConfigError(f"n_events = {n_events!r} must be a positive integer")
    if not isinstance(rng, np.random.Generator):
        raise ConfigError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    lo, hi = (float(c) for c in cos_theta_range)
    in_range("cos_theta_range[0]", lo, -1.0, 1.0, low_inclusive=False, high_inclusive=False)
    in_range("cos_theta_range[1]", hi, -1.0, 1.0, low_inclusive=False, high_inclusive=False)
    if not lo < hi:
        raise PhysicsDomainError(f"cos_theta_range = ({lo:g}, {hi:g}) must have low < high")
    e_gamma_min = non_negative("e_gamma_min", e_gamma_min, unit="GeV")
    return int(n_events), lo, hi, float(e_gamma_min)
