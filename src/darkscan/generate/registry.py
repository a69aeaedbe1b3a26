"""Every process darkscan can generate, by name, behind one call.

Signal processes take a model built from a mass (GeV) and a coupling; Standard-Model
processes take neither. Generators are imported when first used, so listing the processes
does not load Pythia.

>>> "mumu-zprime" in PROCESSES and "pythia-mumu" in PROCESSES
True
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass

import numpy as np

from darkscan.errors import ConfigError
from darkscan.generate.event_record import Sample, concatenate_samples

__all__ = ["PROCESSES", "Process", "generate", "generate_in_chunks", "get_process"]


@dataclass(frozen=True)
class Process:
    """A generator entry: where it lives, which model it needs, what it produces."""

    name: str
    module: str
    function: str
    description: str
    model: str | None = None  # CLI name of the model (darkscan.models.MODELS) for signals
    pythia_process: str | None = None  # process name for darkscan.generate.pythia


_P = "darkscan.generate.processes"

_ENTRIES = [
    Process(
        "mumu-zprime",
        f"{_P}.mumu_zprime",
        "generate_mumu_zprime",
        "e+e- -> mu+ mu- Z' (L_mu - L_tau), exact tree-level |M|^2, Z' decays by BR",
        "lmu-ltau",
    ),
    Process(
        "gamma-aprime",
        f"{_P}.gamma_aprime",
        "generate_gamma_aprime",
        "e+e- -> gamma A', A' -> l+l-, hadrons or chi chi by BR",
        "dark-photon",
    ),
    Process(
        "gamma-alp",
        f"{_P}.gamma_alp",
        "generate_gamma_alp",
        "e+e- -> gamma a, a -> gamma gamma with a displaced vertex",
        "alp",
    ),
    Process(
        "aprime-dark-higgs",
        f"{_P}.aprime_dark_higgs",
        "generate_aprime_dark_higgs",
        "e+e- -> A' h' (dark Higgsstrahlung), A' -> mu+ mu-, h' invisible",
        "dark-higgs",
    ),
    Process(
        "mumu-gamma",
        f"{_P}.mumu_gamma",
        "generate_mumu_gamma",
        "e+e- -> mu+ mu- (gamma), Born + ISR (structure function) + FSR, in-house",
    ),
    Process(
        "tautau",
        f"{_P}.tautau",
        "generate_tautau",
        "e+e- -> tau+ tau- (gamma) with spin-correlated tau decays, in-house",
    ),
    Process(
        "bhabha",
        f"{_P}.bhabha",
        "generate_bhabha",
        "e+e- -> e+ e- (gamma), s + t channel Born + running alpha + ISR (+ collinear FSR), in-house",
    ),
    Process(
        "gamma-gamma",
        f"{_P}.gamma_gamma",
        "generate_gamma_gamma",
        "e+e- -> gamma gamma (gamma), Born + ISR, in-house",
    ),
    Process(
        "eemumu",
        f"{_P}.two_photon",
        "generate_two_photon",
        "e+e- -> e+ e- mu+ mu- through two-photon collisions (EPA), in-house",
    ),
    Process(
        "pipi-gamma",
        f"{_P}.pipi_gamma",
        "generate_pipi_gamma",
        "e+e- -> pi+ pi- (gamma), Born x |F_pi|^2 + ISR radiative return, in-house",
    ),
]

#: Processes by name.
PROCESSES: dict[str, Process] = {p.name: p for p in _ENTRIES}


def _add_pythia_processes() -> None:
    from darkscan.generate.pythia import PYTHIA_PROCESSES

    for name, spec in PYTHIA_PROCESSES.items():
        description = getattr(spec, "description", str(spec))
        PROCESSES[f"pythia-{name}"] = Process(
            f"pythia-{name}",
            "darkscan.generate.pythia",
            "generate_pythia",
            f"Pythia 8: {description}",
            pythia_process=name,
        )


_add_pythia_processes()


def get_process(name: str) -> Process:
    """The registered process ``name``; ConfigError listing the allowed names otherwise."""
    try:
        return PROCESSES[name]
    except KeyError:
        raise ConfigError(f"unknown process {name!r}; allowed: {', '.join(PROCESSES)}") from None


def _generator(process: Process):
    module = importlib.import_module(process.module)
    return getattr(module, process.function)


def generate(
    name: str,
    n_events: int,
    rng: np.random.Generator,
    *,
    collider=None,
    mass: float | None = None,
    coupling: float | None = None,
    model_parameters: dict | None = None,
    **options,
) -> Sample:
    """Generate ``n_events`` events of process ``name``.

    Parameters
    ----------
    name : str
        A key of :data:`PROCESSES`.
    n_events : int
        Number of (unweighted) events, > 0.
    rng : numpy.random.Generator
        Source of randomness.
    collider : darkscan.beams.Collider, optional
        Default: Belle II at SuperKEKB.
    mass, coupling : float, optional
        Mediator mass in GeV and coupling for signal processes (the model's benchmark
        coupling when omitted); not allowed for Standard-Model processes.
    model_parameters : dict, optional
        Further model parameters (e.g. ``{"m_aprime": 1.0}`` for the dark Higgs).
    **options
        Passed to the generator (``isr``, ``weighted``, cuts, ...).
    """
    from darkscan.beams import belle2

    process = get_process(name)
    collider = belle2() if collider is None else collider
    if isinstance(n_events, bool) or int(n_events) != n_events or n_events <= 0:
        raise ConfigError(f"number of events must be a positive integer, got {n_events!r}")
    n_events = int(n_events)
    function = _generator(process)
    accepted = inspect.signature(function).parameters
    unsupported = sorted(k for k in options if k not in accepted)
    if unsupported:
        raise ConfigError(f"process {name} does not support the option(s) {', '.join(unsupported)}")
    if process.model is not None:
        from darkscan.models import build_model, get_model_class

        if mass is None:
            raise ConfigError(f"process {name} needs --mass (GeV) of its {process.model} mediator")
        model = build_model(
            get_model_class(process.model), mass=mass, coupling=coupling, **(model_parameters or {})
        )
        return function(model, collider, n_events, rng, **options)
    if mass is not None or coupling is not None or model_parameters:
        raise ConfigError(
            f"process {name} is a Standard-Model process: it takes no mass, coupling or model parameters"
        )
    if process.pythia_process is not None:
        return function(process.pythia_process, collider, n_events, rng, **options)
    return function(collider, n_events, rng, **options)


def generate_in_chunks(
    name: str,
    n_events: int,
    seed: int,
    *,
    chunk_size: int = 100_000,
    on_chunk=None,
    **kwargs,
) -> Sample:
    """Generate ``n_events`` in chunks and merge them (for progress reporting on long runs).

    Chunk ``k`` draws from ``numpy.random.SeedSequence(seed).spawn(n_chunks)[k]``, so the
    result depends only on ``(seed, n_events, chunk_size)``; chunks are merged with
    :func:`darkscan.generate.event_record.concatenate_samples` (cross section: event-weighted
    mean of the chunks' estimates). ``on_chunk(n)`` is called after each chunk of ``n``
    events. Other arguments as for :func:`generate`.
    """
    if isinstance(chunk_size, bool) or int(chunk_size) != chunk_size or chunk_size <= 0:
        raise ConfigError(f"chunk size must be a positive integer, got {chunk_size!r}")
    if isinstance(n_events, bool) or int(n_events) != n_events or n_events <= 0:
        raise ConfigError(f"number of events must be a positive integer, got {n_events!r}")
    n_events, chunk_size = int(n_events), int(chunk_size)
    n_chunks = -(-n_events // chunk_size)
    children = np.random.SeedSequence(seed).spawn(n_chunks)
    parts = []
    for k, child in enumerate(children):
        n_k = min(chunk_size, n_events - k * chunk_size)
        parts.append(generate(name, n_k, np.random.default_rng(child), **kwargs))
        if on_chunk is not None:
            on_chunk(n_k)
    return parts[0] if len(parts) == 1 else concatenate_samples(parts)
