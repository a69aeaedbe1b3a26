"""Validated configuration of a search, loaded from YAML (pydantic models).

A search configuration is a YAML file (the shipped default of the Z' -> invisible search is
``darkscan/data/searches/zprime_invisible.yaml``; copy it and edit). Every key is checked:
an unknown key, a missing required key or a value outside its allowed range raises
:class:`darkscan.errors.ConfigError` with one line naming the file, the key path and what
was expected, e.g.::

    my.yaml: systematics.tracking: Input should be less than 1 (got 4.0)

Units in the YAML files: GeV, GeV^2, fb^-1, and **degrees** for angles (the search converts
them to rad). A user file must be complete (copy the default and edit it): a missing key is
an error, not silently filled in. Command-line options are merged over the file
(:func:`merge_config`: nested dicts merged, lists replaced).

Examples
--------
>>> cfg = load_search_config()
>>> cfg.luminosity, cfg.statistics.method, cfg.systematics.tracking
(79.7, 'bayes', 0.04)
"""

from __future__ import annotations

import copy
import itertools
import os
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from darkscan.errors import ConfigError

__all__ = [
    "PT_FILTER_MARGIN",
    "BackgroundConfig",
    "BinningConfig",
    "McGuardConfig",
    "SearchConfig",
    "SelectionConfig",
    "SignalConfig",
    "SystematicsConfig",
    "default_config_path",
    "load_search_config",
    "merge_config",
]

_Strict = ConfigDict(extra="forbid", frozen=True)
#: GeV: a generator filter on the true p_T(mu mu, CM) must lie at least this far below the
#: selection's cut on the reconstructed value (a guard against filters that cut into the
#: selection). For mu mu(gamma) the fast simulation's p_T(mu mu, CM) resolution is 0.033 GeV
#: (68 % half-width) with non-Gaussian tails: a filter 0.1 GeV below the cut still drops
#: 0.8 % of the selected weight, 0.15 GeV below 0.17 % (benchmarks/validate_background_filters.py).
PT_FILTER_MARGIN = 0.1

Fraction = Field(ge=0.0, lt=1.0)


def _pair(values, name: str, low: float, high: float) -> tuple[float, float]:
    lo, hi = (float(v) for v in values)
    if not (low <= lo < hi <= high):
        raise ValueError(
            f"{name} must satisfy {low:g} <= low < high <= {high:g}, got ({lo:g}, {hi:g})"
        )
    return lo, hi


class SelectionConfig(BaseModel):
    """General selection (angles in deg, energies and momenta in GeV).

    See :data:`darkscan.select.cuts.ZPRIME_CUT_DEFAULTS` for the provenance of each value.
    """

    model_config = _Strict
    trigger_lines: tuple[str, ...] = Field(min_length=1)
    n_tracks: int = Field(ge=2, le=10)
    muon_id_min: float = Field(ge=0.0, lt=1.0)
    muon_theta_range: tuple[float, float]
    pt_mumu_cms_min: float = Field(ge=0.0, le=10.0)
    recoil_theta_range: tuple[float, float]
    recoil_photon_veto_angle: float = Field(ge=0.0, le=180.0)
    max_pi0: int = Field(ge=0)
    extra_energy_max: float = Field(gt=0.0, le=11.0)
    track_d0_max: float = Field(gt=0.0)
    track_z0_max: float = Field(gt=0.0)
    veto_cluster_energy_min: float = Field(ge=0.0)
    extra_energy_cluster_min: float = Field(ge=0.0)
    pi0_photon_energy_min: float = Field(ge=0.0)
    # largest ECL cluster energy matched to either muon track (GeV; null: no cut). A muon
    # leaves a minimum-ionising ~0.2 GeV; a larger matched cluster holds a photon (FSR
    # collinear with the muon) that the recoil-photon veto, which ignores matched clusters,
    # would otherwise miss.
    muon_cluster_energy_max: float | None = Field(default=..., gt=0.0)

    @model_validator(mode="after")
    def _ranges(self):
        _pair(self.muon_theta_range, "muon_theta_range", 0.0, 180.0)
        _pair(self.recoil_theta_range, "recoil_theta_range", 0.0, 180.0)
        return self


class ResolutionTable(BaseModel):
    """Nominal recoil-mass-squared resolution sigma(M_rec^2) (GeV^2) at masses (GeV)."""

    model_config = _Strict
    masses: tuple[float, ...] = Field(min_length=2)
    sigma_m2: tuple[float, ...] = Field(min_length=2)

    @model_validator(mode="after")
    def _check(self):
        if len(self.masses) != len(self.sigma_m2):
            raise ValueError("masses and sigma_m2 must have the same length")
        if any(b <= a for a, b in zip(self.masses, self.masses[1:], strict=False)):
            raise ValueError("masses must be strictly increasing")
        if any(s <= 0 for s in self.sigma_m2) or any(m <= 0 for m in self.masses):
            raise ValueError("masses and sigma_m2 must be positive")
        return self


class SignalConfig(BaseModel):
    """Signal samples e+e- -> mu+ mu- Z', Z' -> invisible on a mass grid."""

    model_config = _Strict
    masses: tuple[float, ...] | None = None
    mass_min: float = Field(gt=0.0, lt=10.37)
    mass_max: float = Field(gt=0.0, lt=10.37)
    spacing_in_sigma: float = Field(gt=0.0, le=100.0)
    n_events: int = Field(ge=10, le=10_000_000)
    g_prime: float = Field(gt=0.0, le=1.0)
    isr: bool
    energy_spread: bool
    generator_theta_range: tuple[float, float]
    resolution: ResolutionTable

    @model_validator(mode="after")
    def _check(self):
        if not self.mass_min < self.mass_max:
            raise ValueError(f"mass_min {self.mass_min:g} must be below mass_max {self.mass_max:g}")
        _pair(self.generator_theta_range, "generator_theta_range", 0.0, 180.0)
        if self.masses is not None:
            if not self.masses or any(not 0.0 < m < 10.37 for m in self.masses):
                raise ValueError("masses must be a non-empty list of values in (0, 10.37) GeV")
        return self


class BackgroundConfig(BaseModel):
    """One background sample: generator, simulated events (0 disables) and generator filter.

    Filters: ``cos_theta_cms_range`` (mumu_gamma, tautau: both leptons, nominal CM frame);
    ``theta_range`` (deg, lab: both charged final-state leptons or pions; pythia,
    two_photon, pipi_gamma); ``pt_cms_min`` (GeV, p_T of the mu mu pair, CM; mumu_gamma
    and two_photon; at most the selection's ``pt_mumu_cms_min`` minus
    :data:`PT_FILTER_MARGIN`); two_photon only: ``w_min`` (GeV, the mu mu mass cut of the
    generator) and ``recoil_theta_range`` (deg, lab polar angle of the true recoil against
    the mu mu pair); tautau only: ``tau_decay_channels`` (both taus decay only into these
    channels of :data:`darkscan.generate.tau_decays.TAU_DECAY_CHANNELS`, weights x f^2).
    """

    model_config = _Strict
    generator: Literal["mumu_gamma", "tautau", "pythia", "two_photon", "pipi_gamma"]
    process: str
    n_events: int = Field(ge=0, le=1_000_000_000)
    cos_theta_cms_range: tuple[float, float] | None = None
    theta_range: tuple[float, float] | None = None
    force_muonic_tau_decays: bool = False
    w_min: float | None = Field(default=None, gt=0.0)
    pt_cms_min: float | None = Field(default=None, ge=0.0)
    recoil_theta_range: tuple[float, float] | None = None
    tau_decay_channels: list[str] | None = None

    @model_validator(mode="after")
    def _check(self):
        if self.cos_theta_cms_range is not None:
            _pair(self.cos_theta_cms_range, "cos_theta_cms_range", -1.0, 1.0)
        if self.theta_range is not None:
            _pair(self.theta_range, "theta_range", 0.0, 180.0)
        if self.recoil_theta_range is not None:
            _pair(self.recoil_theta_range, "recoil_theta_range", 0.0, 180.0)
        two_photon_only = (self.w_min, self.recoil_theta_range)
        if self.generator != "two_photon" and any(v is not None for v in two_photon_only):
            raise ValueError("w_min and recoil_theta_range need generator two_photon")
        if self.pt_cms_min is not None and self.generator not in ("two_photon", "mumu_gamma"):
            raise ValueError("pt_cms_min needs generator two_photon or mumu_gamma")
        if self.tau_decay_channels is not None:
            if self.generator != "tautau":
                raise ValueError("tau_decay_channels needs generator tautau")
            from darkscan.generate.tau_decays import channel_indices

            try:
                channel_indices(self.tau_decay_channels)
            except ConfigError as exc:
                raise ValueError(str(exc)) from None
        return self


class BinningConfig(BaseModel):
    """Histogram axes and the mass windows (widths in units of the fitted peak width)."""

    model_config = _Strict
    window_half_width: float = Field(gt=0.0, le=10.0)
    # windows from the fitted peak mean and width averaged over this many neighbouring mass
    # points on each side (weights 1 / error^2); 0: every point's own fit
    peak_smoothing: int = Field(ge=0, le=50)
    m2_bin_width: float = Field(gt=0.0, le=1.0)
    m2_range: tuple[float, float]
    signal_m2_half_range: float = Field(gt=0.0, le=20.0)
    shape_smoothing: float = Field(ge=0.0, le=20.0)
    pt_edges: tuple[float, ...] = Field(min_length=2)
    cos_edges: tuple[float, ...] = Field(min_length=2)
    template_m2_bins: int = Field(ge=1, le=50)
    template_theta_bins: int = Field(ge=1, le=20)
    spectrum_range: tuple[float, float]
    spectrum_bins: int = Field(ge=1, le=10_000)

    @model_validator(mode="after")
    def _check(self):
        _pair(self.m2_range, "m2_range", -120.0, 120.0)
        _pair(self.spectrum_range, "spectrum_range", -11.0, 11.0)
        for name in ("pt_edges", "cos_edges"):
            e = getattr(self, name)
            if any(b <= a for a, b in itertools.pairwise(e)) or e[0] < 0:
                raise ValueError(f"{name} must be non-negative and strictly increasing")
        if self.cos_edges[-1] > 1.0:
            raise ValueError("cos_edges must lie in [0, 1]")
        return self


class TriggerSystematic(BaseModel):
    """Trigger-efficiency uncertainty: ``low`` below ``boundary_mass`` (GeV), ``high`` above."""

    model_config = _Strict
    low: float = Fraction
    high: float = Fraction
    boundary_mass: float = Field(gt=0.0)


class SystematicsConfig(BaseModel):
    """Relative systematic uncertainties (fractions)."""

    model_config = _Strict
    trigger: TriggerSystematic
    tracking: float = Fraction
    pid: float = Fraction
    luminosity: float = Fraction
    tau_suppression: float = Fraction
    background_before_tau_suppression: float = Fraction
    mumu_yield_discrepancy: float = Fraction


class MvaConfig(BaseModel):
    """Boosted-decision-tree tau suppression, trained on samples of its own (never evaluated)."""

    model_config = _Strict
    n_train_signal: int = Field(ge=10, le=10_000_000)
    n_train_background: int = Field(ge=100, le=100_000_000)
    score_edges: tuple[float, ...] = Field(min_length=2)
    features: tuple[str, ...] = Field(min_length=1)
    max_iter: int = Field(ge=1, le=10_000)

    @model_validator(mode="after")
    def _check(self):
        e = self.score_edges
        if any(b <= a for a, b in itertools.pairwise(e)) or e[0] < 0.0 or e[-1] > 1.0:
            raise ValueError("score_edges must be strictly increasing within [0, 1]")
        return self


class McGuardConfig(BaseModel):
    """Simulated-statistics guard of the per-window cut optimisation
    (:func:`darkscan.stats.optimise_cuts`): the zero-MC-event convention (a background
    sample present in the window but with no simulated event passing the cuts counts
    ``zero_event_upper`` x its per-event weight; 1.14 = 68% CL Poisson bound for zero
    events; 0 = off) and the minimum number of simulated background events that the
    selected region must keep (``min_raw_events``; capped at the window's content)."""

    model_config = _Strict
    zero_event_upper: float = Field(ge=0.0, le=10.0)
    min_raw_events: float = Field(ge=0.0, le=1e6)


class TauSuppressionConfig(BaseModel):
    """Tau-pair suppression: Punzi-optimised cuts per mass window on p_T(mu mu, CM) and on
    |cos theta_rec(CM)| (``punzi``) or on an MVA score (``mva``), or none."""

    model_config = _Strict
    method: Literal["punzi", "mva", "none"]
    punzi_a: float = Field(gt=0.0, le=10.0)
    mc_guard: McGuardConfig
    mva: MvaConfig


class SidebandConfig(BaseModel):
    """Recoil-mass sidebands that measure the background normalisation.

    Outside the region that holds the central ``signal_containment`` of the selected
    signal, a region ``width`` window widths wide on each side, with the window's
    selection: its count constrains the background scale that the tau-suppression
    uncertainty acts on (the on/off problem; see :func:`darkscan.stats.bayesian_upper_limit`,
    ``control_obs``).
    """

    model_config = _Strict
    enabled: bool
    signal_containment: float = Field(ge=0.5, lt=1.0)
    width: float = Field(gt=0.0, le=20.0)


class StatisticsConfig(BaseModel):
    """Statistical method and its settings."""

    model_config = _Strict
    method: Literal["bayes", "cls"]
    cl: float = Field(gt=0.5, lt=1.0)
    # simulated-statistics uncertainty of the background in the bayes limits: a Gamma
    # nuisance (posterior of the simulated count, flat prior), a truncated Gaussian of
    # relative width sqrt(sum w^2) / B, or none. (cls: pyhf staterror, always.)
    mc_stat: Literal["gamma", "gaussian", "none"]
    cls_calculator: Literal["asymptotic", "toys"]
    n_toys: int = Field(ge=10, le=100_000)
    sideband: SidebandConfig


class RunConfig(BaseModel):
    """Execution: run seed, units (random-stream granularity), workers."""

    model_config = _Strict
    seed: int = Field(ge=0)
    unit_size: int = Field(ge=100, le=10_000_000)
    # per-background unit size (a slow, heavily filtered generator gets small units so that
    # its work spreads over the workers); optional, backgrounds not listed use unit_size
    unit_sizes: dict[str, int] = Field(default_factory=dict)
    n_workers: int = Field(ge=1, le=1024)
    executor: Literal["inprocess", "processes", "dask"]


class SearchConfig(BaseModel):
    """The whole configuration of the Z' -> invisible search (one YAML file)."""

    model_config = _Strict
    search: Literal["zprime-invisible"]
    luminosity: float = Field(gt=0.0, le=1e5)
    detector_card: str
    g_minus_2: Literal["2021", "2025"]
    signal: SignalConfig
    backgrounds: dict[str, BackgroundConfig]
    selection: SelectionConfig
    binning: BinningConfig
    tau_suppression: TauSuppressionConfig
    systematics: SystematicsConfig
    statistics: StatisticsConfig
    run: RunConfig

    @model_validator(mode="after")
    def _check(self):
        if not any(b.n_events > 0 for b in self.backgrounds.values()):
            raise ValueError("at least one background needs n_events > 0")
        pt_max = self.selection.pt_mumu_cms_min - PT_FILTER_MARGIN
        for name, b in self.backgrounds.items():
            if b.pt_cms_min is not None and b.pt_cms_min > pt_max + 1e-12:
                raise ValueError(
                    f"backgrounds.{name}.pt_cms_min = {b.pt_cms_min:g} GeV must be at most "
                    f"selection.pt_mumu_cms_min - {PT_FILTER_MARGIN:g} = {pt_max:g} GeV (the "
                    "generator filter must keep every event the selection can accept)"
                )
        for name, size in self.run.unit_sizes.items():
            if name not in self.backgrounds:
                raise ValueError(
                    f"run.unit_sizes names {name!r}, not a background; allowed: "
                    f"{sorted(self.backgrounds)}"
                )
            if not 100 <= size <= 10_000_000:
                raise ValueError(
                    f"run.unit_sizes.{name} = {size} is outside the allowed range [100, 10000000]"
                )
        return self


def default_config_path() -> Path:
    """Path of the shipped default configuration of the Z' -> invisible search."""
    return Path(str(resources.files("darkscan") / "data" / "searches" / "zprime_invisible.yaml"))


def merge_config(base: dict, override: dict) -> dict:
    """Merge ``override`` into a copy of ``base``: dicts recursively, everything else replaced.

    >>> merge_config({"a": {"b": 1, "c": 2}}, {"a": {"c": 3}})
    {'a': {'b': 1, 'c': 3}}
    """
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge_config(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _read_yaml(path: Path) -> dict:
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the configuration ({exc.strerror})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path}: YAML syntax error{where}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping, got {type(data).__name__}")
    return data


def _format_error(exc: ValidationError, source: str) -> str:
    errors = exc.errors()
    first = errors[0]
    loc = ".".join(str(p) for p in first["loc"]) or "(top level)"
    msg = first["msg"]
    if first["type"] == "missing":
        msg = "missing key"
    elif first["type"] == "extra_forbidden":
        msg = "unknown key"
    detail = f"{source}: {loc}: {msg}"
    value = first.get("input")
    if first["type"] not in ("missing", "extra_forbidden") and not isinstance(value, dict):
        detail += f" (got {value!r})"
    if len(errors) > 1:
        detail += f" [and {len(errors) - 1} more error(s)]"
    return " ".join(detail.split())


def load_search_config(
    path: str | os.PathLike | None = None, overrides: dict[str, Any] | None = None
) -> SearchConfig:
    """Load, merge and validate a search configuration.

    Parameters
    ----------
    path : path, optional
        A complete YAML configuration (copy of the default, edited). None: the default.
    overrides : dict, optional
        Further values merged last (e.g. from command-line options).

    Returns
    -------
    SearchConfig

    Raises
    ------
    ConfigError
        Unreadable file, YAML syntax error, unknown / missing / out-of-range key: one line
        naming the file and the key path.
    """
    cfg_path = default_config_path() if path is None else Path(path)
    if path is not None and not cfg_path.is_file():
        raise ConfigError(f"{cfg_path}: configuration file not found")
    data = _read_yaml(cfg_path)
    source = str(cfg_path)
    if overrides:
        data = merge_config(data, overrides)
    try:
        return SearchConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_error(exc, source)) from None
