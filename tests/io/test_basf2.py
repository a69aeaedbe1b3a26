"""Tests of darkscan.io.basf2: basf2 name escaping, reading TTrees written with uproot's
mktree/extend (candidate-based and event-based), chunking, grouping, best-candidate
selection, the conversion to reconstructed events, and one-line errors."""

from __future__ import annotations

import itertools

import awkward as ak
import numpy as np
import pytest
import uproot
from hypothesis import given, settings
from hypothesis import strategies as st

from darkscan.beams import belle2
from darkscan.errors import ConfigError, InputFileError
from darkscan.io.basf2 import (
    SUBSTITUTIONS,
    ZPRIME_INVISIBLE_MAPPING,
    best_candidate,
    escape_variable_name,
    group_candidates,
    iterate_basf2,
    mapping_variables,
    plan_entry_ranges,
    read_basf2_ntuple,
    to_reco_events,
    unescape_branch_name,
)
from darkscan.select.kinematics import dimuon_variables

MUON_MASS = 0.1056583755  # GeV, PDG 2022

# Pairs from basf2's own unit test framework/utilities/tests/make_root_compatible.cc
# (TEST(VariableTest, makeROOTCompatible) / invertMakeROOTCompatible), plus the examples
# of the brief (daughter(0, p), useCMSFrame(p)) that follow from the same table.
BASF2_EXAMPLES = [
    ("test", "test"),
    ("test213", "test213"),
    ("test_23", "test_23"),
    ("test(23)", "test__bo23__bc"),
    ("test[23]", "test__so23__sc"),
    ("test{23}", "test__co23__cc"),
    ("test(e+:gamma, M < 3)", "test__boe__pl__clgamma__cm__spM__sp__st__sp3__bc"),
    (":() (),", "__cl__bo__bc__sp__bo__bc__cm"),
    ("c:()b (),a", "c__cl__bo__bcb__sp__bo__bc__cma"),
    (
        "c:(,+8951aBZWVZUEOH_Rhtnsq)b (),a",
        "c__cl__bo__cm__pl8951aBZWVZUEOH_Rhtnsq__bcb__sp__bo__bc__cma",
    ),
    ("foo(bar,-0.123, 94)", "foo__bobar__cm__mi0__pt123__cm__sp94__bc"),
    ("daughter(0, p)", "daughter__bo0__cm__spp__bc"),
    ("useCMSFrame(p)", "useCMSFrame__bop__bc"),
]

META = ("__experiment__", "__run__", "__event__", "__production__", "__candidate__",
        "__ncandidates__", "__weight__")  # fmt: skip

VARS = [f"daughter({i}, {v})" for i in (0, 1) for v in
        ("px", "py", "pz", "E", "charge", "muonID", "dr", "dz", "clusterE", "clusterTheta",
         "clusterPhi")]  # fmt: skip
VARS += ["nTracks", "L1Trigger", "roeEextra(cleanMask)", "nROE_NeutralECLClusters(cleanMask)",
         "useCMSFrame(p)", "chiProb"]  # fmt: skip


def _columns(n_events: int, seed: int, first_event: int = 1) -> dict[str, np.ndarray]:
    """Candidate rows of n_events events with 1-3 candidates each (unescaped names)."""
    rng = np.random.default_rng(seed)
    ncand = rng.integers(1, 4, n_events)
    rows = int(ncand.sum())
    ev = np.repeat(np.arange(first_event, first_event + n_events), ncand)
    cols = {
        "__experiment__": np.full(rows, 26, dtype=np.int32),
        "__run__": np.repeat(np.where(np.arange(n_events) < n_events // 2, 100, 101), ncand).astype(
            np.int32
        ),
        "__event__": ev.astype(np.uint32),
        "__production__": np.full(rows, 1234, dtype=np.int32),
        "__candidate__": np.concatenate([np.arange(k) for k in ncand]).astype(np.int32),
        "__ncandidates__": np.repeat(ncand, ncand).astype(np.int32),
        "__weight__": rng.choice([1.0, 10.0], rows),
    }
    for i in (0, 1):
        p3 = rng.normal(0, 2, (rows, 3))
        cols[f"daughter({i}, px)"], cols[f"daughter({i}, py)"], cols[f"daughter({i}, pz)"] = p3.T
        cols[f"daughter({i}, E)"] = np.sqrt((p3**2).sum(axis=1) + MUON_MASS**2)
        cols[f"daughter({i}, charge)"] = np.full(rows, 1.0 if i == 0 else -1.0)
        cols[f"daughter({i}, muonID)"] = rng.random(rows)
        cols[f"daughter({i}, dr)"] = rng.normal(0, 0.1, rows)
        cols[f"daughter({i}, dz)"] = rng.normal(0, 0.5, rows)
        e_cl = rng.uniform(0.1, 0.4, rows)
        e_cl[rng.random(rows) < 0.3] = np.nan  # muon without ECL cluster
        cols[f"daughter({i}, clusterE)"] = e_cl
        cols[f"daughter({i}, clusterTheta)"] = np.arccos(p3[:, 2] / np.linalg.norm(p3, axis=1))
        cols[f"daughter({i}, clusterPhi)"] = np.arctan2(p3[:, 1], p3[:, 0])
    cols["nTracks"] = rng.integers(2, 5, rows).astype(np.float64)
    cols["L1Trigger"] = (rng.random(rows) < 0.8).astype(np.float64)
    cols["roeEextra(cleanMask)"] = rng.exponential(0.3, rows)
    cols["nROE_NeutralECLClusters(cleanMask)"] = rng.integers(0, 4, rows).astype(np.float64)
    cols["useCMSFrame(p)"] = rng.uniform(1, 5, rows)
    cols["chiProb"] = rng.random(rows)
    cols["chiProb"][rng.random(rows) < 0.1] = np.nan
    return cols


def _write(path, cols, tree="variables", n_extend=2):
    """Write candidate rows as a TTree with escaped branch names in n_extend baskets."""
    data = {escape_variable_name(k): v for k, v in cols.items()}
    rows = len(next(iter(data.values())))
    with uproot.recreate(path) as f:
        t = f.mktree(tree, {k: v.dtype for k, v in data.items()})
        for chunk in np.array_split(np.arange(rows), n_extend):
            t.extend({k: v[chunk] for k, v in data.items()})
    return path


def _assert_same(a, b):
    """Same fields and values (NaN == NaN), as assert_array_equal per field."""
    assert ak.fields(a) == ak.fields(b) and len(a) == len(b)
    for f in ak.fields(a):
        np.testing.assert_array_equal(ak.to_numpy(a[f]), ak.to_numpy(b[f]), err_msg=f)


@pytest.fixture
def ntuple(tmp_path):
    cols = _columns(9, seed=11)
    return _write(tmp_path / "zprime.root", cols), cols


# ------------------------------------------------------------------------- escaping
@pytest.mark.parametrize(("var", "branch"), BASF2_EXAMPLES)
def test_escape_matches_basf2_examples(var, branch):
    assert escape_variable_name(var) == branch
    assert unescape_branch_name(branch) == var


def test_every_table_entry_round_trips():
    # basf2's test: makeROOTCompatible(first) == second and the inverse, for every pair
    assert len(SUBSTITUTIONS) == 35  # 36 initializer entries, duplicate '-' dropped
    for char, code in SUBSTITUTIONS:
        assert escape_variable_name(char) == code
        assert unescape_branch_name(code) == char
    assert len({c for c, _ in SUBSTITUTIONS}) == len({code for _, code in SUBSTITUTIONS}) == 35


def test_characters_outside_table_are_dropped_and_meta_names_kept():
    # basf2 removes [^a-zA-Z0-9_] after substitution
    assert escape_variable_name("test(\u00e9)") == "test__bo__bc"
    for name in (*META, "__MCDecayString__"):
        assert unescape_branch_name(name) == name
        assert escape_variable_name(name) == name
    # plain inversion would map the "__pr" of __production__ to '%'
    assert unescape_branch_name("__production__") != "%oduction__"
    with pytest.raises(ConfigError):
        escape_variable_name(3)


_ALPHABET = "abcXYZ019_" + "".join(c for c, _ in SUBSTITUTIONS)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=_ALPHABET, max_size=30).filter(lambda s: "__" not in s))
def test_round_trip_property(var):
    # any name without '__' (basf2 warns about '__') survives escape + unescape
    branch = escape_variable_name(var)
    assert all(c.isascii() and (c.isalnum() or c == "_") for c in branch)
    assert unescape_branch_name(branch) == var


# ------------------------------------------------------------------------- reading
def test_full_read_has_unescaped_names_and_values(ntuple):
    path, cols = ntuple
    arr = read_basf2_ntuple(path, "variables")
    assert sorted(ak.fields(arr)) == sorted(cols)
    assert len(arr) == len(cols["__event__"])
    for k, v in cols.items():
        np.testing.assert_array_equal(ak.to_numpy(arr[k]), v)
    assert ak.to_numpy(arr["__event__"]).dtype == np.uint32


def test_branch_subset_adds_meta_branches(ntuple):
    path, cols = ntuple
    arr = read_basf2_ntuple(path, branches=["daughter(0, px)", "useCMSFrame__bop__bc"])
    assert set(ak.fields(arr)) == set(META) | {"daughter(0, px)", "useCMSFrame(p)"}
    np.testing.assert_array_equal(ak.to_numpy(arr["useCMSFrame(p)"]), cols["useCMSFrame(p)"])


def test_entry_ranges_concatenate_to_full_read(ntuple):
    path, cols = ntuple
    full = read_basf2_ntuple(path)
    n = len(full)
    ranges = plan_entry_ranges(path, "variables", step_size=4)
    # cover [0, n) exactly once, in order
    assert ranges[0][1] == 0 and ranges[-1][2] == n
    assert all(a[2] == b[1] for a, b in itertools.pairwise(ranges))
    # aligned to events: a range starts where the event key changes
    ev = cols["__event__"]
    assert all(ev[s] != ev[s - 1] for _, s, _ in ranges[1:])
    parts = [read_basf2_ntuple(p, entry_start=s, entry_stop=e) for p, s, e in ranges]
    _assert_same(ak.concatenate(parts), full)
    # the same through iterate_basf2, from paths and from explicit ranges
    chunks = list(iterate_basf2(path, "variables", step_size=4))
    assert len(chunks) == len(ranges)
    _assert_same(ak.concatenate(chunks), full)
    explicit = list(iterate_basf2(entry_ranges=ranges[1:3], tree="variables"))
    _assert_same(ak.concatenate(explicit), full[ranges[1][1] : ranges[2][2]])
    # arbitrary (unaligned) ranges also concatenate to the full read
    cuts = [0, 3, 7, 8, n]
    parts = [
        read_basf2_ntuple(path, entry_start=a, entry_stop=b) for a, b in itertools.pairwise(cuts)
    ]
    _assert_same(ak.concatenate(parts), full)


def test_iterate_over_several_files(tmp_path):
    c1, c2 = _columns(5, seed=1), _columns(6, seed=2, first_event=100)
    p1, p2 = _write(tmp_path / "a.root", c1), _write(tmp_path / "b.root", c2)
    chunks = list(iterate_basf2([p1, p2], "variables", step_size=3))
    ev = np.concatenate([ak.to_numpy(c["__event__"]) for c in chunks])
    np.testing.assert_array_equal(ev, np.concatenate([c1["__event__"], c2["__event__"]]))
    assert {r[0] for r in plan_entry_ranges([p1, p2], step_size=1000)} == {str(p1), str(p2)}


def test_empty_tree_has_no_ranges(tmp_path):
    cols = {k: v[:0] for k, v in _columns(2, seed=3).items()}
    path = _write(tmp_path / "empty.root", cols, n_extend=1)
    assert plan_entry_ranges(path, step_size=10) == []
    assert len(read_basf2_ntuple(path)) == 0


# ------------------------------------------------------------------------- grouping
def test_group_candidates_by_event(ntuple):
    path, cols = ntuple
    rows = read_basf2_ntuple(path)
    events = group_candidates(rows)
    key = np.stack([cols["__run__"], cols["__event__"]], axis=1)
    _, first, counts = np.unique(key, axis=0, return_index=True, return_counts=True)
    order = np.argsort(first)
    assert len(events) == 9
    np.testing.assert_array_equal(ak.to_numpy(ak.num(events.candidates)), counts[order])
    np.testing.assert_array_equal(ak.to_numpy(events.__event__), cols["__event__"][first[order]])
    np.testing.assert_array_equal(ak.to_numpy(events.__weight__), cols["__weight__"][first[order]])
    np.testing.assert_array_equal(
        ak.to_numpy(ak.num(events.candidates)),
        ak.to_numpy(events.candidates.__ncandidates__[:, 0]),
    )
    # shuffled rows group into the same events (order of first appearance)
    perm = np.random.default_rng(5).permutation(len(rows))
    shuffled = group_candidates(rows[perm])
    assert sorted(ak.to_numpy(shuffled.__event__).tolist()) == sorted(cols["__event__"][first])
    assert ak.sum(ak.num(shuffled.candidates)) == len(rows)
    same = shuffled.candidates.__event__ == shuffled.__event__
    assert ak.all(same)


def test_same_event_number_in_two_runs_is_two_events():
    rows = ak.zip({"__experiment__": [1, 1, 1], "__run__": [1, 2, 1], "__event__": [7, 7, 7]})
    events = group_candidates(rows)
    assert ak.num(events.candidates).tolist() == [2, 1]
    assert "__weight__" in ak.fields(events) and events.__weight__.tolist() == [1.0, 1.0]


@pytest.mark.parametrize("highest", [True, False])
def test_best_candidate_matches_brute_force(ntuple, highest):
    path, cols = ntuple
    best = best_candidate(read_basf2_ntuple(path), "chiProb", highest=highest)
    assert len(best) == 9
    # independent selection with a Python loop over events (reference)
    expected = []
    for ev in np.unique(cols["__event__"]):
        idx = np.flatnonzero(cols["__event__"] == ev)
        vals = cols["chiProb"][idx]
        if np.all(np.isnan(vals)):
            expected.append(idx[0])
            continue
        filled = np.where(np.isnan(vals), -np.inf if highest else np.inf, vals)
        expected.append(idx[np.argmax(filled) if highest else np.argmin(filled)])
    np.testing.assert_array_equal(ak.to_numpy(best.__candidate__), cols["__candidate__"][expected])
    np.testing.assert_array_equal(ak.to_numpy(best.__event__), cols["__event__"][expected])
    with pytest.raises(ConfigError, match="closest: 'chiProb'"):
        best_candidate(read_basf2_ntuple(path), "chiprob")


# ------------------------------------------------------------------------- event-based tree
def test_event_based_tree_flattens_to_candidate_rows(tmp_path, ntuple):
    _, cols = ntuple
    rows = ak.zip({k: v for k, v in cols.items()})
    events = group_candidates(rows)
    c = events.candidates
    cand_vars = [v for v in VARS if not v.startswith(("nTracks", "L1", "roe", "nROE"))]
    data = {
        "__event__": ak.to_numpy(events.__event__).astype(np.int32),
        "__run__": ak.to_numpy(events.__run__).astype(np.int32),
        "__experiment__": ak.to_numpy(events.__experiment__).astype(np.int32),
        "__production__": np.full(len(events), 1234, dtype=np.int32),
        "__weight__": np.ones(len(events), dtype=np.float32),
        "nTracks": ak.to_numpy(c.nTracks[:, 0]),
    }
    data.update({escape_variable_name(v): c[v] for v in cand_vars})
    types = {
        k: (v.dtype if isinstance(v, np.ndarray) else "var * float64") for k, v in data.items()
    }
    path = tmp_path / "eventbased.root"
    with uproot.recreate(path) as f:
        f.mktree("tree", types, counter_name=lambda _: "__ncandidates__").extend(data)
    flat = read_basf2_ntuple(path, "tree")
    assert len(flat) == len(cols["__event__"])
    for v in [*cand_vars, "__candidate__", "__ncandidates__"]:
        np.testing.assert_array_equal(ak.to_numpy(flat[v]), cols[v])
    np.testing.assert_array_equal(ak.to_numpy(flat["nTracks"]), cols["nTracks"][cols["__candidate__"] == 0].repeat(
        ak.to_numpy(ak.num(c))))  # fmt: skip


# ------------------------------------------------------------------------- reco events
def test_to_reco_events_kinematics_and_selection(ntuple):
    path, cols = ntuple
    rows = read_basf2_ntuple(path, branches=[*mapping_variables(), "chiProb"])
    best = best_candidate(rows, "chiProb")
    reco = to_reco_events(best)
    assert set(ak.fields(reco)) == {
        "tracks", "clusters", "trigger", "weight", "experiment", "run", "event", "event_variables"
    }  # fmt: skip
    assert ak.num(reco.tracks).tolist() == [2] * 9
    # rows chosen: match by (event, candidate)
    pick = np.array([
        np.flatnonzero((cols["__event__"] == e) & (cols["__candidate__"] == k))[0]
        for e, k in zip(ak.to_numpy(best.__event__), ak.to_numpy(best.__candidate__), strict=True)
    ])  # fmt: skip
    px = np.stack([cols[f"daughter({i}, px)"][pick] for i in (0, 1)], axis=1)
    py = np.stack([cols[f"daughter({i}, py)"][pick] for i in (0, 1)], axis=1)
    pz = np.stack([cols[f"daughter({i}, pz)"][pick] for i in (0, 1)], axis=1)
    p = np.sqrt(px**2 + py**2 + pz**2)
    np.testing.assert_allclose(ak.to_numpy(reco.tracks.p), p, rtol=1e-12)
    np.testing.assert_allclose(ak.to_numpy(reco.tracks.pt), np.hypot(px, py), rtol=1e-12)
    np.testing.assert_allclose(ak.to_numpy(reco.tracks.cosTheta), pz / p, rtol=1e-12)
    np.testing.assert_allclose(ak.to_numpy(reco.tracks.phi), np.arctan2(py, px), rtol=1e-12)
    assert reco.tracks.charge.tolist() == [[1, -1]] * 9
    # clusters: the muons' ECL clusters, NaN (no cluster) dropped, all track-matched
    n_cl = sum(np.isfinite(cols[f"daughter({i}, clusterE)"][pick]) for i in (0, 1))
    assert ak.num(reco.clusters).tolist() == n_cl.tolist()
    assert ak.all(reco.clusters.isTrackMatched)
    np.testing.assert_array_equal(ak.to_numpy(reco.trigger.any), cols["L1Trigger"][pick] > 0.5)
    np.testing.assert_array_equal(ak.to_numpy(reco.weight), cols["__weight__"][pick])
    np.testing.assert_array_equal(
        ak.to_numpy(reco.event_variables.extra_energy), cols["roeEextra(cleanMask)"][pick]
    )
    # the darkscan selection runs on it; compare with an independent numpy computation
    collider = belle2()
    out = dimuon_variables(reco, collider)
    e = np.stack([cols[f"daughter({i}, E)"][pick] for i in (0, 1)], axis=1)
    tot = np.stack([e.sum(1), px.sum(1), py.sum(1), pz.sum(1)], axis=1)
    m2 = tot[:, 0] ** 2 - (tot[:, 1:] ** 2).sum(1)
    np.testing.assert_allclose(out["m_mumu"], np.sign(m2) * np.sqrt(np.abs(m2)), rtol=1e-10)
    rec = collider.p_total - tot
    rec_m2 = rec[:, 0] ** 2 - (rec[:, 1:] ** 2).sum(1)
    np.testing.assert_allclose(out["recoil_mass_squared"], rec_m2, rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(out["event"], cols["__event__"][pick].astype(np.int64))
    assert np.all(out["extra_energy"] == 0.0)  # only track-matched clusters in the record


def test_to_reco_events_custom_mapping_and_errors():
    rows = ak.zip({"a_px": [1.0, 0.0], "a_py": [0.0, 2.0], "a_pz": [0.0, 0.0],
                   "a_E": [1.1, np.nan], "trg": [1.0, 0.0]})  # fmt: skip
    mapping = {
        "tracks": [{"px": "a_px", "py": "a_py", "pz": "a_pz", "E": "a_E"}],
        "trigger": {"two_track": "trg"},
        "weight": 2.5,
    }
    reco = to_reco_events(rows, mapping)
    assert ak.num(reco.tracks).tolist() == [1, 0]  # NaN energy: track dropped
    assert reco.weight.tolist() == [2.5, 2.5]
    assert reco.trigger.two_track.tolist() == [True, False]
    assert ak.num(reco.clusters).tolist() == [0, 0]
    with pytest.raises(ConfigError, match="unknown basf2 mapping key"):
        to_reco_events(rows, {**mapping, "photons": {}})
    with pytest.raises(ConfigError, match=r"closest: .*'a_px'"):
        to_reco_events(rows, {"tracks": [{"px": "a_pX", "py": "a_py", "pz": "a_pz", "E": "a_E"}]})
    with pytest.raises(ConfigError, match="lacks required field"):
        to_reco_events(rows, {"tracks": [{"px": "a_px"}]})
    with pytest.raises(ConfigError, match="best_candidate"):
        to_reco_events(ak.zip({"candidates": ak.Array([[{"x": 1}]])}, depth_limit=1))
    assert "daughter(1, muonID)" in mapping_variables(ZPRIME_INVISIBLE_MAPPING)


# ------------------------------------------------------------------------- errors
def _one_line_error(func, *args, match, **kwargs):
    with pytest.raises(InputFileError, match=match) as info:
        func(*args, **kwargs)
    msg = str(info.value)
    assert "\n" not in msg
    return msg


def test_error_paths_are_one_line(tmp_path, ntuple):
    path, _ = ntuple
    missing = tmp_path / "nope.root"
    msg = _one_line_error(read_basf2_ntuple, missing, match="file does not exist")
    assert str(missing) in msg
    _one_line_error(read_basf2_ntuple, tmp_path, match="not a regular file")
    for name, content in (("small.root", b"hello"), ("text.root", b"x" * 5000)):
        bad = tmp_path / name
        bad.write_bytes(content)
        _one_line_error(read_basf2_ntuple, bad, match="not a ROOT file")
    truncated = tmp_path / "truncated.root"
    truncated.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    _one_line_error(read_basf2_ntuple, truncated, match="ROOT file|cannot read tree")
    msg = _one_line_error(read_basf2_ntuple, path, "ntuple", match="no tree 'ntuple'")
    assert "'variables'" in msg
    msg = _one_line_error(
        read_basf2_ntuple, path, branches=["daughter(0, pX)", "nTrack"], match="no branch"
    )
    assert "'daughter(0, px)'" in msg and "'nTracks'" in msg
    rn = tmp_path / "rntuple.root"
    with uproot.recreate(rn) as f:
        f["variables"] = {"x": np.arange(3.0)}  # uproot 5.7 writes an RNTuple
        f.mktree("other", {"y": "f8"})
    msg = _one_line_error(read_basf2_ntuple, rn, match="is an RNTuple")
    assert str(rn) in msg
    _one_line_error(plan_entry_ranges, rn, match="RNTuple")
    _one_line_error(plan_entry_ranges, path, "missing", match="TTrees in the file: 'variables'")
    with pytest.raises(ConfigError, match="step_size"):
        plan_entry_ranges(path, step_size=0)
    with pytest.raises(ConfigError, match="entry_start"):
        read_basf2_ntuple(path, entry_start=1.5)
    with pytest.raises(ConfigError, match="paths or entry_ranges"):
        next(iterate_basf2())
