"""HEPData submission of a search's results, built with hepdata_lib.

Tables (each with keywords ``observables``, ``reactions``, ``cmenergies``, ``phrases``):

* upper limits on sigma(e+e- -> mu+mu- Z') x BR(Z' -> invisible) versus mass: the median
  expected limit with the +-1 sigma and +-2 sigma bands as asymmetric errors (labels
  ``"1 sigma"``, ``"2 sigma"``), and the observed limit (qualified as pseudo-data when it
  is);
* the same for the coupling (g' for L_mu - L_tau);
* the signal efficiency versus mass (with its uncertainty if given);
* the cut flow (events after each cut, per sample).

The submission is created in a staging directory next to the target and then swapped into
place: a reader sees either the old or the new complete submission. (The rename sequence
old -> backup, staging -> target leaves an instant with no directory at the target path;
there is no portable atomic exchange of two directories.) hepdata_lib writes its archive
``submission.tar.gz`` into the current working directory, so creation runs with the
working directory set to the staging area (process-wide: do not call from several threads
at once). The archive is moved next to the directory as ``<outdir>.tar.gz`` (the form
HEPData uploads take); the directory itself validates with hepdata-validator.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np
from hepdata_lib import Submission, Table, Uncertainty, Variable

from darkscan import _validate
from darkscan.errors import ConfigError
from darkscan.report.cutflow import CutFlow
from darkscan.report.results import normalise_limit_keys

__all__ = ["build_submission", "write_hepdata"]

REACTION_ZPRIME = "E+ E- --> MU+ MU- ZPRIME"
SQRT_S_BELLE2 = 10.58


def _keywords(table: Table, *, observables, reactions, sqrt_s, phrases) -> None:
    table.keywords["observables"] = list(observables)
    table.keywords["reactions"] = list(reactions)
    table.keywords["cmenergies"] = [float(sqrt_s)]
    table.keywords["phrases"] = list(phrases)


def _mass_variable(masses: np.ndarray, name: str) -> Variable:
    var = Variable(name, is_independent=True, is_binned=False, units="GeV")
    var.values = masses
    return var


def _limit_variables(
    masses: np.ndarray,
    limits: Mapping[str, object],
    *,
    quantity: str,
    units: str,
    confidence_level: float,
    pseudo_data: bool,
    sqrt_s: float,
) -> list[Variable]:
    limits = normalise_limit_keys(limits, what=quantity)
    arrays = {}
    for key, value in limits.items():
        arr = np.asarray(value, dtype=float).reshape(-1)
        if arr.shape != masses.shape:
            raise ConfigError(
                f"{quantity} limits {key!r}: {arr.size} values but there are {masses.size} masses"
            )
        if not np.all(np.isfinite(arr)):
            bad = masses[~np.isfinite(arr)]
            raise ConfigError(
                f"{quantity} limits {key!r} are undefined (NaN) at mass {bad[0]:g} GeV; drop "
                "undefined mass points before writing HEPData"
            )
        arrays[key] = arr
    out = []
    cl = f"{100 * confidence_level:g}%"
    if "expected" in arrays:
        var = Variable(
            f"Expected upper limit on {quantity}",
            is_independent=False,
            is_binned=False,
            units=units,
        )
        var.values = arrays["expected"]
        for n in (1, 2):
            lo, hi = arrays.get(f"expected_minus{n}"), arrays.get(f"expected_plus{n}")
            if (lo is None) != (hi is None):
                raise ConfigError(f"{quantity} limits: give both edges of the {n} sigma band")
            if lo is not None:
                unc = Uncertainty(f"{n} sigma", is_symmetric=False)
                unc.set_values_from_intervals(list(zip(lo, hi, strict=True)), arrays["expected"])
                var.add_uncertainty(unc)
        var.add_qualifier("CL", cl)
        var.add_qualifier("SQRT(S)", sqrt_s, "GeV")
        out.append(var)
    if "observed" in arrays:
        name = f"Observed upper limit on {quantity}"
        var = Variable(name, is_independent=False, is_binned=False, units=units)
        var.values = arrays["observed"]
        var.add_qualifier("CL", cl)
        var.add_qualifier("SQRT(S)", sqrt_s, "GeV")
        var.add_qualifier("Data", "pseudo-data (simulation)" if pseudo_data else "collision data")
        out.append(var)
    return out


def _limit_table(name, masses, limits, *, quantity, units, mass_name, description, meta) -> Table:
    table = Table(name)
    table.description = description
    table.location = meta["location"]
    table.add_variable(_mass_variable(masses, mass_name))
    for var in _limit_variables(
        masses,
        limits,
        quantity=quantity,
        units=units,
        confidence_level=meta["confidence_level"],
        pseudo_data=meta["pseudo_data"],
        sqrt_s=meta["sqrt_s"],
    ):
        table.add_variable(var)
    _keywords(
        table,
        observables=["SIG" if units == "fb" else "COUPLING"],
        reactions=meta["reactions"],
        sqrt_s=meta["sqrt_s"],
        phrases=["Dark sector", "Z'", "Upper limit", "Invisible decay"],
    )
    return table


def build_submission(
    masses,
    cross_section_limits: Mapping[str, object],
    coupling_limits: Mapping[str, object] | None = None,
    *,
    efficiency=None,
    efficiency_unc=None,
    cutflow: CutFlow | None = None,
    confidence_level: float = 0.90,
    pseudo_data: bool = True,
    luminosity: float = 79.7,
    sqrt_s: float = SQRT_S_BELLE2,
    coupling_name: str = "g'",
    mass_name: str = "M(Z')",
    reactions: tuple[str, ...] = (REACTION_ZPRIME,),
    abstract: str = "",
    location: str = "darkscan results",
) -> Submission:
    """Build (without writing) the hepdata_lib Submission for limits, efficiency, cut flow.

    Parameters
    ----------
    masses : array_like
        Masses in GeV, shape (n,).
    cross_section_limits : mapping
        Upper limits on sigma x BR in fb; keys as in
        :data:`darkscan.report.results.LIMIT_KEYS` (expected median, bands, observed).
    coupling_limits : mapping, optional
        Upper limits on the coupling, same keys.
    efficiency, efficiency_unc : array_like, optional
        Signal efficiency versus mass (in [0, 1]) and its absolute uncertainty.
    cutflow : CutFlow, optional
        Cut flow to tabulate (events scaled to the luminosity, and raw counts).
    confidence_level : float
        CL of the limits (qualifier).
    pseudo_data : bool
        Whether the observed limits come from pseudo-data (qualifier and abstract).
    luminosity : float
        fb^-1 (abstract).
    sqrt_s : float
        GeV (keyword ``cmenergies`` and qualifier).
    coupling_name, mass_name : str
        Names of the coupling and mass variables.
    reactions : tuple of str
        HEPData reaction keywords.
    abstract : str
        Submission comment; a default describing the result is used if empty.
    location : str
        Location of the tables in the publication.

    Returns
    -------
    hepdata_lib.Submission
    """
    masses = np.atleast_1d(_validate.positive("masses", masses, unit="GeV")).astype(float)
    luminosity = _validate.positive("luminosity", luminosity, unit="fb^-1")
    sqrt_s = _validate.positive("sqrt_s", sqrt_s, unit="GeV")
    confidence_level = _validate.in_range(
        "confidence_level", confidence_level, 0.0, 1.0, low_inclusive=False, high_inclusive=False
    )
    meta = {
        "confidence_level": confidence_level,
        "pseudo_data": pseudo_data,
        "sqrt_s": sqrt_s,
        "reactions": list(reactions),
        "location": location,
    }
    sub = Submission()
    data_kind = "pseudo-data (simulation)" if pseudo_data else "collision data"
    sub.comment = abstract or (
        f"Upper limits at {100 * confidence_level:g}% CL on the cross section of "
        f"e+e- -> mu+mu- Z', Z' -> invisible, and on the coupling {coupling_name}, from "
        f"{luminosity:g} fb^-1 at sqrt(s) = {sqrt_s:g} GeV ({data_kind}); produced with darkscan."
    )
    cl = f"{100 * confidence_level:g}% CL"
    sub.add_table(
        _limit_table(
            "Cross-section upper limits",
            masses,
            cross_section_limits,
            quantity="SIG(E+ E- --> MU+ MU- ZPRIME) x BR(ZPRIME --> INVISIBLE)",
            units="fb",
            mass_name=mass_name,
            meta=meta,
            description=f"Expected (median, with 1 and 2 sigma bands) and observed {cl} upper "
            f"limits on sigma(e+e- -> mu+mu- Z') x BR(Z' -> invisible) versus {mass_name}.",
        )
    )
    if coupling_limits is not None:
        sub.add_table(
            _limit_table(
                "Coupling upper limits",
                masses,
                coupling_limits,
                quantity=coupling_name,
                units="",
                mass_name=mass_name,
                meta=meta,
                description=f"Expected (median, with 1 and 2 sigma bands) and observed {cl} "
                f"upper limits on the coupling {coupling_name} versus {mass_name}.",
            )
        )
    if efficiency is not None:
        eff = np.atleast_1d(_validate.in_range("efficiency", efficiency, 0.0, 1.0)).astype(float)
        if eff.shape != masses.shape:
            raise ConfigError(
                f"efficiency has {eff.size} values but there are {masses.size} masses"
            )
        table = Table("Signal efficiency")
        table.description = f"Signal efficiency of the selection versus {mass_name}."
        table.location = location
        table.add_variable(_mass_variable(masses, mass_name))
        var = Variable("Signal efficiency", is_independent=False, is_binned=False, units="")
        var.values = eff
        if efficiency_unc is not None:
            unc_values = np.atleast_1d(
                _validate.non_negative("efficiency_unc", efficiency_unc)
            ).astype(float)
            if unc_values.shape != eff.shape:
                raise ConfigError("efficiency_unc must have the shape of efficiency")
            unc = Uncertainty("total", is_symmetric=True)
            unc.values = unc_values
            var.add_uncertainty(unc)
        var.add_qualifier("SQRT(S)", sqrt_s, "GeV")
        table.add_variable(var)
        _keywords(
            table,
            observables=["EFF"],
            reactions=reactions,
            sqrt_s=sqrt_s,
            phrases=["Efficiency", "Dark sector"],
        )
        sub.add_table(table)
    if cutflow is not None:
        sub.add_table(_cutflow_table(cutflow, meta))
    return sub


def _cutflow_table(cutflow: CutFlow, meta) -> Table:
    table = Table("Cut flow")
    lumi = f" at {cutflow.luminosity:g} fb^-1" if cutflow.luminosity is not None else ""
    table.description = (
        f"Events passing each selection step per sample{lumi} (weighted yields), raw "
        "simulated counts, and efficiencies relative to the previous step."
    )
    table.location = meta["location"]
    cut = Variable("Selection step", is_independent=True, is_binned=False, units="")
    cut.values = list(cutflow.cuts)
    table.add_variable(cut)
    eff_prev = cutflow.efficiency_previous()
    for i, sample in enumerate(cutflow.samples):
        for name, values, units in (
            (f"{sample}: events", cutflow.weighted[i], "events"),
            (f"{sample}: raw simulated events", cutflow.raw[i].astype(int).tolist(), ""),
            (f"{sample}: efficiency w.r.t. previous step", eff_prev[i], ""),
        ):
            var = Variable(name, is_independent=False, is_binned=False, units=units)
            var.values = [v if not (isinstance(v, float) and np.isnan(v)) else "-" for v in values]
            table.add_variable(var)
    _keywords(
        table,
        observables=["N"],
        reactions=meta["reactions"],
        sqrt_s=meta["sqrt_s"],
        phrases=["Cut flow"],
    )
    return table


def write_hepdata(outdir, submission: Submission, *, validate: bool = True) -> Path:
    """Write ``submission`` into ``outdir`` (YAML files) and ``<outdir>.tar.gz``, atomically.

    The files are created in a staging directory next to ``outdir`` (and validated by
    hepdata_lib with hepdata-validator when ``validate``); the staging directory then
    replaces ``outdir`` and the archive replaces ``<outdir>.tar.gz``. On failure the
    staging area is removed and the previous output is left as it was.

    Parameters
    ----------
    outdir : path
        Target directory, e.g. ``results/<search>/hepdata``.
    submission : hepdata_lib.Submission
        From :func:`build_submission`.
    validate : bool
        Validate the archive (hepdata-validator) before swapping it into place.

    Returns
    -------
    pathlib.Path
        ``outdir``; the archive is ``outdir.parent / (outdir.name + ".tar.gz")``.
    """
    outdir = Path(outdir).absolute()
    archive = outdir.parent / f"{outdir.name}.tar.gz"
    outdir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{outdir.name}.", suffix=".tmp", dir=outdir.parent))
    backup = None
    try:
        target = staging / outdir.name
        # hepdata_lib writes submission.tar.gz into the working directory and prints
        # progress messages: contain both.
        with contextlib.chdir(staging), contextlib.redirect_stdout(io.StringIO()):
            submission.create_files(str(target), validate=validate, remove_old=True)
        if outdir.exists():
            backup = staging / (outdir.name + ".old")
            os.rename(outdir, backup)
        os.rename(target, outdir)
        os.replace(staging / "submission.tar.gz", archive)
    except BaseException:
        if backup is not None and backup.exists() and not outdir.exists():
            os.rename(backup, outdir)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return outdir
