"""Exclusion plots: upper limits on a coupling versus mass with expected bands.

The plot shows the median expected limit with its +-1 sigma (green) and +-2 sigma (yellow)
bands ("Brazil bands"), the observed limit (labelled "pseudo-data" unless real data were
unblinded), the region of the L_mu - L_tau Z' (or dark photon) coupling that explains the
muon g-2 discrepancy, thermal-relic targets and other published limits, in the generic
mplhep ROOT style with an experiment label, luminosity and sqrt(s).

(g-2)_mu regions (from :mod:`darkscan.models.g_minus_2`):

* ``"2021"``: Delta a_mu = (251 +- 59) x 1e-11 (Muon g-2, arXiv:2104.03281, against the 2020
  White Paper). The 2 sigma region is a band between the couplings giving 133e-11 and
  369e-11.
* ``"2025"``: Delta a_mu = (38 +- 63) x 1e-11 (final Muon g-2 world average against the 2025
  White Paper, arXiv:2506.03069, arXiv:2505.21476), consistent with zero. There is no
  preferred band: couplings above the line (Delta a_mu above central + 2 sigma = 164e-11)
  are disfavoured, everything below is allowed. The plot draws that line with a hatch on
  the disfavoured side and says so in the legend.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import mplhep
import numpy as np
from matplotlib.ticker import LogFormatterSciNotation, NullFormatter

from darkscan import _validate
from darkscan.constants import ALPHA_EM
from darkscan.errors import ConfigError, InputFileError
from darkscan.io.atomic import atomic_output
from darkscan.models import g_minus_2 as _g2
from darkscan.report.results import normalise_limit_keys

__all__ = [
    "G_MINUS_2_EDITIONS",
    "GMinus2Region",
    "ReferenceCurve",
    "draw_exclusion",
    "g_minus_2_region",
    "plot_exclusion",
    "read_reference_curve",
    "save_figure",
]

#: Selectable Delta a_mu values: edition -> (central, sigma).
G_MINUS_2_EDITIONS = {"2021": _g2.DELTA_A_MU_2021, "2025": _g2.DELTA_A_MU_2025}
_G2_SOURCES = {
    "2021": "2021 (exp. vs WP20)",
    "2025": "2025 (exp. vs WP25)",
}
#: Models whose coupling to the muon is a vector coupling (g' or epsilon e).
_VECTOR_MODELS = {"lmu-ltau": 1.0, "dark-photon": float(np.sqrt(4.0 * np.pi * ALPHA_EM))}
_MASS_LABELS = {"lmu-ltau": r"$m_{Z'}$ [GeV]", "dark-photon": r"$m_{A'}$ [GeV]"}
#: Classic Brazil-band colours.
GREEN, YELLOW = "#00cc00", "#ffcc00"
SQRT_S_BELLE2 = 10.58


@dataclass(frozen=True)
class GMinus2Region:
    """Couplings that explain (or are compatible with) Delta a_mu within n sigma.

    Attributes
    ----------
    mass : numpy.ndarray
        Mediator masses in GeV.
    lower, upper : numpy.ndarray
        Couplings giving Delta a_mu = central -+ n sigma; ``lower`` is 0 where central -
        n sigma < 0 (then only an upper bound exists).
    central : numpy.ndarray
        Coupling giving the central value (0 if it is negative).
    edition : str
        ``"2021"`` or ``"2025"``.
    upper_only : bool
        True when central - n sigma <= 0: no lower edge, the region is not a band.
    delta_a_mu : (float, float)
        The central value and sigma used.
    n_sigma : float
    """

    mass: np.ndarray
    lower: np.ndarray
    central: np.ndarray
    upper: np.ndarray
    edition: str
    upper_only: bool
    delta_a_mu: tuple[float, float]
    n_sigma: float

    def contains(self, coupling) -> np.ndarray:
        """Whether ``coupling`` (broadcast against :attr:`mass`) lies in the region."""
        coupling = np.asarray(coupling, dtype=float)
        return (coupling >= self.lower) & (coupling <= self.upper)

    def label(self) -> str:
        """Legend text that states what the region means."""
        central, sigma = self.delta_a_mu
        value = rf"$\Delta a_\mu = ({central * 1e11:.0f}\pm{sigma * 1e11:.0f})\times10^{{-11}}$"
        src = _G2_SOURCES.get(self.edition, self.edition)
        if self.upper_only:
            return (
                rf"$(g-2)_\mu$ {src}: {value}, consistent with 0;"
                "\n"
                rf"hatched: $\Delta a_\mu$ > +{self.n_sigma:g}$\sigma$ (disfavoured)"
            )
        return rf"$(g-2)_\mu$ {src}: {value}, $\pm{self.n_sigma:g}\sigma$"


def g_minus_2_region(
    mass, edition: str = "2021", *, model: str = "lmu-ltau", n_sigma: float = 2.0
) -> GMinus2Region:
    """Coupling region explaining Delta a_mu within ``n_sigma`` for a vector mediator.

    For ``model="lmu-ltau"`` the coupling is g' (vector coupling to the muon); for
    ``model="dark-photon"`` it is epsilon = g / e with e = sqrt(4 pi alpha).

    Parameters
    ----------
    mass : float or array
        Mediator mass in GeV (> 0).
    edition : {"2021", "2025"}
        Which Delta a_mu (see the module docstring).
    model : {"lmu-ltau", "dark-photon"}
    n_sigma : float
        Half-width in standard deviations.

    Returns
    -------
    GMinus2Region

    References
    ----------
    Altmannshofer, Gori, Pospelov, Yavin, arXiv:1406.2332 (L_mu - L_tau band);
    Pospelov, arXiv:0811.1030 (dark photon); Muon g-2, arXiv:2104.03281, arXiv:2506.03069;
    Theory Initiative, arXiv:2006.04822, arXiv:2505.21476.

    Examples
    --------
    >>> region = g_minus_2_region(0.01, "2021")
    >>> bool(region.contains(5e-4)), region.upper_only
    (True, False)
    >>> g_minus_2_region(0.01, "2025").upper_only
    True
    """
    if edition not in G_MINUS_2_EDITIONS:
        raise ConfigError(
            f"g_minus_2 = {edition!r} is not one of {', '.join(G_MINUS_2_EDITIONS)} or None"
        )
    if model not in _VECTOR_MODELS:
        raise ConfigError(
            f"(g-2)_mu region for model {model!r}: only {', '.join(_VECTOR_MODELS)} are supported"
        )
    mass = np.asarray(_validate.positive("mass", mass, unit="GeV"), dtype=float)
    delta = G_MINUS_2_EDITIONS[edition]
    lo, mid, hi = _g2.lmu_ltau_g_minus_2_band(mass, delta_a_mu=delta, n_sigma=n_sigma)
    scale = _VECTOR_MODELS[model]
    return GMinus2Region(
        mass=mass,
        lower=np.asarray(lo) / scale,
        central=np.asarray(mid) / scale,
        upper=np.asarray(hi) / scale,
        edition=edition,
        upper_only=bool(delta[0] - n_sigma * delta[1] <= 0.0),
        delta_a_mu=(float(delta[0]), float(delta[1])),
        n_sigma=float(n_sigma),
    )


@dataclass(frozen=True)
class ReferenceCurve:
    """A curve to overlay: a published limit or a theory target, coupling versus mass.

    Attributes
    ----------
    mass : numpy.ndarray
        GeV.
    coupling : numpy.ndarray
        Same coupling as the plot.
    label : str
        Legend text (include the reference, e.g. "BaBar 2016 (arXiv:1606.03501)").
    reference : str
        Citation (arXiv number, DOI, HEPData record).
    style : dict
        Extra keyword arguments for ``Axes.plot``.
    """

    mass: np.ndarray
    coupling: np.ndarray
    label: str
    reference: str = ""
    style: dict = field(default_factory=dict)


def read_reference_curve(path) -> ReferenceCurve:
    """Read a published curve from CSV: ``# label: ...`` and ``# reference: ...`` comment
    lines, then a header ``mass,coupling`` (GeV, dimensionless) and one row per point.

    Raises
    ------
    InputFileError
        Missing file, missing ``reference`` line (a curve must be citable), bad header or
        values.
    """
    path = Path(path)
    meta: dict[str, str] = {}
    rows: list[list[str]] = []
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("#"):
                    key, _, value = line[1:].partition(":")
                    meta[key.strip().lower()] = value.strip()
                elif line.strip():
                    rows.append(next(csv.reader([line])))
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    if not meta.get("reference"):
        raise InputFileError(f"{path}: missing '# reference: ...' line (cite the source)")
    if not rows or [c.strip() for c in rows[0]] != ["mass", "coupling"]:
        raise InputFileError(f"{path}: header must be 'mass,coupling'")
    try:
        data = np.array([[float(c) for c in r] for r in rows[1:]], dtype=float).reshape(-1, 2)
    except ValueError as exc:
        raise InputFileError(f"{path}: bad value ({exc})") from None
    if data.size == 0 or not np.all(np.isfinite(data) & (data > 0)):
        raise InputFileError(f"{path}: needs rows of finite, positive mass and coupling")
    return ReferenceCurve(
        mass=data[:, 0],
        coupling=data[:, 1],
        label=meta.get("label", path.stem),
        reference=meta["reference"],
    )


def _limit_arrays(masses: np.ndarray, coupling_limits: Mapping) -> dict[str, np.ndarray]:
    limits = normalise_limit_keys(coupling_limits, what="coupling_limits")
    out = {}
    for key, value in limits.items():
        arr = np.asarray(value, dtype=float).reshape(-1)
        if arr.shape != masses.shape:
            raise ConfigError(
                f"coupling_limits[{key!r}] has {arr.size} values but there are {masses.size} masses"
            )
        out[key] = arr
    bands = [k for k in ("expected_minus1", "expected_plus1") if k in out]
    if len(bands) == 1 or len([k for k in ("expected_minus2", "expected_plus2") if k in out]) == 1:
        raise ConfigError("coupling_limits: give both edges of a band (minus and plus)")
    return out


def _thermal_curve(masses: np.ndarray, thermal_target, model: str) -> ReferenceCurve | None:
    """Thermal-relic epsilon(m_A') for a dark photon (m_chi = m_A'/ratio), or a given curve."""
    if thermal_target is None:
        return None
    if isinstance(thermal_target, ReferenceCurve):
        return thermal_target
    if model != "dark-photon":
        raise ConfigError(
            f"thermal_target parameters are only computed for model 'dark-photon' (got "
            f"{model!r}); pass a ReferenceCurve for other models"
        )
    from darkscan.models import relic

    params = {"kind": "complex-scalar", "alpha_dark": 0.5, "ratio": 3.0}
    params.update(dict(thermal_target))
    unknown = set(params) - {"kind", "alpha_dark", "ratio", "splitting"}
    if unknown:
        raise ConfigError(f"thermal_target: unknown parameter(s) {sorted(unknown)}")
    ratio = float(params["ratio"])
    grid = np.geomspace(masses.min(), masses.max(), 40)
    m_chi = grid / ratio
    grid = grid[(m_chi >= relic.MIN_MASS) & (m_chi <= relic.MAX_MASS)]
    if grid.size < 2:
        return None
    eps = relic.epsilon_for_thermal_target(
        grid / ratio,
        grid,
        params["alpha_dark"],
        kind=params["kind"],
        splitting=params.get("splitting", 0.0),
    )
    label = (
        rf"thermal target, {params['kind']} $\chi$, "
        rf"$m_{{A'}} = {ratio:g}\,m_\chi$, $\alpha_D = {params['alpha_dark']:g}$"
    )
    return ReferenceCurve(
        grid, eps, label, reference="arXiv:1505.00011", style={"color": "tab:red", "ls": "-."}
    )


def draw_exclusion(
    ax,
    masses,
    coupling_limits: Mapping[str, object],
    *,
    model: str = "lmu-ltau",
    g_minus_2: str | None = "auto",
    thermal_target=None,
    other_limits: Sequence[ReferenceCurve] = (),
    pseudo_data: bool = True,
) -> dict[str, object]:
    """Draw limits, bands and reference regions on ``ax`` (log-log); return the artists.

    Parameters are those of :func:`plot_exclusion`. The returned dict has keys among
    ``"band2"``, ``"band1"``, ``"expected"``, ``"observed"``, ``"g_minus_2"``,
    ``"g_minus_2_edge"``, ``"thermal_target"`` and ``"other:<label>"``.
    """
    masses = np.atleast_1d(_validate.positive("masses", masses, unit="GeV")).astype(float)
    if masses.size < 2 or np.any(np.diff(masses) <= 0):
        raise ConfigError(f"masses must be at least 2 strictly increasing values, got {masses}")
    limits = _limit_arrays(masses, coupling_limits)
    if g_minus_2 == "auto":
        g_minus_2 = "2025" if model in _VECTOR_MODELS else None
    artists: dict[str, object] = {}
    ax.set_xscale("log")
    ax.set_yscale("log")
    # label decades only: mplhep's style labels every minor tick on short log axes, and the
    # labels then overlap
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.xaxis.set_major_formatter(LogFormatterSciNotation(labelOnlyBase=False))
    if "expected_minus2" in limits:
        artists["band2"] = ax.fill_between(
            masses,
            limits["expected_minus2"],
            limits["expected_plus2"],
            color=YELLOW,
            lw=0,
            label=r"Expected $\pm 2\sigma$",
            zorder=2,
        )
    if "expected_minus1" in limits:
        artists["band1"] = ax.fill_between(
            masses,
            limits["expected_minus1"],
            limits["expected_plus1"],
            color=GREEN,
            lw=0,
            label=r"Expected $\pm 1\sigma$",
            zorder=3,
        )
    if "expected" in limits:
        (artists["expected"],) = ax.plot(
            masses,
            limits["expected"],
            color="k",
            ls="--",
            lw=2,
            label="Median expected",
            zorder=4,
        )
    if "observed" in limits:
        label = "Observed (pseudo-data)" if pseudo_data else "Observed"
        (artists["observed"],) = ax.plot(
            masses, limits["observed"], color="k", ls="-", lw=2.5, label=label, zorder=5
        )

    finite = np.concatenate([v[np.isfinite(v) & (v > 0)] for v in limits.values()])
    if finite.size == 0:
        raise ConfigError("coupling_limits: no finite, positive limit to draw")
    # head room above the limits for the legend; the top follows the bulk of the limits
    # (90th percentile, at least 1), not the few points at the kinematic edge where the
    # signal efficiency vanishes and the limit runs off to very large couplings
    top = min(finite.max(), max(1.0, float(np.percentile(finite, 90))))
    y_lo, y_hi = finite.min() / 10.0, top * 30.0
    x_lo, x_hi = masses.min(), masses.max()
    grid = np.geomspace(x_lo, x_hi, 200)

    if g_minus_2 is not None:
        region = g_minus_2_region(grid, g_minus_2, model=model)
        if region.upper_only:
            # no preferred band: hatch the disfavoured side (Delta a_mu above +n sigma)
            artists["g_minus_2"] = ax.fill_between(
                grid,
                region.upper,
                np.full_like(grid, y_hi * 1e3),
                facecolor="none",
                edgecolor="tab:purple",
                hatch="//",
                lw=0,
                alpha=0.5,
                zorder=1,
            )
            (artists["g_minus_2_edge"],) = ax.plot(
                grid, region.upper, color="tab:purple", lw=2, label=region.label(), zorder=1
            )
        else:
            artists["g_minus_2"] = ax.fill_between(
                grid,
                region.lower,
                region.upper,
                color="tab:purple",
                alpha=0.35,
                lw=0,
                label=region.label(),
                zorder=1,
            )
        y_lo = min(y_lo, max(float(np.min(region.upper)) / 3.0, finite.min() / 1e3))

    curve = _thermal_curve(masses, thermal_target, model)
    curves = ([curve] if curve is not None else []) + list(other_limits)
    for k, c in enumerate(curves):
        style = {"lw": 2, **c.style}
        (line,) = ax.plot(c.mass, c.coupling, label=c.label, zorder=4, **style)
        artists["thermal_target" if (k == 0 and curve is not None) else f"other:{c.label}"] = line

    ax.set_xlim(x_lo, x_hi)
    ax.set_ylim(y_lo, y_hi)
    return artists


def save_figure(fig, out_stem, formats: Sequence[str] = ("png", "pdf"), *, dpi: int = 150):
    """Save ``fig`` as ``<out_stem>.<fmt>`` for each format, each file written atomically.

    Returns
    -------
    list of pathlib.Path
        The written files, in the order of ``formats``.
    """
    out_stem = Path(out_stem)
    paths = []
    for fmt in formats:
        target = out_stem.parent / f"{out_stem.name}.{fmt}"
        with atomic_output(target) as tmp:
            fig.savefig(tmp, format=fmt, dpi=dpi)
        paths.append(target)
    return paths


def _experiment_label(ax, *, experiment, pseudo_data, lumi, sqrt_s, text=None):
    """Experiment label above the axes, left; luminosity and sqrt(s) above the axes, right.

    The right-hand label is drawn separately in a smaller font (and sqrt(s) to 10 MeV) so
    that it does not run into "<experiment> Simulation, pseudo-data" on a 10-inch figure.
    """
    if text is None:
        text = "Simulation, pseudo-data" if pseudo_data else ""
    rlabel = rf"$L$ = {lumi:g} fb$^{{-1}}$, " + f"\u221as = {sqrt_s:.2f} GeV"
    out = mplhep.label.exp_label(
        exp=experiment, text=text, data=True, loc=0, rlabel="", ax=ax, fontsize=20
    )
    ax.text(
        1.0, 1.005, rlabel, transform=ax.transAxes, ha="right", va="bottom", fontsize=14
    )  # fmt: skip
    return out


def plot_exclusion(
    masses,
    coupling_limits: Mapping[str, object],
    *,
    model: str = "lmu-ltau",
    coupling_label: str = "g'",
    g_minus_2: str | None = "auto",
    thermal_target=None,
    other_limits: Sequence[ReferenceCurve] = (),
    pseudo_data: bool = True,
    lumi: float = 79.7,
    sqrt_s: float = SQRT_S_BELLE2,
    confidence_level: float = 0.90,
    experiment: str = "Belle II",
    mass_label: str | None = None,
    out_stem,
) -> list[Path]:
    """Plot upper limits on a coupling versus mass and write ``<out_stem>.png`` and ``.pdf``.

    Parameters
    ----------
    masses : array_like
        Mediator masses in GeV, strictly increasing.
    coupling_limits : mapping
        ``"expected"`` (median), ``"expected_minus1"``/``"expected_plus1"``,
        ``"expected_minus2"``/``"expected_plus2"`` (bands) and optionally ``"observed"``;
        the :class:`darkscan.stats.ExpectedLimits` names (``median``, ``minus1``, ...) are
        accepted too. Each of the shape of ``masses``; NaN leaves a gap.
    model : str
        Model name (``"lmu-ltau"``, ``"dark-photon"``, ...); selects the g-2 conversion,
        the thermal target and the mass-axis label.
    coupling_label : str
        Coupling symbol for the y axis (mathtext without $ is wrapped in $...$).
    g_minus_2 : {"auto", "2021", "2025", None}
        Which (g-2)_mu region to draw (2 sigma); None for none. Only for vector couplings
        to the muon (``"lmu-ltau"``, ``"dark-photon"``). ``"auto"`` (default): the current
        ``"2025"`` value for those models, None for others.
    thermal_target : mapping, ReferenceCurve or None
        For ``"dark-photon"``: parameters of :func:`darkscan.models.relic.epsilon_for_thermal_target`
        (``kind``, ``alpha_dark``, ``ratio`` = m_A'/m_chi, ``splitting``); for any model a
        precomputed :class:`ReferenceCurve`.
    other_limits : sequence of ReferenceCurve
        Published limits to overlay (see :func:`read_reference_curve`).
    pseudo_data : bool
        Label the observed limit and the plot as pseudo-data (default True).
    lumi : float
        Integrated luminosity in fb^-1 shown on the plot.
    sqrt_s : float
        Centre-of-mass energy in GeV shown on the plot.
    confidence_level : float
        CL of the limits, for the y-axis label.
    experiment : str
        Experiment name for the label (mplhep has no Belle II style: generic ROOT style).
    mass_label : str, optional
        x-axis label; default by model.
    out_stem : path
        Output path without suffix.

    Returns
    -------
    list of pathlib.Path
        The PNG and PDF files.

    References
    ----------
    Expected bands: Cowan, Cranmer, Gross, Vitells, arXiv:1007.1727, sec. 4.3. Muon g-2
    region: see :func:`g_minus_2_region`.
    """
    lumi = _validate.positive("lumi", lumi, unit="fb^-1")
    sqrt_s = _validate.positive("sqrt_s", sqrt_s, unit="GeV")
    confidence_level = _validate.in_range(
        "confidence_level", confidence_level, 0.0, 1.0, low_inclusive=False, high_inclusive=False
    )
    label = coupling_label if "$" in coupling_label else f"${coupling_label}$"
    with plt.style.context(mplhep.style.ROOT):
        fig, ax = plt.subplots(figsize=(10, 8))
        try:
            draw_exclusion(
                ax,
                masses,
                coupling_limits,
                model=model,
                g_minus_2=g_minus_2,
                thermal_target=thermal_target,
                other_limits=other_limits,
                pseudo_data=pseudo_data,
            )
            ax.set_xlabel(mass_label or _MASS_LABELS.get(model, "mass [GeV]"))
            ax.set_ylabel(f"{confidence_level * 100:g}% CL upper limit on {label}")
            ax.legend(loc="upper left", fontsize=13, frameon=True, framealpha=0.9)
            _experiment_label(
                ax, experiment=experiment, pseudo_data=pseudo_data, lumi=lumi, sqrt_s=sqrt_s
            )
            fig.tight_layout()
            return save_figure(fig, out_stem)
        finally:
            plt.close(fig)
