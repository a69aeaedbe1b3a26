"""Input and output: Parquet samples, limit tables, atomic writes (and, later, basf2 ntuples)."""

from darkscan.io.atomic import atomic_output, write_text_atomic
from darkscan.io.limits_table import read_limits_table, write_limits_table
from darkscan.io.parquet import read_sample, read_sample_metadata, write_sample

__all__ = [
    "atomic_output",
    "read_limits_table",
    "read_sample",
    "read_sample_metadata",
    "write_limits_table",
    "write_sample",
    "write_text_atomic",
]
