"""Results files of a search: ``limits.json`` and ``manifest.json``.

Both are written atomically (temporary file in the target directory, then rename; see
:mod:`darkscan.io.atomic`) and read back with validation.

``limits.json`` schema (``"schema": "darkscan.limits/1"``)::

    {
      "schema": "darkscan.limits/1",
      "metadata": {
        "search": "zprime_invisible",          # name of the search
        "model": "lmu-ltau",                   # model CLI name
        "coupling": "g_prime",                 # name of the coupling limited below
        "confidence_level": 0.9,               # CL (or credibility level) of the limits
        "method": "cls-asymptotic",            # statistical method
        "pseudo_data": true,                   # observed limits are from pseudo-data
        "unblinded": false,                    # real observed data released (darkscan unblind)
        "luminosity": 79.7,                    # fb^-1
        "sqrt_s": 10.58,                       # GeV
        "notes": ""
      },
      "units": {"mass": "GeV", "cross_section": "fb", "coupling": "1", "luminosity": "fb^-1",
                "sqrt_s": "GeV"},
      "mass": [...],                           # n mass points, GeV
      "cross_section": {                       # upper limits on sigma x BR, fb
        "expected": [...],                     # median expected
        "expected_minus2": [...], "expected_minus1": [...],
        "expected_plus1": [...],  "expected_plus2": [...],
        "observed": [...]                      # optional
      },
      "coupling": {...}                        # optional, same keys, dimensionless
    }

Limits that are undefined at a mass point (NaN) are written as ``null`` and read back as
NaN. The band keys are :data:`LIMIT_KEYS`; the aliases ``median``, ``minus2``, ``minus1``,
``plus1``, ``plus2`` (the field names of :class:`darkscan.stats.ExpectedLimits`) are
accepted on input. Observed limits from real data may only be written with
``unblinded=True`` (design contract: nothing observed in a signal region leaves the
program before ``darkscan unblind``); pseudo-data observed limits are always allowed.

``manifest.json`` (``"schema": "darkscan.manifest/1"``) records what produced the results:
the configuration, package versions, seeds, chunks done and luminosities per sample.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata as _importlib_metadata
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from darkscan import _validate
from darkscan.errors import ConfigError, InputFileError, PhysicsDomainError
from darkscan.io.atomic import write_text_atomic

__all__ = [
    "LIMITS_SCHEMA",
    "LIMIT_KEYS",
    "MANIFEST_SCHEMA",
    "Limits",
    "LimitsMetadata",
    "collect_versions",
    "normalise_limit_keys",
    "read_limits_json",
    "read_manifest",
    "write_limits_json",
    "write_manifest",
]

LIMITS_SCHEMA = "darkscan.limits/1"
MANIFEST_SCHEMA = "darkscan.manifest/1"

#: Keys of a set of limits: median expected, its bands, and the observed limit.
LIMIT_KEYS = (
    "expected",
    "expected_minus2",
    "expected_minus1",
    "expected_plus1",
    "expected_plus2",
    "observed",
)
_ALIASES = {
    "median": "expected",
    "minus2": "expected_minus2",
    "minus1": "expected_minus1",
    "plus1": "expected_plus1",
    "plus2": "expected_plus2",
}
UNITS = {
    "mass": "GeV",
    "cross_section": "fb",
    "coupling": "1",
    "luminosity": "fb^-1",
    "sqrt_s": "GeV",
}
#: Packages whose versions a manifest records by default.
DEFAULT_PACKAGES = (
    "darkscan",
    "numpy",
    "scipy",
    "awkward",
    "hist",
    "pyhf",
    "pythia8mc",
    "iminuit",
    "matplotlib",
    "mplhep",
    "hepdata_lib",
)


class LimitsMetadata(BaseModel):
    """Metadata of a set of limits (validated; see the module docstring for the fields)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    search: str = ""
    model: str
    coupling: str = ""
    confidence_level: float = Field(gt=0.0, lt=1.0)
    method: str
    pseudo_data: bool
    unblinded: bool = False
    luminosity: float = Field(gt=0.0, allow_inf_nan=False)
    sqrt_s: float = Field(default=10.58, gt=0.0, allow_inf_nan=False)
    notes: str = ""


def normalise_limit_keys(limits: Mapping[str, Any], *, what: str = "limits") -> dict[str, Any]:
    """Map the keys of ``limits`` to :data:`LIMIT_KEYS` (accepting the ExpectedLimits aliases).

    Raises ConfigError for an unknown key or a key given twice (directly and as alias).

    Examples
    --------
    >>> sorted(normalise_limit_keys({"median": 1.0, "observed": 2.0}))
    ['expected', 'observed']
    """
    out: dict[str, Any] = {}
    for key, value in limits.items():
        canonical = _ALIASES.get(key, key)
        if canonical not in LIMIT_KEYS:
            raise ConfigError(
                f"{what}: unknown key {key!r}; expected one of {', '.join(LIMIT_KEYS)}"
            )
        if canonical in out:
            raise ConfigError(f"{what}: key {canonical!r} given twice (directly and as alias)")
        out[canonical] = value
    if "expected" not in out and "observed" not in out:
        raise ConfigError(f"{what}: needs at least 'expected' or 'observed'")
    return out


def _limit_arrays(name: str, limits: Mapping[str, Any] | None, n: int) -> dict[str, np.ndarray]:
    if limits is None:
        return {}
    out = {}
    for key, value in normalise_limit_keys(limits, what=name).items():
        arr = np.asarray(value, dtype=float).reshape(-1)
        if arr.shape != (n,):
            raise ConfigError(f"{name}[{key!r}] has {arr.size} values but there are {n} masses")
        if np.any(arr[np.isfinite(arr)] < 0) or np.any(np.isinf(arr)):
            bad = arr[(arr < 0) | np.isinf(arr)]
            raise PhysicsDomainError(
                f"{name}[{key!r}] = {_validate._describe(bad)} is outside the allowed range "
                "[0, inf) (NaN marks an undefined point)"
            )
        out[key] = arr
    return out


def _to_json_list(arr: np.ndarray) -> list[float | None]:
    return [float(v) if math.isfinite(v) else None for v in arr.tolist()]


def _from_json_list(values: Sequence[float | None]) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


@dataclass(frozen=True)
class Limits:
    """Limits read from (or to be written to) ``limits.json``.

    Attributes
    ----------
    mass : numpy.ndarray
        Mass points in GeV, shape (n,).
    cross_section : dict of str to numpy.ndarray
        Upper limits on sigma x BR in fb, keyed by :data:`LIMIT_KEYS`.
    coupling : dict of str to numpy.ndarray
        Upper limits on the coupling (dimensionless); empty if not given.
    metadata : LimitsMetadata
    """

    mass: np.ndarray
    cross_section: dict[str, np.ndarray]
    coupling: dict[str, np.ndarray]
    metadata: LimitsMetadata


def write_limits_json(
    path,
    masses,
    cross_section_limits: Mapping[str, Any],
    coupling_limits: Mapping[str, Any] | None = None,
    *,
    metadata: LimitsMetadata | Mapping[str, Any],
) -> Path:
    """Write limits versus mass to ``path`` (JSON, schema ``darkscan.limits/1``) atomically.

    Parameters
    ----------
    path : str or os.PathLike
        Output file, usually ``results/<search>/limits.json``.
    masses : array_like
        Mass points in GeV (> 0), shape (n,).
    cross_section_limits : mapping
        Upper limits on sigma x BR in fb per key of :data:`LIMIT_KEYS` (or the
        ExpectedLimits aliases), each of shape (n,); NaN marks an undefined point.
    coupling_limits : mapping, optional
        Upper limits on the coupling, same keys.
    metadata : LimitsMetadata or mapping
        Model, CL, method, pseudo-data flag, luminosity (fb^-1), sqrt(s) (GeV), ...

    Returns
    -------
    pathlib.Path
        The written file.

    Raises
    ------
    PhysicsDomainError
        Non-positive or non-finite mass.
    ConfigError
        Bad metadata, unknown limit key, wrong lengths, or observed real-data limits while
        still blinded (``pseudo_data=False`` and ``unblinded=False``).
    """
    masses = np.atleast_1d(_validate.positive("masses", masses, unit="GeV")).astype(float)
    try:
        meta = (
            metadata
            if isinstance(metadata, LimitsMetadata)
            else LimitsMetadata.model_validate(dict(metadata))
        )
    except ValidationError as exc:
        raise ConfigError(f"limits metadata: {_first_error(exc)}") from None
    xs = _limit_arrays("cross_section_limits", cross_section_limits, masses.size)
    coupling = _limit_arrays("coupling_limits", coupling_limits, masses.size)
    if ("observed" in xs or "observed" in coupling) and not (meta.pseudo_data or meta.unblinded):
        raise ConfigError(
            "observed limits from real data while blinded: set pseudo_data=True or record the "
            "unblinding decision (darkscan unblind) and pass unblinded=True"
        )
    document = {
        "schema": LIMITS_SCHEMA,
        "metadata": meta.model_dump(),
        "units": dict(UNITS),
        "mass": _to_json_list(masses),
        "cross_section": {k: _to_json_list(v) for k, v in xs.items()},
    }
    if coupling:
        document["coupling"] = {k: _to_json_list(v) for k, v in coupling.items()}
    return write_text_atomic(path, json.dumps(document, indent=2, allow_nan=False) + "\n")


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"]) or "(root)"
    return f"{loc}: {err['msg']} (got {err.get('input')!r})"


def _load_json(path: Path, schema: str) -> dict:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputFileError(f"{path}: not valid JSON ({exc})") from exc
    if not isinstance(document, dict) or document.get("schema") != schema:
        got = document.get("schema") if isinstance(document, dict) else type(document).__name__
        raise InputFileError(f"{path}: schema {got!r}, expected {schema!r}")
    return document


def read_limits_json(path) -> Limits:
    """Read and validate a ``limits.json`` written by :func:`write_limits_json`.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    Limits
        Masses (GeV), cross-section limits (fb), coupling limits and metadata; ``null``
        entries become NaN.

    Raises
    ------
    InputFileError
        Missing, unreadable or malformed file (wrong schema, bad metadata, unknown key,
        length mismatch); the message names the file and the problem.
    """
    path = Path(path)
    doc = _load_json(path, LIMITS_SCHEMA)
    try:
        meta = LimitsMetadata.model_validate(doc["metadata"])
        masses = _from_json_list(doc["mass"])
        if doc.get("units", UNITS) != UNITS:
            raise InputFileError(f"{path}: units {doc['units']} differ from {UNITS}")
        xs = _limit_arrays(
            "cross_section",
            {k: _from_json_list(v) for k, v in doc["cross_section"].items()},
            masses.size,
        )
        coupling = _limit_arrays(
            "coupling",
            {k: _from_json_list(v) for k, v in doc["coupling"].items()}
            if "coupling" in doc
            else None,
            masses.size,
        )
    except ValidationError as exc:
        raise InputFileError(f"{path}: metadata {_first_error(exc)}") from None
    except KeyError as exc:
        raise InputFileError(f"{path}: missing field {exc.args[0]!r}") from None
    except (ConfigError, TypeError, ValueError, AttributeError) as exc:
        raise InputFileError(f"{path}: {exc}") from None
    if not np.all(np.isfinite(masses) & (masses > 0)):
        raise InputFileError(f"{path}: masses must be finite and > 0 GeV")
    return Limits(mass=masses, cross_section=xs, coupling=coupling, metadata=meta)


def collect_versions(packages: Sequence[str] = DEFAULT_PACKAGES) -> dict[str, str | None]:
    """Installed versions of ``packages`` (None for a package that is not installed).

    Examples
    --------
    >>> collect_versions(["numpy"])["numpy"] == np.__version__
    True
    """
    versions: dict[str, str | None] = {}
    for name in packages:
        try:
            versions[name] = _importlib_metadata.version(name)
        except _importlib_metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def _jsonable(value: Any, where: str) -> Any:
    """Convert numpy scalars/arrays, paths and tuples to plain JSON types (recursively)."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist(), where)
    if isinstance(value, (list, tuple)):
        return [_jsonable(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, np.generic):
        return _jsonable(value.item(), where)
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"{where} = {value} is not finite and cannot be written to JSON")
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise ConfigError(f"{where}: cannot write a {type(value).__name__} to JSON")


def write_manifest(
    path,
    *,
    config: Mapping[str, Any],
    seeds: Any,
    chunks: Sequence[Any] = (),
    luminosities: Mapping[str, float] | None = None,
    versions: Mapping[str, str | None] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Path:
    """Write ``manifest.json`` (schema ``darkscan.manifest/1``) atomically.

    Parameters
    ----------
    path : str or os.PathLike
        Output file, usually ``results/<search>/manifest.json``.
    config : mapping
        The search configuration as run (JSON-serialisable; numpy values are converted).
    seeds : int, sequence or mapping
        Root seed(s) (e.g. the SeedSequence entropy) and any spawned keys.
    chunks : sequence
        Chunks done (ids or records).
    luminosities : mapping of str to float, optional
        Equivalent luminosity per sample in fb^-1 (>= 0).
    versions : mapping, optional
        Package versions; default :func:`collect_versions`.
    extra : mapping, optional
        Further fields (stored under ``"extra"``).

    Returns
    -------
    pathlib.Path
    """
    lumis = {}
    for name, value in (luminosities or {}).items():
        lumis[str(name)] = float(
            _validate.non_negative(f"luminosities[{name!r}]", value, unit="fb^-1")
        )
    document = {
        "schema": MANIFEST_SCHEMA,
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "config": _jsonable(dict(config), "config"),
        "versions": _jsonable(
            dict(versions if versions is not None else collect_versions()), "versions"
        ),
        "seeds": _jsonable(seeds, "seeds"),
        "chunks": _jsonable(list(chunks), "chunks"),
        "luminosities": lumis,
        "units": {"luminosities": "fb^-1"},
    }
    if extra:
        document["extra"] = _jsonable(dict(extra), "extra")
    return write_text_atomic(path, json.dumps(document, indent=2, allow_nan=False) + "\n")


def read_manifest(path) -> dict[str, Any]:
    """Read ``manifest.json``; returns the document as a dict (schema checked).

    Raises
    ------
    InputFileError
        Missing, unreadable or malformed file, or a missing required field.
    """
    path = Path(path)
    doc = _load_json(path, MANIFEST_SCHEMA)
    for field in ("config", "versions", "seeds", "chunks", "luminosities"):
        if field not in doc:
            raise InputFileError(f"{path}: missing field {field!r}")
    return doc
