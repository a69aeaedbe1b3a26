"""Reading and writing the per-bin yields table used by ``darkscan limits``.

Input format (CSV, comma separated, one header line, one row per mass bin)::

    mass,n_obs,background,efficiency,luminosity,rel_unc_luminosity,rel_unc_efficiency_trigger,rel_unc_efficiency_pid
    0.50,3,1.2,0.21,362.0,0.006,0.01,0.02

Required columns: ``mass`` (GeV, > 0), ``n_obs`` (non-negative integer; ``3`` and ``3.0``
are both accepted), ``background`` (events, >= 0), ``efficiency`` (in (0, 1]) and
``luminosity`` (fb^-1, > 0). Optional relative-uncertainty columns: ``rel_unc_luminosity``,
``rel_unc_efficiency`` and ``rel_unc_background`` (fractions, >= 0). Several sources of
the same quantity are separate columns with a suffix naming the source:
``rel_unc_<quantity>_<source>`` (e.g. ``rel_unc_efficiency_trigger``,
``rel_unc_efficiency_pid``); the bare ``rel_unc_<quantity>`` is the source named ``""``.
Other columns are ignored, except that an unknown ``rel_unc_*`` column is an error (a
misspelt uncertainty must not be dropped silently). Blank lines are skipped.

Row numbers in error messages are *data* rows counted from 1 (the first row after the
header is data row 1), followed by the line number of the file (the header is line 1, so
data row ``k`` is on line ``k + 1``, the row number a spreadsheet shows).
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from darkscan.errors import InputFileError
from darkscan.io.atomic import atomic_output

__all__ = ["read_limits_table", "write_limits_table"]

REQUIRED_COLUMNS = ("mass", "n_obs", "background", "efficiency", "luminosity")
UNCERTAINTY_QUANTITIES = ("luminosity", "efficiency", "background")

# column -> (check, allowed range as text)
_CHECKS = {
    "mass": (lambda v: v > 0, "(0, inf) GeV"),
    "n_obs": (lambda v: v >= 0 and v == math.floor(v), "non-negative integers"),
    "background": (lambda v: v >= 0, "[0, inf) events"),
    "efficiency": (lambda v: 0 < v <= 1, "(0, 1]"),
    "luminosity": (lambda v: v > 0, "(0, inf) fb^-1"),
}
_REL_UNC_CHECK = (lambda v: v >= 0, "[0, inf) (relative uncertainty)")


def _uncertainty_column(name: str) -> tuple[str, str] | None:
    """(quantity, source) for a rel_unc_* column name, None for other columns."""
    if not name.startswith("rel_unc_"):
        return None
    rest = name[len("rel_unc_") :]
    for quantity in UNCERTAINTY_QUANTITIES:
        if rest == quantity:
            return quantity, ""
        if rest.startswith(quantity + "_") and len(rest) > len(quantity) + 1:
            return quantity, rest[len(quantity) + 1 :]
    raise ValueError(name)


def read_limits_table(path) -> dict[str, np.ndarray]:
    """Read and validate a per-bin yields table (CSV) for the limit calculation.

    Parameters
    ----------
    path : str or os.PathLike
        CSV file in the format described in the module docstring.

    Returns
    -------
    dict of numpy arrays
        ``mass`` (GeV), ``n_obs`` (int64), ``background`` (events), ``efficiency``,
        ``luminosity`` (fb^-1), each of shape (n_bins,); for each quantity ``q`` in
        luminosity, efficiency, background: ``rel_unc_q`` of shape (n_bins, n_sources)
        (n_sources may be 0) and ``rel_unc_q_sources`` (array of source names, ``""`` for
        the bare column). The ``rel_unc_*`` arrays can be passed directly to
        :func:`darkscan.stats.bayesian.bayesian_upper_limit`.

    Raises
    ------
    InputFileError
        Missing or unreadable file, empty file, missing required column, unknown
        ``rel_unc_*`` column, or a bad value; the message names the file, the data row
        (1-based, and the file line) and the column.
    """
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            lines = list(csv.reader(fh))
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read limits table ({exc.strerror or exc})") from exc
    except (UnicodeDecodeError, csv.Error) as exc:
        raise InputFileError(f"{path}: not a readable CSV file ({exc})") from exc
    if not lines or not any(cell.strip() for cell in lines[0]):
        raise InputFileError(
            f"{path}: empty file, expected a header line with columns {', '.join(REQUIRED_COLUMNS)}"
        )
    header = [cell.strip() for cell in lines[0]]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise InputFileError(
            f"{path}: line 1 (header): missing required column '{missing[0]}' "
            f"(required: {', '.join(REQUIRED_COLUMNS)})"
        )
    duplicates = {c for c in header if c and header.count(c) > 1}
    if duplicates:
        raise InputFileError(f"{path}: line 1 (header): duplicate column '{sorted(duplicates)[0]}'")
    unc_columns: dict[str, list[tuple[str, int]]] = {q: [] for q in UNCERTAINTY_QUANTITIES}
    for idx, name in enumerate(header):
        try:
            parsed = _uncertainty_column(name)
        except ValueError:
            raise InputFileError(
                f"{path}: line 1 (header): unknown uncertainty column '{name}'; expected "
                "rel_unc_<quantity>[_<source>] with quantity one of "
                f"{', '.join(UNCERTAINTY_QUANTITIES)}"
            ) from None
        if parsed is not None:
            unc_columns[parsed[0]].append((parsed[1], idx))

    columns = {c: header.index(c) for c in REQUIRED_COLUMNS}
    values: dict[str, list[float]] = {c: [] for c in REQUIRED_COLUMNS}
    unc_values: dict[str, list[list[float]]] = {q: [] for q in UNCERTAINTY_QUANTITIES}
    data_row = 0
    for line_no, cells in enumerate(lines[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue
        data_row += 1
        where = f"{path}: data row {data_row} (line {line_no})"

        def parse(column: str, idx: int, check, allowed: str, *, where=where, cells=cells):
            text = cells[idx].strip() if idx < len(cells) else ""
            if text == "":
                raise InputFileError(f"{where}, column '{column}': missing value")
            try:
                value = float(text)
            except ValueError:
                raise InputFileError(
                    f"{where}, column '{column}': cannot parse {text!r} as a number"
                ) from None
            if not math.isfinite(value) or not check(value):
                raise InputFileError(
                    f"{where}, column '{column}': value {text} is outside the allowed "
                    f"range {allowed}"
                )
            return value

        if len(cells) > len(header):
            raise InputFileError(
                f"{where}: {len(cells)} fields but the header has {len(header)} columns"
            )
        for column, idx in columns.items():
            values[column].append(parse(column, idx, *_CHECKS[column]))
        for quantity, cols in unc_columns.items():
            unc_values[quantity].append(
                [parse(header[idx], idx, *_REL_UNC_CHECK) for _, idx in cols]
            )
    if data_row == 0:
        raise InputFileError(f"{path}: no data rows after the header")

    out: dict[str, np.ndarray] = {c: np.asarray(v, dtype=float) for c, v in values.items()}
    out["n_obs"] = out["n_obs"].astype(np.int64)
    for quantity, cols in unc_columns.items():
        out[f"rel_unc_{quantity}"] = np.asarray(unc_values[quantity], dtype=float).reshape(
            data_row, len(cols)
        )
        out[f"rel_unc_{quantity}_sources"] = np.asarray([src for src, _ in cols], dtype=str)
    return out


def _table_columns(data: Mapping[str, object]) -> dict[str, np.ndarray]:
    """Flatten a table mapping to 1-D columns (2-D arrays become one column per source)."""
    flat: dict[str, np.ndarray] = {}
    for name, value in data.items():
        if name.endswith("_sources"):
            continue
        arr = np.asarray(value)
        if arr.ndim == 1:
            flat[name] = arr
        elif arr.ndim == 2:
            sources = data.get(f"{name}_sources")
            if sources is None:
                sources = [str(k) for k in range(arr.shape[1])]
            for k, src in enumerate(sources):
                flat[f"{name}_{src}" if src else name] = arr[:, k]
        else:
            raise InputFileError(f"column '{name}' must be 1-D or 2-D, got shape {arr.shape}")
    lengths = {len(v) for v in flat.values()}
    if len(lengths) > 1:
        raise InputFileError(f"columns have different lengths {sorted(lengths)}")
    return flat


def write_limits_table(path, data: Mapping[str, object], *, metadata=None, fmt=None) -> Path:
    """Write a table of per-bin columns (e.g. limits) as JSON or CSV, atomically.

    The file is written to a temporary file in the destination directory and moved into
    place with :func:`os.replace`, so readers never see a partial file.

    Parameters
    ----------
    path : str or os.PathLike
        Destination; the format follows the suffix (``.json`` or ``.csv``) unless ``fmt``
        is given.
    data : mapping of column name to array
        1-D arrays of equal length; a 2-D array ``x`` of shape (n_bins, n_sources) is
        written as columns ``x_<source>`` using ``data["x_sources"]`` when present (as
        returned by :func:`read_limits_table`, so a read table round-trips).
    metadata : dict, optional
        Extra JSON-serialisable information stored under ``"metadata"`` (JSON only).
    fmt : {"json", "csv"}, optional

    Returns
    -------
    pathlib.Path
        The path written.
    """
    path = Path(path)
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    if fmt not in ("json", "csv"):
        raise InputFileError(f"{path}: unknown table format '{fmt}', expected json or csv")
    columns = _table_columns(data)
    with (
        atomic_output(path, durable=True) as tmp,
        tmp.open("w", newline="", encoding="utf-8") as fh,
    ):
        if fmt == "json":
            doc: dict[str, object] = {"columns": {k: v.tolist() for k, v in columns.items()}}
            if metadata is not None:
                doc["metadata"] = metadata
            json.dump(doc, fh, indent=1)
            fh.write("\n")
        else:
            writer = csv.writer(fh)
            writer.writerow(list(columns))
            n_rows = len(next(iter(columns.values()))) if columns else 0
            for i in range(n_rows):
                writer.writerow([_format(columns[c][i]) for c in columns])
    return path


def _format(value) -> str:
    if isinstance(value, np.integer | int):
        return str(int(value))
    if isinstance(value, np.floating | float):
        return repr(float(value))
    return str(value)
