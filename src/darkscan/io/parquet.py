"""Parquet storage of generated samples (events plus metadata), written atomically.

A :class:`darkscan.generate.event_record.Sample` is stored as one Parquet file: the awkward
event record is converted with :func:`awkward.to_arrow_table` (which keeps the awkward form,
so reading back with :func:`awkward.from_arrow` is lossless, float32 stays float32), and the
sample metadata goes as JSON under the key ``darkscan.sample`` in the Parquet key-value
metadata. Dictionary encoding is switched off (it only costs time for float columns). The
file is written to a temporary sibling and renamed (:func:`darkscan.io.atomic.atomic_output`),
so a reader never sees a half-written sample.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import awkward as ak
import pyarrow as pa
import pyarrow.parquet as pq

from darkscan.errors import InputFileError
from darkscan.generate.event_record import Sample
from darkscan.io.atomic import atomic_output

__all__ = ["METADATA_KEY", "read_sample", "read_sample_metadata", "write_sample"]

#: Key of the sample metadata (JSON) in the Parquet key-value metadata.
METADATA_KEY = b"darkscan.sample"


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def write_sample(sample: Sample, path: str | os.PathLike, *, compression: str = "zstd") -> Path:
    """Write a sample to a Parquet file atomically.

    Parameters
    ----------
    sample : Sample
        Events and metadata.
    path : str or os.PathLike
        Target file (parent directories are created).
    compression : str
        Parquet codec (``"zstd"``, ``"snappy"``, ``"none"``, ...).

    Returns
    -------
    pathlib.Path
        The path written.
    """
    table = ak.to_arrow_table(sample.events, extensionarray=True)
    meta = dict(table.schema.metadata or {})
    meta[METADATA_KEY] = json.dumps(sample.metadata(), sort_keys=True).encode()
    table = table.replace_schema_metadata(meta)
    with atomic_output(path) as tmp:
        pq.write_table(table, tmp, compression=compression, use_dictionary=False)
    return Path(path)


def _open(path: str | os.PathLike) -> pq.ParquetFile:
    p = Path(path)
    if not p.exists():
        raise InputFileError(f"cannot read sample {p}: file does not exist")
    if not p.is_file():
        raise InputFileError(f"cannot read sample {p}: not a regular file")
    try:
        return pq.ParquetFile(p)
    except (pa.ArrowException, OSError) as exc:
        raise InputFileError(
            f"cannot read sample {p}: not a valid Parquet file ({_one_line(exc)})"
        ) from exc


def _metadata(pf: pq.ParquetFile, path: str | os.PathLike) -> dict:
    raw = (pf.schema_arrow.metadata or {}).get(METADATA_KEY)
    if raw is None:
        raise InputFileError(
            f"cannot read sample {Path(path)}: no darkscan sample metadata "
            f"(key {METADATA_KEY.decode()})"
        )
    try:
        meta = json.loads(raw)
    except ValueError as exc:
        raise InputFileError(
            f"cannot read sample {Path(path)}: sample metadata is not valid JSON ({_one_line(exc)})"
        ) from exc
    if not isinstance(meta, dict):
        raise InputFileError(
            f"cannot read sample {Path(path)}: sample metadata is not a JSON object"
        )
    return meta


def read_sample_metadata(path: str | os.PathLike) -> dict:
    """Read only the metadata dict of a sample file (no events are loaded).

    Raises
    ------
    InputFileError
        If the file is missing, not Parquet, or has no darkscan metadata.
    """
    return _metadata(_open(path), path)


def read_sample(path: str | os.PathLike) -> Sample:
    """Read a sample written by :func:`write_sample`.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    Sample

    Raises
    ------
    InputFileError
        If the file is missing, not Parquet, truncated, or lacks darkscan metadata or the
        ``particles``/``weight`` columns; the message is one line naming the file.
    """
    pf = _open(path)
    meta = _metadata(pf, path)
    try:
        table = pf.read()
        events = ak.from_arrow(table)
    except (pa.ArrowException, OSError, ValueError, TypeError) as exc:
        raise InputFileError(f"cannot read sample {Path(path)}: {_one_line(exc)}") from exc
    missing = [f for f in ("particles", "weight") if f not in ak.fields(events)]
    if missing:
        raise InputFileError(f"cannot read sample {Path(path)}: missing column(s) {missing}")
    try:
        return Sample.from_metadata(events, meta)
    except (TypeError, ValueError) as exc:
        raise InputFileError(
            f"cannot read sample {Path(path)}: bad metadata ({_one_line(exc)})"
        ) from exc
