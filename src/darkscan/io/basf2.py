"""Reading Belle II basf2 ntuples (ROOT TTrees) into darkscan's columnar event format.

basf2 writes analysis ntuples with the ``VariablesToNtuple`` module (one TTree entry per
candidate of a ParticleList, or per event if no list is given) and the
``VariablesToEventBasedTree`` module (one entry per event, candidate variables as arrays
counted by ``__ncandidates__``). Both store, besides the requested variables,

``__experiment__``, ``__run__``, ``__event__``, ``__production__`` (int)
    the event key (``__production__`` from basf2 release 5 on);
``__candidate__``, ``__ncandidates__`` (int)
    index of the candidate in the list and size of the list (candidate trees only);
``__weight__`` (double)
    inverse sampling rate of the module's ``sampling`` option (1 without sampling);

and optionally ``__MCDecayString__``, ``__signalSideCandidate__``,
``__nSignalSideCandidates__``. These meta branches keep their names. Every variable branch
is named by basf2's ``makeROOTCompatible``: each special character is replaced by a
four-character code and any other character outside ``[A-Za-z0-9_]`` is dropped, e.g.
``daughter(0, p)`` -> ``daughter__bo0__cm__spp__bc`` and ``useCMSFrame(p)`` ->
``useCMSFrame__bop__bc``. The table (:data:`SUBSTITUTIONS`) is the one of
``framework/utilities/src/MakeROOTCompatible.cc`` (getSubstitutionMap). That map lists
``'-'`` twice (``__mi`` and ``__da``); a ``std::map`` built from an initializer list keeps
the first, so basf2 writes and inverts only ``__mi`` -- and so does darkscan.

This module reads such trees with uproot into awkward arrays with the *unescaped* basf2
variable names as fields (:func:`read_basf2_ntuple`), groups candidate rows into events
(:func:`group_candidates`), picks one candidate per event (:func:`best_candidate`), reads
large inputs in event-aligned chunks (:func:`plan_entry_ranges`, :func:`iterate_basf2`)
and converts a Z' -> invisible dimuon ntuple into the reconstructed-event record that
:mod:`darkscan.detector` produces and :mod:`darkscan.select` consumes
(:func:`to_reco_events`, :data:`ZPRIME_INVISIBLE_MAPPING`).

Producing an ntuple darkscan understands
----------------------------------------
In a basf2 steering file (release 6 or later), after reconstructing the dimuon system::

    import basf2, modularAnalysis as ma
    path = basf2.create_path()
    ma.inputMdstList(filelist=["mdst.root"], path=path)
    ma.fillParticleList("mu+:z", "abs(dr) < 2 and abs(dz) < 5", path=path)
    ma.reconstructDecay("vpho:mumu -> mu+:z mu-:z", "", path=path)
    ma.buildRestOfEvent("vpho:mumu", path=path)
    ma.appendROEMasks("vpho:mumu", [("cleanMask", "", "E > 0.1")], path=path)
    variables = ["nTracks", "L1Trigger", "roeEextra(cleanMask)",
                 "nROE_NeutralECLClusters(cleanMask)"]
    for i in (0, 1):
        variables += [f"daughter({i}, {v})" for v in
                      ("px", "py", "pz", "E", "charge", "muonID", "dr", "dz",
                       "clusterE", "clusterTheta", "clusterPhi")]
    ma.variablesToNtuple("vpho:mumu", variables, treename="variables",
                         filename="zprime_ntuple.root", path=path)
    basf2.process(path)

:data:`ZPRIME_INVISIBLE_MAPPING` maps exactly these variables; ``darkscan`` reads the
file with ``read_basf2_ntuple("zprime_ntuple.root", "variables")``, keeps one candidate
per event with :func:`best_candidate` and converts it with :func:`to_reco_events`. All
momenta are lab-frame (basf2's default frame), in GeV, lengths in cm.

Examples
--------
>>> escape_variable_name("daughter(0, p)")
'daughter__bo0__cm__spp__bc'
>>> unescape_branch_name("useCMSFrame__bop__bc")
'useCMSFrame(p)'
>>> unescape_branch_name("__production__")
'__production__'

References
----------
basf2, ``framework/utilities/src/MakeROOTCompatible.cc`` and its unit test
``make_root_compatible.cc`` (https://software.belle2.org, releases 05 to 09);
``analysis/modules/VariablesToNtuple/src/VariablesToNtupleModule.cc`` (meta branches);
``analysis/scripts/modularAnalysis.py`` (``variablesToNtuple``, default tree name
``"variables"``). Belle II, PRL 124, 141801 (2020), arXiv:1912.11276 (Z' -> invisible).
"""

from __future__ import annotations

import contextlib
import difflib
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import awkward as ak
import numpy as np
import uproot

from darkscan.errors import ConfigError, InputFileError

__all__ = [
    "EVENT_KEY",
    "META_BRANCHES",
    "SUBSTITUTIONS",
    "ZPRIME_INVISIBLE_MAPPING",
    "best_candidate",
    "escape_variable_name",
    "group_candidates",
    "iterate_basf2",
    "mapping_variables",
    "plan_entry_ranges",
    "read_basf2_ntuple",
    "to_reco_events",
    "unescape_branch_name",
]

#: (character, code) pairs of basf2's makeROOTCompatible, in the order of its source.
#: The duplicate ``('-', '__da')`` of the C++ map is never used (see module docstring).
SUBSTITUTIONS: tuple[tuple[str, str], ...] = (
    (" ", "__sp"),
    (",", "__cm"),
    (":", "__cl"),
    ("=", "__eq"),
    ("<", "__st"),
    (">", "__gt"),
    (".", "__pt"),
    ("+", "__pl"),
    ("-", "__mi"),
    ("(", "__bo"),
    (")", "__bc"),
    ("{", "__co"),
    ("}", "__cc"),
    ("[", "__so"),
    ("]", "__sc"),
    ("`", "__to"),
    ("\u00b4", "__tc"),
    ("^", "__ha"),
    ("\u00b0", "__ci"),
    ("$", "__do"),
    ("\u00a7", "__pa"),
    ("%", "__pr"),
    ("!", "__em"),
    ("?", "__qm"),
    (";", "__sm"),
    ("#", "__hs"),
    ("*", "__mu"),
    ("/", "__sl"),
    ("\\", "__bl"),
    ("'", "__sq"),
    ('"', "__dq"),
    ("~", "__ti"),
    ("|", "__pi"),
    ("&", "__am"),
    ("@", "__at"),
)

#: Branches basf2 writes itself; their names are not escaped variable names.
META_BRANCHES: tuple[str, ...] = (
    "__experiment__",
    "__run__",
    "__event__",
    "__production__",
    "__candidate__",
    "__ncandidates__",
    "__weight__",
    "__MCDecayString__",
    "__signalSideCandidate__",
    "__nSignalSideCandidates__",
)

#: Fields that identify an event (in this order).
EVENT_KEY: tuple[str, ...] = ("__experiment__", "__run__", "__event__")

#: Default tree name of ``modularAnalysis.variablesToNtuple``.
DEFAULT_TREE = "variables"

_ESCAPE = dict(SUBSTITUTIONS)
_UNESCAPE = {code[2:]: char for char, code in SUBSTITUTIONS}
_UNESCAPE_RE = re.compile("__(" + "|".join(sorted(_UNESCAPE)) + ")")
_NOT_ALLOWED_RE = re.compile(r"[^A-Za-z0-9_]")
_META_RE = re.compile(r"^__[A-Za-z]+__$")


# ---------------------------------------------------------------------------- names
def escape_variable_name(var: str) -> str:
    """Branch name basf2 gives a variable (``makeROOTCompatible``).

    Each special character is replaced by its code (:data:`SUBSTITUTIONS`), then every
    character outside ``[A-Za-z0-9_]`` is removed.

    Parameters
    ----------
    var : str
        basf2 variable name, e.g. ``"daughter(0, p)"``.

    Returns
    -------
    str
        The ROOT branch name.

    References
    ----------
    basf2 ``framework/utilities/src/MakeROOTCompatible.cc``.

    Examples
    --------
    >>> escape_variable_name("foo(bar,-0.123, 94)")
    'foo__bobar__cm__mi0__pt123__cm__sp94__bc'
    """
    if not isinstance(var, str):
        raise ConfigError(f"basf2 variable name must be a string, got {var!r}")
    out = "".join(_ESCAPE.get(c, c) for c in var)
    return _NOT_ALLOWED_RE.sub("", out)


def unescape_branch_name(name: str) -> str:
    """basf2 variable name of a branch (``invertMakeROOTCompatible``).

    Meta branches of the form ``__word__`` (``__production__``, ``__weight__``, ...) are
    returned unchanged -- the plain inversion would turn ``__production__`` into
    ``%oduction__``.

    Parameters
    ----------
    name : str
        ROOT branch name.

    Returns
    -------
    str
        The basf2 variable name.

    References
    ----------
    basf2 ``framework/utilities/src/MakeROOTCompatible.cc``.

    Examples
    --------
    >>> unescape_branch_name("daughter__bo0__cm__spp__bc")
    'daughter(0, p)'
    """
    if _META_RE.match(name):
        return name
    return _UNESCAPE_RE.sub(lambda m: _UNESCAPE[m.group(1)], name)


# ---------------------------------------------------------------------------- opening
def _fail(path, problem: str) -> InputFileError:
    return InputFileError(f"cannot read basf2 ntuple {path}: {problem}")


def _one_line(exc: BaseException) -> str:
    lines = [s.strip() for s in str(exc).strip().splitlines() if s.strip()]
    return lines[0] if lines else type(exc).__name__


def _list_trees(file) -> list[str]:
    names = file.keys(recursive=True, cycle=False, filter_classname="TTree")
    return sorted(set(names))


@contextlib.contextmanager
def _open_tree(path: str | os.PathLike, tree: str) -> Iterator[Any]:
    """Context giving the uproot TTree ``tree`` of ``path`` (file closed on exit)."""
    p = Path(path)
    if not p.exists():
        raise _fail(p, "file does not exist")
    if not p.is_file():
        raise _fail(p, "not a regular file")
    try:
        file = uproot.open(p)
    except Exception as exc:  # uproot raises OSError, ValueError, ... for non-ROOT files
        raise _fail(p, f"not a ROOT file ({_one_line(exc)})") from exc
    with file:
        try:
            t = _checked_tree(file, p, tree)
        except InputFileError:
            raise
        except Exception as exc:  # corrupted directory or TTree metadata
            raise _fail(p, f"unreadable ROOT file ({_one_line(exc)})") from exc
        yield t


def _checked_tree(file, p: Path, tree: str):
    """``file[tree]`` if it is a TTree, else a one-line InputFileError."""
    classnames = file.classnames(recursive=True, cycle=False)
    cls = classnames.get(tree)
    if cls is None:
        trees = _list_trees(file)
        available = ", ".join(repr(t) for t in trees) if trees else "none"
        raise _fail(p, f"no tree {tree!r}; TTrees in the file: {available}")
    if "RNTuple" in cls:
        raise _fail(
            p,
            f"{tree!r} is an RNTuple ({cls}), not a TTree; basf2 ntuples are TTrees "
            "(write test files with uproot's mktree/extend)",
        )
    if cls != "TTree" and not cls.startswith("TNtuple"):
        raise _fail(p, f"{tree!r} is a {cls}, not a TTree")
    return file[tree]


def _event_based(t) -> bool:
    """True for VariablesToEventBasedTree output (arrays counted by __ncandidates__)."""
    for branch in t.values():
        count = getattr(branch, "count_branch", None)
        if count is not None and count.name == "__ncandidates__":
            return True
    return False


def _resolve_branches(t, path, branches: Sequence[str] | None) -> list[str]:
    """Branch names to read: all, or the escaped ``branches`` plus the meta branches."""
    names = list(dict.fromkeys(t.keys(recursive=False)))
    if branches is None:
        return names
    if isinstance(branches, str):
        branches = [branches]
    available = set(names)
    wanted = [n for n in META_BRANCHES if n in available]
    missing = []
    for var in branches:
        if var in available:  # a meta branch or an already escaped name
            wanted.append(var)
            continue
        esc = escape_variable_name(var)
        if esc in available:
            wanted.append(esc)
        else:
            missing.append(var)
    if missing:
        variables = [unescape_branch_name(n) for n in names]
        parts = []
        for var in missing:
            close = difflib.get_close_matches(var, variables, n=3, cutoff=0.5)
            hint = ", ".join(repr(c) for c in close) if close else "none"
            parts.append(f"{var!r} (branch {escape_variable_name(var)!r}; closest: {hint})")
        raise _fail(path, f"tree {t.name!r} has no branch for variable(s) " + "; ".join(parts))
    return list(dict.fromkeys(wanted))


def _rename(arr: ak.Array, names: Sequence[str]) -> ak.Array:
    return ak.zip({unescape_branch_name(n): arr[n] for n in names}, depth_limit=1)


def _flatten_event_based(events: ak.Array) -> ak.Array:
    """Candidate rows from an event-based tree: arrays flattened, scalars broadcast."""
    fields = ak.fields(events)
    jagged = [f for f in fields if events[f].ndim > 1 and f != "__MCDecayString__"]
    if not jagged:
        return events
    counts = ak.num(events[jagged[0]], axis=1)
    out = {}
    for f in fields:
        col = events[f]
        if f in jagged:
            out[f] = ak.flatten(col, axis=1)
        else:
            out[f] = ak.flatten(ak.broadcast_arrays(col, events[jagged[0]])[0], axis=1)
    local = ak.local_index(events[jagged[0]], axis=1)
    out["__candidate__"] = ak.values_astype(ak.flatten(local, axis=1), np.int32)
    out["__ncandidates__"] = np.repeat(ak.to_numpy(counts).astype(np.int32), ak.to_numpy(counts))
    return ak.zip(out, depth_limit=1)


def _check_range(name: str, value) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ConfigError(f"{name} must be an integer entry number, got {value!r}")
    return int(value)


# ---------------------------------------------------------------------------- reading
def read_basf2_ntuple(
    path: str | os.PathLike,
    tree: str = DEFAULT_TREE,
    *,
    branches: Sequence[str] | None = None,
    entry_start: int | None = None,
    entry_stop: int | None = None,
    step_size: int | str = "100 MB",
) -> ak.Array:
    """Read a basf2 ntuple into candidate rows with unescaped basf2 variable names.

    Parameters
    ----------
    path : str or os.PathLike
        ROOT file written by basf2.
    tree : str
        Tree name (``modularAnalysis.variablesToNtuple`` default ``"variables"``); may
        contain a directory path (``"dir/tree"``).
    branches : sequence of str, optional
        basf2 variable names to read (unescaped, e.g. ``"daughter(0, p)"``; escaped
        branch names are accepted too). The meta branches (``__event__``, ``__weight__``,
        ...) are always read. None reads everything.
    entry_start, entry_stop : int, optional
        Tree entry range [entry_start, entry_stop) (Python slice semantics).
    step_size : int or str
        Entries (int) or memory size (``"100 MB"``) decompressed per step.

    Returns
    -------
    awkward.Array
        One record per candidate (per tree entry for VariablesToNtuple; for an
        event-based tree the candidate arrays are flattened and event variables
        broadcast, with ``__candidate__``/``__ncandidates__`` added), fields named by
        the basf2 variables.

    Raises
    ------
    InputFileError
        Missing file, not a ROOT file, missing tree (lists the TTrees), RNTuple instead of
        TTree, missing branches (lists the closest variable names); one line naming the
        file.
    """
    start = _check_range("entry_start", entry_start)
    stop = _check_range("entry_stop", entry_stop)
    with _open_tree(path, tree) as t:
        names = _resolve_branches(t, Path(path), branches)
        try:
            chunks = [
                chunk
                for chunk in t.iterate(
                    names,
                    entry_start=start,
                    entry_stop=stop,
                    step_size=step_size,
                    library="ak",
                )
            ]
        except Exception as exc:
            raise _fail(Path(path), f"cannot read tree {tree!r} ({_one_line(exc)})") from exc
        if chunks:
            raw = ak.concatenate(chunks) if len(chunks) > 1 else chunks[0]
        else:
            raw = t.arrays(names, entry_start=0, entry_stop=0, library="ak")
        arr = _rename(raw, names)
        if _event_based(t):
            arr = _flatten_event_based(arr)
    return arr


def _event_key_columns(array: ak.Array, keys: Sequence[str]) -> list[np.ndarray]:
    fields = ak.fields(array)
    missing = [k for k in keys if k not in fields]
    if missing:
        raise ConfigError(
            f"candidate array lacks event key field(s) {missing}; has {sorted(fields)[:8]}"
        )
    return [ak.to_numpy(array[k]).astype(np.int64) for k in keys]


def group_candidates(array: ak.Array, *, keys: Sequence[str] = EVENT_KEY) -> ak.Array:
    """Group candidate rows into events.

    Rows with the same ``keys`` values form one event, wherever they are in the input
    (events keep the order of their first row; candidates keep their order within the
    event). Add ``"__production__"`` to ``keys`` when merging MC from several productions.

    Parameters
    ----------
    array : awkward.Array
        Candidate rows (from :func:`read_basf2_ntuple`).
    keys : sequence of str
        Fields identifying an event; default ``(__experiment__, __run__, __event__)``.

    Returns
    -------
    awkward.Array
        One record per event: the ``keys`` fields, ``__weight__`` (of the event's first
        candidate; 1 if the column is absent) and ``candidates`` (list of the full
        candidate records, each keeping its own ``__weight__``).

    Examples
    --------
    >>> rows = ak.zip({"__experiment__": [0, 0, 0], "__run__": [1, 1, 1],
    ...                "__event__": [5, 5, 6], "__weight__": [1.0, 1.0, 2.0], "p": [1., 2., 3.]})
    >>> ev = group_candidates(rows)
    >>> ev.__event__.tolist(), ak.num(ev.candidates).tolist(), ev.__weight__.tolist()
    ([5, 6], [2, 1], [1.0, 2.0])
    """
    cols = _event_key_columns(array, keys)
    n = len(array)
    if n == 0:
        group = np.zeros(0, dtype=np.int64)
        order = group
        counts = group
    else:
        stacked = np.stack(cols, axis=1)
        _, first, inverse = np.unique(stacked, axis=0, return_index=True, return_inverse=True)
        inverse = np.ravel(inverse)
        rank = np.empty(len(first), dtype=np.int64)
        rank[np.argsort(first, kind="stable")] = np.arange(len(first))
        group = rank[inverse]
        order = np.argsort(group, kind="stable")
        counts = np.bincount(group, minlength=len(first))
    sorted_rows = array[order]
    candidates = ak.unflatten(sorted_rows, counts)
    first_rows = np.cumsum(counts) - counts
    out = {k: cols[i][order][first_rows] for i, k in enumerate(keys)}
    if "__weight__" in ak.fields(array):
        w = ak.to_numpy(sorted_rows["__weight__"]).astype(np.float64)
        out["__weight__"] = w[first_rows]
    else:
        out["__weight__"] = np.ones(len(counts))
    out["candidates"] = candidates
    return ak.zip(out, depth_limit=1)


def best_candidate(
    array: ak.Array,
    variable: str,
    highest: bool = True,
    *,
    keys: Sequence[str] = EVENT_KEY,
) -> ak.Array:
    """One candidate per event: the one with the highest (or lowest) ``variable``.

    The analogue of basf2's ``rankByHighest``/``rankByLowest`` followed by a cut on the
    rank 1. NaN values never win (an event whose candidates are all NaN keeps its first);
    ties go to the earlier candidate.

    Parameters
    ----------
    array : awkward.Array
        Candidate rows (grouped here with :func:`group_candidates`) or events from
        :func:`group_candidates` (a ``candidates`` field).
    variable : str
        basf2 variable name of a candidate field (e.g. ``"daughter(0, muonID)"``).
    highest : bool
        Keep the largest value (True) or the smallest (False).
    keys : sequence of str
        Event key used for grouping flat candidate rows.

    Returns
    -------
    awkward.Array
        Flat candidate records, one per event, in event order.

    Examples
    --------
    >>> rows = ak.zip({"__experiment__": [0, 0, 0], "__run__": [1, 1, 1],
    ...                "__event__": [5, 5, 6], "chiProb": [0.2, 0.7, 0.1]})
    >>> best_candidate(rows, "chiProb").chiProb.tolist()
    [0.7, 0.1]
    """
    events = array if "candidates" in ak.fields(array) else group_candidates(array, keys=keys)
    cands = events.candidates
    fields = ak.fields(cands)
    if variable not in fields:
        close = difflib.get_close_matches(variable, fields, n=3, cutoff=0.5)
        raise ConfigError(
            f"best_candidate: no candidate variable {variable!r}; closest: "
            + (", ".join(repr(c) for c in close) if close else "none")
        )
    values = ak.values_astype(cands[variable], np.float64)
    fill = -np.inf if highest else np.inf
    values = ak.where(np.isnan(values), fill, values)
    index = (
        ak.argmax(values, axis=1, keepdims=True)
        if highest
        else ak.argmin(values, axis=1, keepdims=True)
    )
    return ak.flatten(cands[index], axis=1)


# ---------------------------------------------------------------------------- chunking
def _keys_window(t, start: int, stop: int) -> np.ndarray:
    present = [k for k in EVENT_KEY if k in t.keys()]
    if not present:
        return np.arange(start, stop)[:, None]  # no key: every entry is its own event
    arr = t.arrays(present, entry_start=start, entry_stop=stop, library="np")
    return np.stack([np.asarray(arr[k], dtype=np.int64) for k in present], axis=1)


def _align_to_event(t, boundary: int, n: int, window: int = 64) -> int:
    """Smallest entry >= boundary that starts a new event (or n)."""
    if boundary <= 0 or boundary >= n:
        return min(max(boundary, 0), n)
    start = boundary - 1
    while True:
        stop = min(n, start + 1 + window)
        keys = _keys_window(t, start, stop)
        diff = np.any(keys[1:] != keys[:-1], axis=1)
        hit = np.flatnonzero(diff)
        if hit.size:
            return start + 1 + int(hit[0])
        if stop >= n:
            return n
        start = stop - 1
        window *= 2


def plan_entry_ranges(
    paths: str | os.PathLike | Iterable[str | os.PathLike],
    tree: str = DEFAULT_TREE,
    step_size: int = 100_000,
) -> list[tuple[str, int, int]]:
    """Split ntuples into entry ranges of about ``step_size`` entries, aligned to events.

    Boundaries are moved forward to the first entry of the next event, so that no event's
    candidates are split between two ranges (rows of one event are contiguous in basf2
    output). Empty trees give no range.

    Parameters
    ----------
    paths : path or iterable of paths
        ROOT files.
    tree : str
        Tree name.
    step_size : int
        Target number of entries per range (> 0).

    Returns
    -------
    list of (str, int, int)
        ``(path, entry_start, entry_stop)``; per file the ranges cover [0, num_entries)
        exactly once.
    """
    if isinstance(step_size, bool) or not isinstance(step_size, (int, np.integer)):
        raise ConfigError(f"step_size must be a positive integer (entries), got {step_size!r}")
    if step_size <= 0:
        raise ConfigError(f"step_size must be a positive integer (entries), got {step_size}")
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    ranges: list[tuple[str, int, int]] = []
    for path in paths:
        with _open_tree(path, tree) as t:
            n = int(t.num_entries)
            start = 0
            while start < n:
                stop = _align_to_event(t, start + int(step_size), n)
                ranges.append((str(path), start, stop))
                start = stop
    return ranges


def iterate_basf2(
    paths: str | os.PathLike | Iterable[str | os.PathLike] | None = None,
    tree: str = DEFAULT_TREE,
    step_size: int = 100_000,
    entry_ranges: Iterable[tuple[str | os.PathLike, int, int]] | None = None,
    *,
    branches: Sequence[str] | None = None,
) -> Iterator[ak.Array]:
    """Read ntuples chunk by chunk (candidate rows, as :func:`read_basf2_ntuple`).

    Parameters
    ----------
    paths : path or iterable of paths, optional
        Files to read; split with :func:`plan_entry_ranges` unless ``entry_ranges``
        is given.
    tree : str
        Tree name.
    step_size : int
        Entries per chunk for the planning.
    entry_ranges : iterable of (path, entry_start, entry_stop), optional
        Explicit chunks (as the runner hands them out); overrides ``paths``.
    branches : sequence of str, optional
        basf2 variable names to read (None: all).

    Yields
    ------
    awkward.Array
        Candidate rows of one chunk; concatenating all chunks equals reading all files.
    """
    if entry_ranges is None:
        if paths is None:
            raise ConfigError("iterate_basf2 needs paths or entry_ranges")
        entry_ranges = plan_entry_ranges(paths, tree, step_size)
    for path, start, stop in entry_ranges:
        yield read_basf2_ntuple(
            path, tree, branches=branches, entry_start=int(start), entry_stop=int(stop)
        )


# ---------------------------------------------------------------------------- mapping
_DAUGHTER_TRACK_FIELDS = {
    "px": "daughter({i}, px)",
    "py": "daughter({i}, py)",
    "pz": "daughter({i}, pz)",
    "E": "daughter({i}, E)",
    "charge": "daughter({i}, charge)",
    "muonID": "daughter({i}, muonID)",
    "d0": "daughter({i}, dr)",
    "z0": "daughter({i}, dz)",
    "clusterE": "daughter({i}, clusterE)",
}

#: Default mapping of a basf2 Z' -> invisible ntuple (``vpho:mumu -> mu+ mu-``, one
#: candidate per event) to the darkscan reconstructed-event record; see the module
#: docstring for the basf2 call that writes these variables. ``{i}`` in a field template
#: is replaced by each of ``indices``; a value that is not a string is a constant.
ZPRIME_INVISIBLE_MAPPING: dict[str, Any] = {
    "tracks": {"indices": (0, 1), "fields": _DAUGHTER_TRACK_FIELDS},
    # the muons' own ECL clusters (track-matched; a muon without cluster has NaN and
    # is dropped): the unmatched extra clusters are not in a candidate ntuple, their
    # energy sum is the event variable ``extra_energy``
    "clusters": {
        "indices": (0, 1),
        "fields": {
            "E": "daughter({i}, clusterE)",
            "theta": "daughter({i}, clusterTheta)",
            "phi": "daughter({i}, clusterPhi)",
            "isTrackMatched": True,
        },
    },
    "trigger": {"any": "L1Trigger"},
    "weight": "__weight__",
    "event_variables": {
        "n_tracks": "nTracks",
        "extra_energy": "roeEextra(cleanMask)",
        "n_extra_clusters": "nROE_NeutralECLClusters(cleanMask)",
    },
}

_REQUIRED_TRACK = ("px", "py", "pz", "E")
_REQUIRED_CLUSTER = ("E", "theta", "phi")
_MAPPING_KEYS = {"tracks", "clusters", "trigger", "weight", "event_variables"}


def _objects(spec, what: str) -> list[dict[str, Any]]:
    """Expand a tracks/clusters spec into one {field: variable or constant} per object."""
    if spec is None:
        return []
    if isinstance(spec, Mapping):
        if set(spec) != {"indices", "fields"}:
            raise ConfigError(
                f"mapping[{what!r}] must have keys 'indices' and 'fields' "
                f"(or be a list of field dicts), got {sorted(spec)}"
            )
        return [
            {f: (v.format(i=i) if isinstance(v, str) else v) for f, v in spec["fields"].items()}
            for i in spec["indices"]
        ]
    return [dict(obj) for obj in spec]


def _check_mapping(mapping: Mapping[str, Any]) -> None:
    unknown = set(mapping) - _MAPPING_KEYS
    if unknown:
        raise ConfigError(
            f"unknown basf2 mapping key(s) {sorted(unknown)}; allowed: {sorted(_MAPPING_KEYS)}"
        )


def mapping_variables(mapping: Mapping[str, Any] | None = None) -> list[str]:
    """basf2 variables a mapping reads (pass as ``branches=`` to read only those).

    Examples
    --------
    >>> mapping_variables({"tracks": {"indices": [0], "fields": {"px": "daughter({i}, px)"}},
    ...                    "weight": 1.0})
    ['daughter(0, px)']
    """
    m = ZPRIME_INVISIBLE_MAPPING if mapping is None else mapping
    _check_mapping(m)
    out: list[str] = []
    for key in ("tracks", "clusters"):
        for obj in _objects(m.get(key), key):
            out += [v for v in obj.values() if isinstance(v, str)]
    for key in ("trigger", "event_variables"):
        out += [v for v in (m.get(key) or {}).values() if isinstance(v, str)]
    if isinstance(m.get("weight"), str):
        out.append(m["weight"])
    return list(dict.fromkeys(out))


def _column(array: ak.Array, value, n: int, where: str) -> np.ndarray:
    if not isinstance(value, str):
        return np.full(n, value)
    fields = ak.fields(array)
    if value not in fields:
        close = difflib.get_close_matches(value, fields, n=3, cutoff=0.5)
        raise ConfigError(
            f"basf2 mapping {where}: variable {value!r} not in the ntuple; closest: "
            + (", ".join(repr(c) for c in close) if close else "none")
        )
    col = array[value]
    if col.ndim != 1:
        raise ConfigError(
            f"basf2 mapping {where}: variable {value!r} has one value per candidate list, "
            "not per event; select one candidate per event first (best_candidate)"
        )
    return ak.to_numpy(col)


def _jagged_objects(
    array: ak.Array, objects: list[dict[str, Any]], required: tuple[str, ...], what: str
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Stack per-slot columns into (n_events, n_slots), drop slots with NaN required fields."""
    n = len(array)
    if not objects:
        return {f: np.zeros(0) for f in required}, np.zeros(n, dtype=np.int64)
    names = list(objects[0])
    for k, obj in enumerate(objects):
        if list(obj) != names:
            raise ConfigError(f"basf2 mapping {what}[{k}] has fields {list(obj)}, expected {names}")
    missing = [f for f in required if f not in names]
    if missing:
        raise ConfigError(f"basf2 mapping {what} lacks required field(s) {missing}")
    table = {
        f: np.stack([_column(array, obj[f], n, f"{what}.{f}") for obj in objects], axis=1)
        for f in names
    }
    valid = np.ones((n, len(objects)), dtype=bool)
    for f in required:
        valid &= np.isfinite(table[f].astype(np.float64))
    counts = valid.sum(axis=1)
    return {f: v[valid] for f, v in table.items()}, counts


def to_reco_events(array: ak.Array, mapping: Mapping[str, Any] | None = None) -> ak.Array:
    """Convert one-candidate-per-event ntuple rows into darkscan reconstructed events.

    Parameters
    ----------
    array : awkward.Array
        Candidate rows with unescaped basf2 names, one row per event (apply
        :func:`best_candidate` first).
    mapping : mapping, optional
        How to fill the record (default :data:`ZPRIME_INVISIBLE_MAPPING`), with keys

        ``tracks``, ``clusters``
            ``{"indices": [0, 1], "fields": {field: "daughter({i}, var)", ...}}`` or an
            explicit list of ``{field: variable}`` dicts, one per object. Tracks need
            ``px, py, pz, E`` (GeV, lab frame); clusters ``E, theta, phi`` (GeV, rad).
            Objects with a non-finite required field (e.g. a muon without ECL cluster)
            are dropped. Non-string values are constants.
        ``trigger``
            ``{line: variable}``; the flag is ``value > 0.5``.
        ``weight``
            variable name or number.
        ``event_variables``
            ``{name: variable}`` copied per event (e.g. the ROE extra energy).

    Returns
    -------
    awkward.Array
        Per event: ``tracks`` (mapped fields plus derived ``p``, ``pt``, ``cosTheta``,
        ``phi``; ``charge`` as int8), ``clusters`` (mapped fields plus ``cosTheta`` and,
        unless mapped, ``isTrackMatched=False``), ``trigger`` (bool per line; absent
        if the mapping has no trigger lines),
        ``weight`` (float64), ``experiment``/``run``/``event`` when present and
        ``event_variables`` (float64). The layout is the one of
        :func:`darkscan.detector.simulate.simulate_events`, so
        :func:`darkscan.select.kinematics.dimuon_variables` runs on it (it needs
        ``d0``, ``z0``, ``muonID`` and ``charge`` among the track fields).

    Raises
    ------
    ConfigError
        Unknown mapping keys, missing required fields, or variables absent from the
        array (closest names listed).
    """
    m = ZPRIME_INVISIBLE_MAPPING if mapping is None else mapping
    _check_mapping(m)
    if "candidates" in ak.fields(array):
        raise ConfigError(
            "to_reco_events takes one candidate row per event; "
            "call best_candidate(events, variable) first"
        )
    n = len(array)

    tr, t_counts = _jagged_objects(
        array, _objects(m.get("tracks"), "tracks"), _REQUIRED_TRACK, "tracks"
    )
    px, py, pz = (tr[f].astype(np.float64) for f in ("px", "py", "pz"))
    p = np.sqrt(px**2 + py**2 + pz**2)
    with np.errstate(invalid="ignore", divide="ignore"):
        cos_theta = np.where(p > 0, pz / np.where(p > 0, p, 1.0), 1.0)
    tracks = {f: v.astype(np.float64) for f, v in tr.items()}
    tracks.update(
        {"p": p, "pt": np.hypot(px, py), "cosTheta": cos_theta, "phi": np.arctan2(py, px)}
    )
    if "charge" in tracks:
        tracks["charge"] = np.rint(tracks["charge"]).astype(np.int8)

    cl, c_counts = _jagged_objects(
        array, _objects(m.get("clusters"), "clusters"), _REQUIRED_CLUSTER, "clusters"
    )
    clusters = {f: np.asarray(v, dtype=np.float64) for f, v in cl.items()}
    clusters["cosTheta"] = np.cos(clusters["theta"])
    if "isTrackMatched" in clusters:
        clusters["isTrackMatched"] = clusters["isTrackMatched"].astype(bool)
    else:
        clusters["isTrackMatched"] = np.zeros(len(clusters["E"]), dtype=bool)

    trigger = {
        line: np.nan_to_num(_column(array, var, n, f"trigger.{line}").astype(np.float64)) > 0.5
        for line, var in (m.get("trigger") or {}).items()
    }
    weight = _column(array, m.get("weight", 1.0), n, "weight").astype(np.float64)
    out: dict[str, Any] = {
        "tracks": ak.unflatten(ak.zip(tracks), t_counts),
        "clusters": ak.unflatten(ak.zip(clusters), c_counts),
        "weight": weight,
    }
    if trigger:
        out["trigger"] = ak.zip(trigger)
    fields = ak.fields(array)
    for src, dst in (("__experiment__", "experiment"), ("__run__", "run"), ("__event__", "event")):
        if src in fields:
            out[dst] = ak.to_numpy(array[src]).astype(np.int64)
    ev_vars = {
        name: _column(array, var, n, f"event_variables.{name}").astype(np.float64)
        for name, var in (m.get("event_variables") or {}).items()
    }
    if ev_vars:
        out["event_variables"] = ak.zip(ev_vars)
    return ak.zip(out, depth_limit=1)
