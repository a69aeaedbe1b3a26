"""The detector card: every number of the parametric fast simulation, validated on load.

A card is a TOML file with one table per sub-detector (``[tracking]``, ``[calorimeter]``,
``[pid.*]``, ``[beam_background]``, ``[vertexing]``, ``[trigger.*]``). It is parsed with
:mod:`tomllib` and validated with pydantic: unknown keys, missing keys and out-of-range
values raise :class:`darkscan.errors.ConfigError` with one line naming the file and the key
path (e.g. ``mycard.toml: tracking.theta_min: ...``). The Belle II card ships with the
package (``src/darkscan/data/cards/belle2.toml``); every number there carries its source.

Parametrisations are fixed functional forms with named parameters (no code strings):

* tracking efficiency ``eps(pt) = plateau * (1 - exp(-(pt - pt_min)/pt_scale))``;
* ``sigma_pt/pt = a pt (+) b/beta`` and ``sigma_x = a (+) b/(p beta sin^k theta)`` for
  angles and impact parameters (``(+)`` is the sum in quadrature);
* ECL ``sigma_E/E = a/E (+) b/E^(1/4) (+) c`` (Belle/Belle II TDR form; the shipped numbers
  are a fit to the basf2 photon covariance parametrisation, see
  ``docs/belle2_card_sources.md``);
* particle identification: efficiency times a logistic turn-on in momentum times a polar
  angle coverage, constant mis-identification rates per true species.

References
----------
Belle II TDR, T. Abe et al., arXiv:1011.0352.
Belle II Physics Book, E. Kou et al., PTEP 2019 123C01, arXiv:1808.10567.
basf2 (github.com/belle2/basf2): analysis/variables/src/AcceptanceVariables.cc (acceptances),
ecl/modules/eclCovarianceMatrix/src/ECLCovarianceMatrixModule.cc (ECL resolution).
Per-number sources and verification status: ``docs/belle2_card_sources.md``.

Examples
--------
>>> card = load_card("belle2")
>>> card.tracking.theta_min, card.calorimeter.barrel_theta_max
(17.0, 128.7)
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import tomllib
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from darkscan.errors import ConfigError

__all__ = [
    "MAX_PHOTON_REGIONS",
    "BeamBackgroundCard",
    "CalorimeterCard",
    "DetectorCard",
    "EclResolutionCard",
    "IdHypothesisCard",
    "KLongCard",
    "PidCard",
    "SinglePhotonRegion",
    "TrackingCard",
    "TriggerCard",
    "VertexingCard",
    "card_from_dict",
    "card_hash",
    "card_to_toml",
    "load_card",
]

Probability = Annotated[float, Field(ge=0.0, le=1.0)]
NonNegative = Annotated[float, Field(ge=0.0)]
Positive = Annotated[float, Field(gt=0.0)]
PolarAngle = Annotated[float, Field(ge=0.0, le=180.0)]
Species = Literal["electron", "muon", "pion", "kaon", "proton"]


class _Section(BaseModel):
    """Base of every card table: frozen, no unknown keys, no defaults (all keys required)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _ordered(low: float, high: float, what: str) -> None:
    if not low < high:
        raise ValueError(f"{what}: minimum {low:g} must be below maximum {high:g}")


class DetectorInfo(_Section):
    """``[detector]``: name, collider and solenoid field."""

    name: str = Field(description="card name")
    collider: Literal["belle2", "babar", "kloe", "padme"] = Field(
        description="collider preset of darkscan.beams (CM frame of the trigger)"
    )
    magnetic_field: Positive = Field(description="solenoid field, T")


class TrackingCard(_Section):
    """``[tracking]``: CDC/VXD acceptance, efficiency and track-parameter resolution."""

    theta_min: PolarAngle = Field(description="lower polar-angle edge of the CDC, deg (lab)")
    theta_max: PolarAngle = Field(description="upper polar-angle edge of the CDC, deg (lab)")
    pt_min: NonNegative = Field(description="transverse-momentum threshold, GeV")
    efficiency_plateau: Probability = Field(description="track-finding efficiency at high pT")
    efficiency_pt_scale: Positive = Field(description="turn-on scale of the efficiency, GeV")
    max_production_rxy: Positive = Field(
        description="largest transverse production radius giving a track, cm"
    )
    pt_resolution_a: NonNegative = Field(description="sigma_pt/pt = a*pt (+) b/beta: a, 1/GeV")
    pt_resolution_b: NonNegative = Field(description="sigma_pt/pt = a*pt (+) b/beta: b")
    theta_resolution_a: NonNegative = Field(description="sigma_theta = a (+) b/(p beta): a, rad")
    theta_resolution_b: NonNegative = Field(description="b, rad GeV")
    phi_resolution_a: NonNegative = Field(description="sigma_phi = a (+) b/(p beta): a, rad")
    phi_resolution_b: NonNegative = Field(description="b, rad GeV")
    d0_resolution_a: NonNegative = Field(
        description="sigma_d0 = a (+) b/(p beta sin^1.5 theta): a, cm"
    )
    d0_resolution_b: NonNegative = Field(description="b, cm GeV")
    z0_resolution_a: NonNegative = Field(
        description="sigma_z0 = a (+) b/(p beta sin^2.5 theta): a, cm"
    )
    z0_resolution_b: NonNegative = Field(description="b, cm GeV")

    @model_validator(mode="after")
    def _check(self) -> TrackingCard:
        _ordered(self.theta_min, self.theta_max, "theta_min/theta_max")
        return self


class EclResolutionCard(_Section):
    """``[calorimeter.<region>_resolution]``: cluster resolution in one ECL region."""

    energy_a: NonNegative = Field(description="sigma_E/E = a/E (+) b/E^(1/4) (+) c: a (noise), GeV")
    energy_b: NonNegative = Field(description="b (stochastic), GeV^(1/4)")
    energy_c: NonNegative = Field(description="c (constant)")
    angle_a: NonNegative = Field(
        description="sigma_theta = sigma_phi*sin(theta) = a (+) b/sqrt(E): a, rad"
    )
    angle_b: NonNegative = Field(description="b, rad GeV^(1/2)")


class CalorimeterCard(_Section):
    """``[calorimeter]``: ECL regions, thresholds, MIP deposits and merging; the resolution
    per region in ``[calorimeter.forward_resolution]``, ``.barrel_resolution`` and
    ``.backward_resolution``."""

    forward_theta_min: PolarAngle = Field(description="forward endcap, lower edge, deg")
    forward_theta_max: PolarAngle = Field(description="forward endcap, upper edge, deg")
    barrel_theta_min: PolarAngle = Field(description="barrel, lower edge, deg")
    barrel_theta_max: PolarAngle = Field(description="barrel, upper edge, deg")
    backward_theta_min: PolarAngle = Field(description="backward endcap, lower edge, deg")
    backward_theta_max: PolarAngle = Field(description="backward endcap, upper edge, deg")
    energy_threshold: NonNegative = Field(description="smallest reconstructed cluster energy, GeV")
    photon_efficiency: Probability = Field(description="cluster efficiency in the acceptance")
    mip_energy: Positive = Field(description="mean deposit of a minimum-ionising particle, GeV")
    mip_energy_width: NonNegative = Field(description="Gaussian width of the MIP deposit, GeV")
    hadron_shower_probability: Probability = Field(
        description="probability that a charged hadron showers (deposit uniform in [mip, E_kin])"
    )
    charged_pt_min_barrel: NonNegative = Field(
        description="pT below which a charged particle curls up before the barrel ECL, GeV"
    )
    merge_angle: NonNegative = Field(
        description="deposits closer than this opening angle merge into one cluster, rad"
    )
    forward_resolution: EclResolutionCard
    barrel_resolution: EclResolutionCard
    backward_resolution: EclResolutionCard

    @model_validator(mode="before")
    @classmethod
    def _old_keys(cls, data: Any) -> Any:
        old = ("energy_resolution_a", "energy_resolution_b", "energy_resolution_c")
        if isinstance(data, dict) and any(k in data for k in (*old, "angle_resolution_a")):
            raise ValueError(
                "energy_resolution_a/b/c and angle_resolution_a/b became per-region tables "
                "[calorimeter.forward_resolution], [calorimeter.barrel_resolution], "
                "[calorimeter.backward_resolution] with keys energy_a, energy_b, energy_c, "
                "angle_a, angle_b (see `darkscan detector show`)"
            )
        return data

    @model_validator(mode="after")
    def _check(self) -> CalorimeterCard:
        edges = [
            self.forward_theta_min,
            self.forward_theta_max,
            self.barrel_theta_min,
            self.barrel_theta_max,
            self.backward_theta_min,
            self.backward_theta_max,
        ]
        if any(b <= a for a, b in itertools.pairwise(edges)):
            raise ValueError(
                "ECL region edges must increase strictly: forward_theta_min < forward_theta_max "
                f"< barrel_theta_min < ... < backward_theta_max, got {edges}"
            )
        return self


class IdHypothesisCard(_Section):
    """One identification hypothesis (``[pid.muon]`` etc.).

    The probability that a track of true species ``s`` passes ``ID > 0.5`` is
    ``efficiency / (1 + exp(-(p - p_turn_on)/p_width))`` inside ``[theta_min, theta_max]``
    for ``s`` equal to the hypothesis and ``misid[s]`` (0 if absent) times the same
    turn-on for other species (:mod:`darkscan.detector.pid`); outside the polar-angle
    coverage it is 0.
    """

    efficiency: Probability = Field(description="plateau efficiency for the true species")
    p_turn_on: NonNegative = Field(description="momentum of half the plateau efficiency, GeV")
    p_width: Positive = Field(description="width of the logistic turn-on, GeV")
    theta_min: PolarAngle = Field(description="coverage, lower polar angle, deg")
    theta_max: PolarAngle = Field(description="coverage, upper polar angle, deg")
    misid: dict[Species, Probability] = Field(
        description="plateau probability (above the turn-on) that another true species passes ID > 0.5"
    )

    @model_validator(mode="after")
    def _check(self) -> IdHypothesisCard:
        _ordered(self.theta_min, self.theta_max, "theta_min/theta_max")
        return self


class KLongCard(_Section):
    """``[pid.klong]``: K_L detection in the KLM as a cluster."""

    efficiency: Probability = Field(description="plateau efficiency of a KLM cluster")
    p_turn_on: NonNegative = Field(description="momentum of half the plateau, GeV")
    p_width: Positive = Field(description="width of the logistic turn-on, GeV")
    theta_min: PolarAngle = Field(description="KLM coverage, lower polar angle, deg")
    theta_max: PolarAngle = Field(description="KLM coverage, upper polar angle, deg")
    angle_resolution: NonNegative = Field(description="KLM cluster direction resolution, rad")


class PidCard(_Section):
    """``[pid]``: one table per hypothesis, basf2 names muonID, electronID, pionID, kaonID."""

    muon: IdHypothesisCard
    electron: IdHypothesisCard
    pion: IdHypothesisCard
    kaon: IdHypothesisCard
    klong: KLongCard

    @model_validator(mode="after")
    def _check(self) -> PidCard:
        for name in ("muon", "electron", "pion", "kaon"):
            if name in getattr(self, name).misid:
                raise ValueError(
                    f"pid.{name}.misid must not contain {name!r} (that is the efficiency)"
                )
        return self


class BeamBackgroundCard(_Section):
    """``[beam_background]``: extra photon clusters and low-pT tracks per event."""

    photons_mean: NonNegative = Field(description="Poisson mean of extra ECL clusters per event")
    photon_energy_min: NonNegative = Field(description="lowest extra-cluster energy, GeV")
    photon_energy_scale: Positive = Field(
        description="exponential slope of the extra-cluster energy above the minimum, GeV"
    )
    photon_endcap_fraction: Probability = Field(
        description="fraction of extra clusters in the endcaps (rest in the barrel)"
    )
    tracks_mean: NonNegative = Field(description="Poisson mean of extra tracks per event")
    track_pt_min: NonNegative = Field(description="lowest extra-track pT, GeV")
    track_pt_scale: Positive = Field(description="exponential slope of the extra-track pT, GeV")
    track_d0_width: NonNegative = Field(description="Gaussian width of extra-track d0, cm")
    track_z0_width: NonNegative = Field(description="Gaussian width of extra-track z0, cm")


class VertexingCard(_Section):
    """``[vertexing]``: two-track displaced vertices."""

    rxy_min: NonNegative = Field(description="smallest reconstructed R_xy, cm")
    rxy_max: Positive = Field(description="largest reconstructed R_xy, cm")
    efficiency_plateau: Probability = Field(description="vertex efficiency below falloff start")
    efficiency_falloff_start: NonNegative = Field(description="R_xy where the falloff starts, cm")
    efficiency_at_rxy_max: Probability = Field(description="efficiency at rxy_max (linear)")
    position_resolution_a: NonNegative = Field(description="sigma = a (+) b*R_xy: a, cm")
    position_resolution_b: NonNegative = Field(description="b (dimensionless)")

    @model_validator(mode="after")
    def _check(self) -> VertexingCard:
        _ordered(self.rxy_min, self.rxy_max, "rxy_min/rxy_max")
        if not self.rxy_min <= self.efficiency_falloff_start <= self.rxy_max:
            raise ValueError("efficiency_falloff_start must lie in [rxy_min, rxy_max]")
        return self


class TwoTrackLine(_Section):
    enabled: bool
    efficiency: Probability = Field(description="line efficiency once the condition holds")
    pt_min: NonNegative = Field(description="track pT threshold, GeV")
    n_tracks_min: Annotated[int, Field(ge=1)] = Field(description="minimum number of tracks")
    opening_angle_min: PolarAngle = Field(
        description="minimum transverse opening angle of two tracks, deg"
    )


class SingleMuonLine(_Section):
    enabled: bool
    efficiency: Probability = Field(description="line efficiency once the condition holds")
    pt_min: NonNegative = Field(description="CDC track pT threshold, GeV")
    muon_id_min: Probability = Field(description="KLM match: muonID above this value")


#: Most polar-angle regions the single-photon line can have (the kernel's parameter row).
MAX_PHOTON_REGIONS = 8


class SinglePhotonRegion(_Section):
    """One region of the single-photon line: a lab polar-angle window and its threshold."""

    theta_min: PolarAngle = Field(description="lower edge of the window, deg (lab)")
    theta_max: PolarAngle = Field(description="upper edge of the window, deg (lab)")
    e_cms_min: NonNegative = Field(description="cluster energy threshold in the CM frame, GeV")

    @model_validator(mode="after")
    def _check(self) -> SinglePhotonRegion:
        _ordered(self.theta_min, self.theta_max, "theta_min/theta_max")
        return self


class SinglePhotonLine(_Section):
    """A cluster fires the line if it lies in one of the ``regions`` (open polar-angle
    window) with a CM energy above that region's threshold: Belle II's thresholds depend on
    the polar angle (lower in the inner barrel)."""

    enabled: bool
    efficiency: Probability = Field(description="line efficiency once the condition holds")
    regions: tuple[SinglePhotonRegion, ...] = Field(
        min_length=1,
        max_length=MAX_PHOTON_REGIONS,
        description="polar-angle windows (deg, lab) with their CM energy thresholds (GeV)",
    )

    @model_validator(mode="before")
    @classmethod
    def _old_keys(cls, data: Any) -> Any:
        if isinstance(data, dict) and ("e_cms_min" in data or "barrel_only" in data):
            raise ValueError(
                "e_cms_min/barrel_only were replaced by regions = [{ theta_min = ..., "
                "theta_max = ..., e_cms_min = ... }, ...] (lab polar angle in deg, CM energy "
                "in GeV; see `darkscan detector show`)"
            )
        return data


class ThreePhotonLine(_Section):
    enabled: bool
    efficiency: Probability = Field(description="line efficiency once the condition holds")
    n_clusters_min: Annotated[int, Field(ge=1)] = Field(description="minimum number of clusters")
    e_min: NonNegative = Field(description="cluster energy threshold (lab), GeV")


class DisplacedVertexLine(_Section):
    enabled: bool
    efficiency: Probability = Field(description="line efficiency once the condition holds")
    daughter_pt_min: NonNegative = Field(description="pT threshold per daughter, GeV")
    rxy_min: NonNegative = Field(description="vertex R_xy window, lower edge, cm")
    rxy_max: Positive = Field(description="vertex R_xy window, upper edge, cm")


class TriggerCard(_Section):
    """``[trigger.*]``: the emulated L1 lines."""

    two_track: TwoTrackLine
    single_muon: SingleMuonLine
    single_photon: SinglePhotonLine
    three_photon: ThreePhotonLine
    displaced_vertex: DisplacedVertexLine


class DetectorCard(_Section):
    """A complete detector card (see the module docstring)."""

    detector: DetectorInfo
    tracking: TrackingCard
    calorimeter: CalorimeterCard
    pid: PidCard
    beam_background: BeamBackgroundCard
    vertexing: VertexingCard
    trigger: TriggerCard

    @property
    def name(self) -> str:
        """The card name (``[detector] name``)."""
        return self.detector.name


def _format_error(exc: ValidationError, source: str) -> str:
    """One line: ``source: key.path: message (got value)`` for the first error."""
    errors = exc.errors()
    first = errors[0]
    loc = ".".join(str(p) for p in first["loc"]) or "(top level)"
    msg = first["msg"]
    if first["type"] == "missing":
        msg = "missing key"
    elif first["type"] == "extra_forbidden":
        msg = "unknown key"
    detail = f"{source}: {loc}: {msg}"
    if first["type"] not in ("missing",) and "input" in first:
        value = first["input"]
        if not isinstance(value, dict):
            detail += f" (got {value!r})"
    if len(errors) > 1:
        detail += f" [and {len(errors) - 1} more error(s)]"
    return detail.replace("\n", " ")


def card_from_dict(data: dict[str, Any], source: str = "<dict>") -> DetectorCard:
    """Validate a parsed card; errors become a one-line :class:`ConfigError` naming ``source``."""
    try:
        return DetectorCard.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_error(exc, source)) from None


def load_card(name_or_path: str | os.PathLike = "belle2") -> DetectorCard:
    """Load and validate a detector card.

    Parameters
    ----------
    name_or_path : str or os.PathLike
        ``"belle2"`` for the shipped default card, or a path to a TOML file.

    Returns
    -------
    DetectorCard

    Raises
    ------
    ConfigError
        Missing file, TOML syntax error, unknown or missing key, out-of-range value; one
        line naming the file and the key path.
    """
    if isinstance(name_or_path, str) and not name_or_path.endswith(".toml"):
        resource = resources.files("darkscan") / "data" / "cards" / f"{name_or_path}.toml"
        if not resource.is_file():
            raise ConfigError(
                f"unknown detector card {name_or_path!r}; give a .toml path or one of: "
                + ", ".join(sorted(p.name[:-5] for p in _shipped_cards()))
            )
        text, source = resource.read_text(encoding="utf-8"), f"{name_or_path}.toml (shipped)"
    else:
        path = Path(name_or_path)
        if not path.is_file():
            raise ConfigError(f"detector card {path} does not exist")
        text, source = path.read_text(encoding="utf-8"), str(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: invalid TOML: {exc}") from None
    return card_from_dict(data, source)


def _shipped_cards():
    folder = resources.files("darkscan") / "data" / "cards"
    return [p for p in folder.iterdir() if p.name.endswith(".toml")]


def card_hash(card: DetectorCard) -> str:
    """First 16 hex digits of the SHA-256 of the card's canonical JSON (identifies a card).

    >>> len(card_hash(load_card("belle2")))
    16
    """
    blob = json.dumps(card.model_dump(mode="json"), sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    raise TypeError(f"cannot write {value!r} to TOML")


def _inline_table(value: dict) -> str:
    return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"


def _write_table(model: BaseModel, prefix: str, lines: list[str]) -> None:
    scalars, tables = [], []
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        (tables if isinstance(value, BaseModel) else scalars).append((name, field, value))
    if scalars:
        lines.append(f"[{prefix}]")
        for name, field, value in scalars:
            if field.description:
                lines.append(f"# {field.description}")
            if isinstance(value, tuple):
                lines.append(f"{name} = [")
                lines += [f"  {_inline_table(v.model_dump())}," for v in value]
                lines.append("]")
            elif isinstance(value, dict):
                lines.append(f"{name} = {_inline_table(value)}")
            else:
                lines.append(f"{name} = {_toml_value(value)}")
        lines.append("")
    for name, _field, value in tables:
        _write_table(value, f"{prefix}.{name}" if prefix else name, lines)


def card_to_toml(card: DetectorCard) -> str:
    """Write a card as TOML (keys with their unit descriptions as comments).

    ``load_card`` of the written text gives back an equal card. Sources of the numbers are
    in the shipped ``belle2.toml``; this output only documents meaning and units.

    Examples
    --------
    >>> card = load_card("belle2")
    >>> card_from_dict(tomllib.loads(card_to_toml(card))) == card
    True
    """
    lines = [
        f"# darkscan detector card {card.name!r} (hash {card_hash(card)})",
        "# sources of the default numbers: src/darkscan/data/cards/belle2.toml",
        "",
    ]
    for name in type(card).model_fields:
        _write_table(getattr(card, name), name, lines)
    return "\n".join(lines)
