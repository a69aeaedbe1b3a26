"""Tests of the fused numba kernel against its references.

* the kernel compiled vs the same source run as plain Python (``simulate_flat.py_func``)
  with the same xoshiro256++ stage states: identical draws in identical order, so
  identical output;
* the kernel (``simulate_events``) vs the numpy stage functions
  (``simulate_events_reference``, different draw order): statistical equivalence of
  efficiencies, rates, means and widths on 1e5 events, and exact equality of everything
  deterministic when the card's resolutions are zero and its efficiencies 0 or 1;
* the draw bookkeeping (how many draws per object), the stage streams and the helper
  samplers;
* the beam-background overlay pool: multiplicities, spectra and a photon-veto efficiency
  against the card's Poisson means, fresh generation and the analytic value.
"""

from __future__ import annotations

import importlib
import math

import awkward as ak
import numpy as np
import pytest
from scipy import stats

from darkscan.beams import belle2
from darkscan.detector._kernels import (
    _TRACK_CAP,
    POOL_RUN,
    _smear_track,
    cos_sin_small,
    fast_atan2,
    simulate_flat,
    split_uniform,
    track_found,
)
from darkscan.detector.beam_background import (
    POOL_SEED,
    POOL_SIZE,
    background_pool,
    beam_background_clusters,
)
from darkscan.detector.card import load_card
from darkscan.generate.event_record import events_from_arrays

sim = importlib.import_module("darkscan.detector.simulate")
CARD = load_card("belle2")
M = {11: 0.51099895e-3, 13: 0.1056583755, 211: 0.13957039, 321: 0.493677, 2212: 0.93827208816}
M.update({22: 0.0, 130: 0.497611, 310: 0.497611})


def _upd(card, section, **kw):
    return card.model_copy(update={section: getattr(card, section).model_copy(update=kw)})


def dimuon_events(n, seed=0):
    """e+e- -> mu+ mu- at the Belle II sqrt(s), isotropic in the CM frame, lab frame."""
    beams = belle2()
    rng = np.random.default_rng(seed)
    cos_t = rng.uniform(-0.95, 0.95, n)
    phi = rng.uniform(-np.pi, np.pi, n)
    e = beams.sqrt_s / 2
    p = np.sqrt(e * e - M[13] ** 2)
    sin_t = np.sqrt(1 - cos_t**2)
    mom = p * np.stack([sin_t * np.cos(phi), sin_t * np.sin(phi), cos_t], axis=-1)
    en = np.full((n, 1), e)
    p4 = np.stack([np.concatenate([en, mom], 1), np.concatenate([en, -mom], 1)], axis=1)
    lab = beams.to_lab(p4)
    cols = {"pdg": np.tile([13, -13], (n, 1))}
    for k, name in enumerate(("E", "px", "py", "pz")):
        cols[name] = lab[..., k]
    return events_from_arrays(cols, weight=np.ones(n))


def zoo_events(n, seed=0):
    """Events with every species the simulation treats: mu+-, e-, pi+, K-, p, gamma, K_L and a
    K_S (index 8) decaying at R_xy ~ 2-30 cm into pi+ pi- (indices 9, 10); random momenta
    (0.1-4 GeV) and lab angles (10-160 deg)."""
    rng = np.random.default_rng(seed)
    pdg = np.array([13, -13, 11, 211, -321, 2212, 22, 130, 310, 211, -211])
    k = pdg.size
    p = rng.uniform(0.1, 4.0, (n, k))
    theta = np.radians(rng.uniform(10.0, 160.0, (n, k)))
    phi = rng.uniform(-np.pi, np.pi, (n, k))
    mass = np.array([M[abs(c)] for c in pdg])
    cols = {
        "pdg": np.tile(pdg, (n, 1)),
        "px": p * np.sin(theta) * np.cos(phi),
        "py": p * np.sin(theta) * np.sin(phi),
        "pz": p * np.cos(theta),
        "E": np.sqrt(p * p + mass * mass),
    }
    rxy = rng.uniform(2.0, 30.0, n)
    vphi = rng.uniform(-np.pi, np.pi, n)
    vx = np.zeros((n, k))
    vy = np.zeros((n, k))
    vx[:, 9:] = (rxy * np.cos(vphi))[:, None]
    vy[:, 9:] = (rxy * np.sin(vphi))[:, None]
    cols.update(vx=vx, vy=vy, vz=np.zeros((n, k)))
    final = np.ones((n, k), bool)
    final[:, 8] = False
    mother = np.full((n, k), -1)
    mother[:, 9:] = 8
    cols.update(is_final=final, mother=mother)
    return events_from_arrays(cols, weight=np.ones(n))


# --------------------------------------------------------------------------- draws


def test_stage_streams_seeded_from_the_stage_generators():
    """One xoshiro256++ state per stage, seeded by one integer from that stage's Generator:
    the same seed gives the same states, and a stage's card does not touch the other
    stages' streams (the physics tracks are bit-identical with and without beam
    background, which only changes the overlay and the PID/trigger draws)."""
    s1 = sim._stage_states(sim._stage_generators(np.random.default_rng(4)))
    s2 = sim._stage_states(sim._stage_generators(np.random.default_rng(4)))
    assert s1.shape == (7, 4) and s1.dtype == np.uint64 and np.array_equal(s1, s2)
    assert len({tuple(r) for r in s1.tolist()}) == 7
    assert not np.array_equal(
        s1, sim._stage_states(sim._stage_generators(np.random.default_rng(5)))
    )
    ev = dimuon_events(2000, seed=9)
    quiet = _upd(CARD, "beam_background", photons_mean=0.0, tracks_mean=0.0)
    a = sim.simulate_events(ev, CARD, np.random.default_rng(10))
    b = sim.simulate_events(ev, quiet, np.random.default_rng(10))
    ta = a.tracks[~a.tracks.isBeamBackground]
    for f in ("px", "py", "pz", "d0", "z0", "mcIndex"):
        assert ak.all(ak.flatten(ta[f]) == ak.flatten(b.tracks[f])), f
    ca = a.clusters[~a.clusters.isBeamBackground]
    for f in ("E", "theta", "phi"):
        assert ak.all(ak.flatten(ca[f]) == ak.flatten(b.clusters[f])), f


def test_split_uniform_gives_two_independent_uniforms():
    u = np.random.default_rng(1).random(200_000)
    pairs = np.array([split_uniform(x) for x in u[:20_000]])
    n = len(pairs)
    for col in pairs.T:
        # uniform on [0, 1): mean 1/2 (sigma 1/sqrt(12 n)), KS test
        assert abs(col.mean() - 0.5) < 4 / math.sqrt(12 * n)
        assert stats.kstest(col, "uniform").pvalue > 1e-4
    assert abs(np.corrcoef(pairs.T)[0, 1]) < 4 / math.sqrt(n)
    assert split_uniform(0.75 + 2.0**-27) == (0.75, 0.5)


def test_small_angle_rotation_is_exact_to_double_precision():
    for d in np.linspace(-0.3, 0.3, 2001):
        c, s = cos_sin_small(d)
        assert abs(c - math.cos(d)) <= 2.3e-16 and abs(s - math.sin(d)) <= 2.3e-16


def test_fast_atan2_matches_libm_to_one_ulp():
    rng = np.random.default_rng(3)
    y = rng.standard_normal(20_000) * 10.0 ** rng.uniform(-3, 3, 20_000)
    x = rng.standard_normal(20_000)
    got = np.array([fast_atan2(a, b) for a, b in zip(y, x, strict=True)])
    ref = np.arctan2(y, x)
    # Cephes atan: relative error ~1e-16 (a couple of ulp at most)
    assert np.max(np.abs(got - ref) / np.abs(ref)) < 5e-16
    for a, b in ((0.0, 1.0), (0.0, -1.0), (1.0, 0.0), (-1.0, 0.0), (-0.0, -1.0)):
        assert fast_atan2(a, b) == math.atan2(a, b)


def test_lazy_tracking_efficiency_gives_the_same_decisions_as_the_formula():
    """track_found(u, x, plateau) == (u < plateau (1 - exp(-x))) exactly, also right at the
    shortcut boundaries (x = 20 and 40, u within 3e-9 of the plateau)."""
    rng = np.random.default_rng(21)
    plateau = 0.98
    x = np.concatenate(
        [
            rng.uniform(0.0, 60.0, 20_000),
            np.nextafter(20.0, [0.0, 30.0]),
            [20.0, 40.0],
            np.nextafter(40.0, [0.0, 50.0]),
            rng.uniform(19.9, 20.1, 2000),
        ]
    )
    u = np.concatenate(
        [rng.random(x.size // 2), plateau - rng.uniform(0, 1e-8, x.size - x.size // 2)]
    )
    rng.shuffle(u)
    direct = np.where(x > 40.0, u < plateau, u < plateau * -np.expm1(-x))
    lazy = np.array([track_found(a, b, plateau) for a, b in zip(u, x, strict=True)])
    assert np.array_equal(lazy, direct)
    # the shortcut region is exercised on both sides of the decision
    near = (x > 20.0) & (u > plateau * (1 - 3e-9))
    assert near.sum() > 100 and 0 < direct[near].sum() < near.sum()


def test_track_fast_path_equals_general_code_bit_for_bit():
    """The branch-free (vectorised) track pass gives exactly the general code's kinematics
    wherever it reports that it applies, and reports it for all but the tracks near the
    beam axis, with large smearing angles or with px or py zero."""
    rng = np.random.default_rng(23)
    n = 4000
    p = 10.0 ** rng.uniform(-1.3, 0.8, n)
    theta = np.concatenate([rng.uniform(0.3, 2.6, n - 400), rng.uniform(0.01, 0.15, 400)])
    phi = rng.uniform(-np.pi, np.pi, n)
    px, py, pz = p * np.sin(theta) * np.cos(phi), p * np.sin(theta) * np.sin(phi), p * np.cos(theta)
    px[:20] = 0.0
    g = rng.standard_normal((5, n))
    g[1:3, 20:60] *= 1e3  # smearing angles above 0.1 rad
    a = tuple(float(x) for x in sim._kernel_parameters(CARD)["trk"][6:16])
    n_fast = 0
    for k in range(n):
        pt2 = px[k] ** 2 + py[k] ** 2
        p2 = pt2 + pz[k] ** 2
        args = (px[k], py[k], pz[k], 0.01, -0.02, 0.3, math.sqrt(pt2), p2, math.sqrt(p2),
                1.0 / math.sqrt(p2), M[13], *g[:, k], a, True)  # fmt: skip
        fast = _smear_track(*args, False)
        exact = _smear_track(*args, True)
        if fast[11] == 1.0:
            n_fast += 1
            assert fast[:11] == exact[:11], k
        assert exact[11] == fast[11]
    assert 0.85 * n < n_fast < n - 60  # (the 20 + 40 special tracks and most near the axis)


def test_event_larger_than_the_track_scratch_is_rejected():
    n = _TRACK_CAP + 1
    zeros = np.zeros(n, dtype=np.float32)
    cols = (np.full(n, 22, dtype=np.int32), zeros, zeros, zeros, zeros, zeros, zeros, zeros,
            np.ones(n, dtype=np.bool_), np.zeros(n, dtype=np.bool_), np.full(n, -1, np.int32))  # fmt: skip
    states = sim._stage_states(sim._stage_generators(np.random.default_rng(1)))
    with pytest.raises(ValueError, match="65536"):
        simulate_flat(np.array([0, n]), *cols, sim._kernel_parameters(CARD), states)
    # through the public API: one line naming the count and the allowed maximum
    from darkscan.errors import PhysicsDomainError
    from darkscan.generate.event_record import events_from_arrays

    big = events_from_arrays(
        {"pdg": np.full((1, n), 22), "px": np.zeros((1, n)), "py": np.zeros((1, n)),
         "pz": np.ones((1, n)), "E": np.ones((1, n))}, weight=np.ones(1),
    )  # fmt: skip
    with pytest.raises(PhysicsDomainError, match=r"65537 particles; .* at most 65536 per event"):
        sim.simulate_events(big, CARD, np.random.default_rng(1))


def test_kernel_parameters_cached_per_card_content_and_read_only():
    par = sim._kernel_parameters(CARD)
    assert sim._kernel_parameters(CARD) is par
    assert sim._kernel_parameters(load_card("belle2")) is par  # keyed by content, not object
    assert all(not a.flags.writeable for a in par.values())
    other = _upd(CARD, "tracking", pt_min=0.1)
    assert sim._kernel_parameters(other)["trk"][2] == 0.1 and par["trk"][2] == CARD.tracking.pt_min


# --------------------------------------------------------------------------- compiled vs Python


def _run_flat(events, card, seed, python):
    part, p_off = sim._flat_columns(events.particles)
    par = sim._kernel_parameters(card)
    sub = sim._stage_generators(np.random.default_rng(seed))
    return simulate_flat(
        p_off,
        *(part[k] for k in sim._KERNEL_COLUMNS),
        par,
        sim._stage_states(sub),
        python=python,
    )


def test_compiled_kernel_equals_python_execution_of_same_source():
    ev = ak.concatenate([zoo_events(60, seed=3), dimuon_events(60, seed=4)])
    card = _upd(CARD, "beam_background", tracks_mean=1.0)
    fast = _run_flat(ev, card, 5, python=False)
    slow = _run_flat(ev, card, 5, python=True)
    assert len(fast) == len(slow)
    offsets = (0, 5, 11, 14, 17)  # t_off, c_off, k_off, v_off, trig
    for k, (a, b) in enumerate(zip(fast, slow, strict=True)):
        a, b = np.asarray(a), np.asarray(b)
        if k in (1, 2, 3, 4):
            a, b = a[..., : fast[0][-1]], b[..., : slow[0][-1]]
        elif k in (6, 7, 8, 9, 10):
            a, b = a[..., : fast[5][-1]], b[..., : slow[5][-1]]
        elif k in (12, 13):
            a, b = a[..., : fast[11][-1]], b[..., : slow[11][-1]]
        elif k in (15, 16):
            a, b = a[..., : fast[14][-1]], b[..., : slow[14][-1]]
        assert a.shape == b.shape and a.tobytes() == b.tobytes(), f"output {k}"
    assert fast[0][-1] > 300 and fast[5][-1] > 300 and fast[11][-1] > 10 and fast[14][-1] > 5
    assert all(k not in offsets or fast[k][0] == 0 for k in offsets[:4])


# --------------------------------------------------------------------------- draw bookkeeping


def test_draw_counts_follow_documented_scheme():
    ev = dimuon_events(20_000, seed=6)
    quiet = _upd(CARD, "beam_background", photons_mean=0.0, tracks_mean=0.0)
    counters = {}
    reco = sim.simulate_events(ev, quiet, np.random.default_rng(7), counters=counters)
    n_trk = int(ak.sum(ak.num(reco.tracks)))
    n_cl = int(ak.sum(ak.num(reco.clusters)))
    # tracking: five normals per track; PID: two uniforms (split in four) per track
    assert counters["tracking"][1] == 5 * n_trk
    assert counters["pid"] == (2 * n_trk, 0, 0)
    # ECL: muons draw one normal (MIP) per deposit and one per cluster, plus two per
    # surviving cluster; no uniforms for muons
    assert counters["calorimeter"][0] == 0
    assert counters["calorimeter"][1] >= 2 * n_cl
    # trigger: at most one uniform per line whose condition holds
    n_fired_conditions = counters["trigger"][0]
    assert n_fired_conditions <= 5 * len(ev)
    assert counters["beam_background"] == (0, 0, 0)  # nothing to draw with zero means
    # fewer draws than the reference scheme (5 normals + 1 uniform per candidate track,
    # 1 normal + 2 uniforms per deposit + 3 normals per cluster, 4 uniforms per track,
    # 5 uniforms per event)
    total = sum(sum(c) for c in counters.values())
    reference = 6 * n_trk + 6 * n_cl + 4 * n_trk + 5 * len(ev)
    assert total < 0.75 * reference
    # with beam background: one uniform per run of POOL_RUN events picks the overlay entry
    counters = {}
    sim.simulate_events(ev, CARD, np.random.default_rng(7), counters=counters)
    assert counters["beam_background"] == (math.ceil(len(ev) / POOL_RUN), 0, 0)


# --------------------------------------------------------------------------- overlay pool


@pytest.fixture(scope="module")
def overlay():
    """Kernel output on 200k dimuon events (belle2 card: 2 extra clusters and 0.1 extra
    tracks per event on average) and the overlay pool it drew from."""
    ev = dimuon_events(200_000, seed=31)
    reco = sim.simulate_events(ev, CARD, np.random.default_rng(32))
    b = CARD.beam_background
    pool = background_pool(b, CARD.calorimeter, CARD.tracking)
    return reco, pool


def test_overlay_pool_cached_by_card_content():
    b, c, t = CARD.beam_background, CARD.calorimeter, CARD.tracking
    pool = background_pool(b, c, t)
    assert background_pool(load_card("belle2").beam_background, c, t) is pool
    assert pool["clusters"]["offsets"].size == POOL_SIZE + 1
    assert not pool["clusters"]["E"].flags.writeable
    other = background_pool(b.model_copy(update={"photons_mean": 1.0}), c, t)
    assert other is not pool
    # the pool is the reference generator's output for POOL_SIZE events with POOL_SEED
    ref = beam_background_clusters(10, b, c, np.random.default_rng(POOL_SEED))
    n10 = int(pool["clusters"]["offsets"][10])
    assert n10 == ref["E"].size
    # (the reference draws all POOL_SIZE counts first, so only the counts of the first
    # events agree with a 10-event call; the energies come after all counts)
    assert np.array_equal(pool["clusters"]["event"][:n10], ref["event"])


def test_overlay_multiplicity_matches_poisson_means(overlay):
    reco, _ = overlay
    n = len(reco)
    for coll, mean in (
        ("clusters", CARD.beam_background.photons_mean),
        ("tracks", CARD.beam_background.tracks_mean),
    ):
        k = ak.to_numpy(ak.sum(reco[coll].isBeamBackground, axis=1))
        # sampling error of the events plus the statistical error of the pool
        sigma = math.sqrt(mean / n + mean / POOL_SIZE)
        assert abs(k.mean() - mean) < 4.5 * sigma, coll
        # Poisson: variance = mean (the variance of s^2 is ~ (mean + 2 mean^2)/n)
        assert abs(k.var() - mean) < 4.5 * math.sqrt((mean + 2 * mean**2) * (1 / n + 1 / POOL_SIZE))
        # P(N = 0) = exp(-mean)
        p0 = math.exp(-mean)
        sigma0 = math.sqrt(p0 * (1 - p0) * (1 / n + 1 / POOL_SIZE))
        assert abs(np.mean(k == 0) - p0) < 4.5 * sigma0, coll


def test_overlay_energy_spectrum_matches_card(overlay):
    reco, pool = overlay
    b = CARD.beam_background
    e_pool = pool["clusters"]["E"] - b.photon_energy_min
    # E = E_min + Exp(scale): KS of the (fixed-seed) pool against the card's spectrum
    assert stats.kstest(e_pool, stats.expon(scale=b.photon_energy_scale).cdf).pvalue > 1e-3
    bkg = reco.clusters[reco.clusters.isBeamBackground]
    e = ak.to_numpy(ak.flatten(bkg.E)).astype(np.float64) - b.photon_energy_min
    # mean of an exponential = scale, standard deviation = scale
    sigma = b.photon_energy_scale * math.sqrt(1 / e.size + 1 / e_pool.size)
    assert abs(e.mean() - b.photon_energy_scale) < 4.5 * sigma
    # region fractions: endcaps f, barrel 1 - f
    reg = ak.to_numpy(ak.flatten(bkg.clusterReg))
    f = b.photon_endcap_fraction
    assert _same_rate(int(np.sum(reg == 2)), reg.size, round((1 - f) * reg.size), reg.size)


def test_overlay_photon_veto_efficiency_agrees_with_fresh_generation(overlay):
    """Veto: no beam-background barrel cluster above 0.1 GeV. Its efficiency from the pool
    (kernel events) agrees with fresh per-event generation (numpy reference functions) and
    with the analytic Poisson value exp(-mu (1 - f) exp(-(0.1 - E_min)/scale))."""
    reco, _ = overlay
    b = CARD.beam_background
    n = len(reco)
    bkg = reco.clusters[reco.clusters.isBeamBackground]
    veto_pool = ak.to_numpy(~ak.any((bkg.clusterReg == 2) & (bkg.E > 0.1), axis=1))
    fresh = beam_background_clusters(n, b, CARD.calorimeter, np.random.default_rng(33))
    hit = (fresh["region"] == 2) & (fresh["E"] > 0.1)
    veto_fresh = np.bincount(fresh["event"][hit], minlength=n) == 0
    analytic = math.exp(
        -b.photons_mean
        * (1 - b.photon_endcap_fraction)
        * math.exp(-(0.1 - b.photon_energy_min) / b.photon_energy_scale)
    )
    var = analytic * (1 - analytic)
    # pool efficiency: sampling error of the n events plus the pool's own error
    sigma = math.sqrt(var * (1 / n + 1 / POOL_SIZE) + var / n)
    assert abs(veto_pool.mean() - veto_fresh.mean()) < 4.5 * sigma
    assert abs(veto_pool.mean() - analytic) < 4.5 * math.sqrt(var * (1 / n + 1 / POOL_SIZE))
    assert abs(veto_fresh.mean() - analytic) < 4.5 * math.sqrt(var / n)


# --------------------------------------------------------------------------- kernel vs numpy


@pytest.fixture(scope="module")
def zoo_pair():
    ev = zoo_events(100_000, seed=8)
    fast = sim.simulate_events(ev, CARD, np.random.default_rng(9))
    ref = sim.simulate_events_reference(ev, CARD, np.random.default_rng(10))
    return ev, fast, ref


def _same_rate(k1, n1, k2, n2, n_sigma=4.5):
    p = (k1 + k2) / (n1 + n2)
    sigma = math.sqrt(max(p * (1 - p), 1e-12) * (1 / n1 + 1 / n2))
    return abs(k1 / n1 - k2 / n2) <= n_sigma * sigma + 1e-12


def _same_mean_and_width(x, y, n_sigma=4.5):
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    se = math.sqrt(x.var() / x.size + y.var() / y.size)
    mean_ok = abs(x.mean() - y.mean()) <= n_sigma * se
    # width: sigma(s) ~ s sqrt((kurtosis + 2)/(4 n)) per sample
    kx = stats.kurtosis(x) + 2
    ky = stats.kurtosis(y) + 2
    se_w = math.sqrt(x.var() * kx / (4 * x.size) + y.var() * ky / (4 * y.size))
    width_ok = abs(x.std() - y.std()) <= n_sigma * se_w
    return mean_ok, width_ok


def test_statistically_equivalent_to_reference(zoo_pair):
    ev, fast, ref = zoo_pair
    n = len(ev)
    for coll in ("tracks", "clusters", "klm_clusters", "vertices"):
        kf = int(ak.sum(ak.num(fast[coll])))
        kr = int(ak.sum(ak.num(ref[coll])))
        # counts per event are sums of Bernoulli/Poisson terms: sigma <= sqrt(count)
        assert abs(kf - kr) < 4.5 * math.sqrt(kf + kr), coll
    for line in fast.trigger.fields:
        kf, kr = int(np.sum(fast.trigger[line])), int(np.sum(ref.trigger[line]))
        assert _same_rate(kf, n, kr, n), line


@pytest.mark.parametrize("pdg", [13, 11, 211, -321, 2212])
def test_tracks_equivalent_per_species(zoo_pair, pdg):
    _, fast, ref = zoo_pair
    res = {}
    for name, reco in (("fast", fast), ("ref", ref)):
        trk = reco.tracks[(reco.tracks.mcPDG == pdg)]
        truth = reco.particles[trk.mcIndex]
        p_true = np.sqrt(truth.px**2 + truth.py**2 + truth.pz**2)
        res[name] = {
            "n": int(ak.sum(ak.num(trk))),
            "dp": ak.to_numpy(ak.flatten((trk.p - p_true) / p_true)),
            "dcos": ak.to_numpy(ak.flatten(trk.cosTheta - truth.pz / p_true)),
            "d0": ak.to_numpy(ak.flatten(trk.d0)),
            "clusterE": ak.to_numpy(ak.flatten(trk.clusterE)),
            **{
                h: ak.to_numpy(ak.flatten(trk[h] > 0.5))
                for h in ("muonID", "electronID", "pionID", "kaonID")
            },
        }
    f, r = res["fast"], res["ref"]
    n_truth = int(ak.sum(fast.particles.pdg == pdg))  # the zoo has two pi+ per event
    assert _same_rate(f["n"], n_truth, r["n"], n_truth), "efficiency"
    for key in ("dp", "dcos", "clusterE"):
        mean_ok, width_ok = _same_mean_and_width(f[key], r[key])
        assert mean_ok and width_ok, key
    # d0 of prompt tracks (displaced pions excluded by mcIndex < 9 via pdg choice)
    if pdg not in (211,):
        assert all(_same_mean_and_width(f["d0"], r["d0"]))
    for h in ("muonID", "electronID", "pionID", "kaonID"):
        assert _same_rate(f[h].sum(), f[h].size, r[h].sum(), r[h].size), h


def test_clusters_klm_vertices_background_equivalent(zoo_pair):
    _, fast, ref = zoo_pair
    for name in ("E", "cosTheta", "phi"):
        for bkg in (False, True):
            a = ak.to_numpy(ak.flatten(fast.clusters[fast.clusters.isBeamBackground == bkg][name]))
            b = ak.to_numpy(ak.flatten(ref.clusters[ref.clusters.isBeamBackground == bkg][name]))
            assert all(_same_mean_and_width(a, b)), (name, bkg)
    for reg in (1, 2, 3):
        a = ak.flatten(fast.clusters.clusterReg) == reg
        b = ak.flatten(ref.clusters.clusterReg) == reg
        assert _same_rate(int(ak.sum(a)), len(a), int(ak.sum(b)), len(b)), reg
    a = ak.flatten(fast.clusters.isTrackMatched)
    b = ak.flatten(ref.clusters.isTrackMatched)
    assert _same_rate(int(ak.sum(a)), len(a), int(ak.sum(b)), len(b))
    for coll, fields in (("klm_clusters", ("cosTheta", "phi")), ("vertices", ("x", "dr"))):
        for name in fields:
            a = ak.to_numpy(ak.flatten(fast[coll][name]))
            b = ak.to_numpy(ak.flatten(ref[coll][name]))
            assert all(_same_mean_and_width(a, b)), (coll, name)
    bf = fast.tracks[fast.tracks.isBeamBackground]
    br = ref.tracks[ref.tracks.isBeamBackground]
    for name in ("pt", "cosTheta", "d0", "z0", "charge"):
        a, b = ak.to_numpy(ak.flatten(bf[name])), ak.to_numpy(ak.flatten(br[name]))
        assert all(_same_mean_and_width(a, b)), name


def _recoil_mass_squared(reco):
    """M_rec^2 = s + M_mumu^2 - 2 sqrt(s) (E*_1 + E*_2) of events with both muons found
    (Belle II, arXiv:1912.11276; CM frame from darkscan.beams)."""
    beams = belle2()
    trk = reco.tracks[~reco.tracks.isBeamBackground]
    two = ak.num(trk) == 2
    trk = trk[two]
    p4 = [
        np.stack(
            [ak.to_numpy(trk[f][:, i]).astype(np.float64) for f in ("E", "px", "py", "pz")], -1
        )
        for i in (0, 1)
    ]
    a, b = beams.to_cms(p4[0]), beams.to_cms(p4[1])
    tot = a + b
    m2 = tot[:, 0] ** 2 - np.sum(tot[:, 1:] ** 2, axis=1)
    return beams.sqrt_s**2 + m2 - 2.0 * beams.sqrt_s * (a[:, 0] + b[:, 0])


def test_dimuon_recoil_mass_and_momenta_equivalent():
    ev = dimuon_events(100_000, seed=12)
    fast = sim.simulate_events(ev, CARD, np.random.default_rng(13))
    ref = sim.simulate_events_reference(ev, CARD, np.random.default_rng(14))
    residuals = {}
    for name, reco in (("fast", fast), ("ref", ref)):
        trk = reco.tracks[~reco.tracks.isBeamBackground]
        truth = reco.particles[trk.mcIndex]
        residuals[name] = {
            f: ak.to_numpy(ak.flatten(trk[f] - truth[f])).astype(np.float64)
            for f in ("px", "py", "pz", "E")
        }
        residuals[name]["m_rec2"] = _recoil_mass_squared(reco)
    for f in ("px", "py", "pz", "E", "m_rec2"):
        mean_ok, width_ok = _same_mean_and_width(residuals["fast"][f], residuals["ref"][f])
        assert mean_ok and width_ok, f


# --------------------------------------------------------------------------- deterministic parts


def _deterministic_card():
    c = CARD
    c = _upd(c, "tracking", efficiency_plateau=1.0, efficiency_pt_scale=1e-12)
    c = _upd(
        c,
        "tracking",
        **{f"{q}_resolution_{ab}": 0.0 for q in ("pt", "theta", "phi", "d0", "z0") for ab in "ab"},
    )
    c = _upd(
        c,
        "calorimeter",
        **{
            f"{region}_resolution": c.calorimeter.barrel_resolution.model_copy(
                update=dict.fromkeys(
                    ("energy_a", "energy_b", "energy_c", "angle_a", "angle_b"), 0.0
                )
            )
            for region in ("forward", "barrel", "backward")
        },
        photon_efficiency=1.0,
        mip_energy_width=0.0,
        hadron_shower_probability=0.0,
    )
    pid = c.pid
    upd = {}
    for hyp in ("muon", "electron", "pion", "kaon"):
        h = getattr(pid, hyp)
        upd[hyp] = h.model_copy(update={"efficiency": 1.0, "p_width": 1e-9, "misid": {}})
    upd["klong"] = pid.klong.model_copy(
        update={"efficiency": 1.0, "p_width": 1e-9, "angle_resolution": 0.0}
    )
    c = c.model_copy(update={"pid": pid.model_copy(update=upd)})
    c = _upd(c, "beam_background", photons_mean=0.0, tracks_mean=0.0)
    c = _upd(
        c,
        "vertexing",
        efficiency_plateau=1.0,
        efficiency_at_rxy_max=1.0,
        position_resolution_a=0.0,
        position_resolution_b=0.0,
    )
    trig = c.trigger
    c = c.model_copy(
        update={
            "trigger": trig.model_copy(
                update={
                    name: getattr(trig, name).model_copy(update={"efficiency": 1.0})
                    for name in (
                        "two_track",
                        "single_muon",
                        "single_photon",
                        "three_photon",
                        "displaced_vertex",
                    )
                }
            )
        }
    )
    return c


@pytest.mark.filterwarnings("ignore:overflow encountered in exp:RuntimeWarning")
def test_deterministic_parts_equal_reference_exactly():
    ev = ak.concatenate([zoo_events(3000, seed=15), dimuon_events(1000, seed=16)])
    card = _deterministic_card()
    fast = sim.simulate_events(ev, card, np.random.default_rng(17))
    ref = sim.simulate_events_reference(ev, card, np.random.default_rng(18))
    exact = {
        "tracks": ("charge", "mcIndex", "mcPDG", "isBeamBackground"),
        "clusters": ("clusterReg", "isTrackMatched", "isBeamBackground", "mcIndex"),
        "klm_clusters": ("mcIndex",),
        "vertices": ("track1", "track2", "mcIndex"),
    }
    close = {
        "tracks": ("px", "py", "pz", "E", "p", "pt", "cosTheta", "phi", "d0", "z0", "clusterE"),
        "clusters": ("E", "theta", "phi", "cosTheta"),
        "klm_clusters": ("theta", "phi", "cosTheta"),
        "vertices": ("x", "y", "z", "dr"),
    }
    for coll in exact:
        assert ak.all(ak.num(fast[coll]) == ak.num(ref[coll])), coll
        for name in exact[coll]:
            assert ak.all(ak.flatten(fast[coll][name]) == ak.flatten(ref[coll][name])), name
        for name in close[coll]:
            a = ak.to_numpy(ak.flatten(fast[coll][name])).astype(np.float64)
            b = ak.to_numpy(ak.flatten(ref[coll][name])).astype(np.float64)
            # float32 storage: a few float32 ulps (the kernel rotates direction cosines
            # instead of going through arctan2/cos)
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6, err_msg=f"{coll}.{name}")
    for h in ("muonID", "electronID", "pionID", "kaonID"):
        assert ak.all((fast.tracks[h] > 0.5) == (ref.tracks[h] > 0.5)), h
    for line in fast.trigger.fields:
        assert np.array_equal(fast.trigger[line], ref.trigger[line]), line
    assert int(ak.sum(ak.num(fast.vertices))) > 100 and int(ak.sum(ak.num(fast.klm_clusters))) > 100


# --------------------------------------------------------------------------- block passes


def _cal_tuple(card):
    return tuple(float(x) for x in sim._kernel_parameters(card)["cal"])


def test_ecl_cluster_fast_path_equals_general_code_bit_for_bit():
    """The branch-free (vectorised) pass over one-deposit clusters gives exactly the general
    code's energy and angles wherever it reports that it applies, and reports it for all but
    the clusters with large smearing angles, cos(theta) or px, py zero, or |phi| > 3 pi; the
    general code agrees with an independent computation from the calorimeter reference
    (:func:`energy_resolution`, :func:`angle_resolution`, arctan2, cos) to 1e-12."""
    from darkscan.detector._kernels import _ecl_cluster
    from darkscan.detector.calorimeter import angle_resolution, energy_resolution

    rng = np.random.default_rng(31)
    n = 3000
    dep = 10.0 ** rng.uniform(-2.5, 0.8, n)
    theta = rng.uniform(0.2, 2.9, n)
    phi = rng.uniform(-np.pi, np.pi, n)
    st, cz = np.sin(theta), np.cos(theta)
    cz[:10] = 0.0
    px, py = st * np.cos(phi), st * np.sin(phi)
    px[10:20] = 0.0
    has_trk = rng.random(n) < 0.5
    has_trk[10:20] = False
    g = rng.standard_normal((3, n))
    g[1:, 20:60] *= 300.0  # smearing angles above 0.1 rad (and clipping at 0, pi)
    g[2, 60:70] = 1e5  # phi beyond 3 pi
    reg = rng.integers(1, 4, n)  # ECL region codes 1-3: each region's resolution parameters
    c = _cal_tuple(CARD)
    n_fast = 0
    for k in range(n):
        args = (dep[k], g[0, k], g[1, k], g[2, k], st[k], cz[k], px[k], py[k], phi[k],
                bool(has_trk[k]), float(reg[k]), c)  # fmt: skip
        fast = _ecl_cluster(*args, False)
        exact = _ecl_cluster(*args, True)
        assert fast[4] == exact[4], k
        if fast[4] == 1.0:
            n_fast += 1
            assert fast[:4] == exact[:4], k
    assert 0.9 * n < n_fast < n - 60
    # the general code against the reference formulas
    sel = slice(70, n)
    sg_e = energy_resolution(dep[sel], CARD.calorimeter, reg[sel])
    sg_th = angle_resolution(dep[sel], CARD.calorimeter, reg[sel])
    # the three regions' parameters differ (belle2.toml: fits per region)
    assert len(set(energy_resolution(5.0, CARD.calorimeter, np.array([1, 2, 3])))) == 3
    th = np.clip(np.arctan2(st[sel], cz[sel]) + sg_th * g[1, sel], 0.0, np.pi)
    ph = phi[sel] + sg_th / np.maximum(st[sel], 1e-3) * g[2, sel]
    ph = np.arctan2(np.sin(ph), np.cos(ph))
    got = np.array([_ecl_cluster(dep[k], g[0, k], g[1, k], g[2, k], st[k], cz[k], px[k], py[k],
                                 phi[k], True, float(reg[k]), c, True)[:4]
                    for k in range(70, n)])  # fmt: skip
    np.testing.assert_allclose(got[:, 0], dep[sel] + sg_e * g[0, sel], rtol=1e-12)
    np.testing.assert_allclose(got[:, 1], th, rtol=0, atol=1e-12)
    np.testing.assert_allclose(got[:, 2], ph, rtol=0, atol=1e-12)
    np.testing.assert_allclose(got[:, 3], np.cos(th), rtol=0, atol=1e-12)


def test_cluster_threshold_bound_covers_energy_resolution():
    """The cheap bound W = (a + b max(E, 1) + c E)(1 + 1e-7) of the ECL pass is never below
    sigma_E = E (a/E (+) b/E^(1/4) (+) c) (analytic: sqrt(x + y + z) <= sqrt(x) + sqrt(y) +
    sqrt(z) and E^(3/4) <= max(E, 1)), for the card and random non-negative parameters,
    so the threshold decisions taken with it are those of the exact sigma_E."""
    from darkscan.detector._kernels import _cluster_sigmas

    rng = np.random.default_rng(37)
    e = np.concatenate([10.0 ** np.linspace(-9.5, 3.5, 400), [1e-9, 1.0, 7.0]])
    card_cal = _cal_tuple(CARD)
    params = [card_cal[k : k + 3] for k in (6, 18, 23)]  # the card's barrel, forward, backward
    params += [tuple(rng.uniform(0, 0.1, 3)) for _ in range(20)]
    params += [(0.0, 0.0, 0.05), (0.01, 0.0, 0.0), (0.0, 0.02, 0.0)]
    for a, b, c in params:
        cal = np.zeros(28)
        cal[6:9] = a, b, c
        for ek in e:
            ee = max(ek, 1e-9)
            w = (a + b * max(ee, 1.0) + c * ee) * 1.0000001
            sg = _cluster_sigmas(ek, 2, cal)[0]
            assert w >= sg, (a, b, c, ek)
            # and the decision: e + min(W g, 0) > thr implies e + sigma g > thr
            for g in (-3.0, -0.5, -1e-300, 0.0, 2.0):
                thr = ek + min(w * g, 0.0) - 1e-300
                if ek + min(w * g, 0.0) > thr:
                    assert ek + sg * g > thr


def test_pid_fast_path_equals_general_code_bit_for_bit():
    """The branch-free (vectorised) PID pass gives exactly the general code's ID variables
    wherever it reports that it applies (it does for all but tracks inside the coverage with
    turn-on variable x <= 40, own hypothesis or mis-ID), and the general code equals
    :func:`darkscan.detector.pid.draw_id` with the card's efficiency and mis-ID plateaus
    times the turn-on to 1e-12."""
    from darkscan.detector._kernels import _pid_constants, _pid_hyp, _pid_tables, _pid_value
    from darkscan.detector.pid import draw_id

    pid = sim._kernel_parameters(CARD)["pid"]
    tables = _pid_tables(pid)
    consts = [_pid_constants(h, pid, *tables) for h in range(4)]
    own = (1, 0, 2, 3)  # species index of the hypotheses muon, electron, pion, kaon
    rng = np.random.default_rng(41)
    n = 3000
    u = rng.random(n)
    p = 10.0 ** rng.uniform(-1.0, 1.0, n)
    cos_s = rng.uniform(-1.0, 1.0, n)
    sp = rng.integers(0, 5, n)
    n_fast = 0
    for h in range(4):
        for k in range(n):
            fast, ok = _pid_hyp(u[k], p[k], cos_s[k], float(sp[k]), float(own[h]), consts[h])
            general = _pid_value(u[k], h, p[k], cos_s[k], sp[k], pid, *tables)
            inside_k = tables[0][h, 1] <= cos_s[k] <= tables[0][h, 0]
            if ok:
                n_fast += 1
                assert fast == general, (h, k)
            else:
                assert inside_k and (p[k] - pid[h, 1]) / pid[h, 2] <= 40.0 * (1 + 1e-12)
        # the general code against draw_id with the probability of the reference
        inside = (cos_s <= tables[0][h, 0]) & (cos_s >= tables[0][h, 1])
        turn_on = 1.0 / (1.0 + np.exp(-(p - pid[h, 1]) / pid[h, 2]))
        q = np.where(sp == own[h], pid[h, 0], pid[h, 5 + sp]) * turn_on
        q = np.where(inside, q, 0.0)
        general = [_pid_value(u[k], h, p[k], cos_s[k], sp[k], pid, *tables) for k in range(n)]
        np.testing.assert_allclose(general, draw_id(q, u), rtol=1e-12, atol=1e-12)
    assert 0.3 * 4 * n < n_fast < 4 * n  # p log-uniform in 0.1-10 GeV: x > 40 for ~30-40 %


def test_tracking_acceptance_decided_as_cos_theta_at_the_edges():
    """The tracking pass decides most particles' acceptance from pz^2 and p^2 (margin 1e-9
    in cos theta) and the rest from cz = pz (1/p): the found tracks are exactly the
    particles with cos_lo < pz (1/p) < cos_hi computed as the general code does, also for
    particles within 1e-16..1e-6 rad of the CDC edges (efficiency 1, as the turn-on
    saturates: every accepted candidate is found)."""
    card = _upd(CARD, "tracking", efficiency_plateau=1.0, efficiency_pt_scale=1e-12)
    card = _upd(card, "beam_background", photons_mean=0.0, tracks_mean=0.0)
    rng = np.random.default_rng(43)
    n = 4000
    edges = np.radians([CARD.tracking.theta_min, CARD.tracking.theta_max])
    offset = rng.choice([-1.0, 1.0], n) * 10.0 ** rng.uniform(-16, -6, n)
    theta = np.concatenate([edges[rng.integers(0, 2, n)] + offset, rng.uniform(0, np.pi, n)])
    p = rng.uniform(0.5, 5.0, 2 * n)
    phi = rng.uniform(-np.pi, np.pi, 2 * n)
    cols = {
        "pdg": np.full((2 * n, 1), 13),
        "px": (p * np.sin(theta) * np.cos(phi))[:, None],
        "py": (p * np.sin(theta) * np.sin(phi))[:, None],
        "pz": (p * np.cos(theta))[:, None],
        "E": np.hypot(p, M[13])[:, None],
    }
    ev = events_from_arrays(cols, weight=np.ones(2 * n))
    out = _run_flat(ev, card, 3, python=False)
    found = np.diff(out[0]) == 1
    # the general code's decision, in the kernel's float64 arithmetic on the float32 inputs
    part, _ = sim._flat_columns(ev.particles)
    px, py, pz = (part[k].astype(np.float64) for k in ("px", "py", "pz"))
    p2 = px * px + py * py + pz * pz
    cz = pz * (1.0 / np.sqrt(p2))
    cos_lo, cos_hi = sim._kernel_parameters(card)["trk"][:2]
    expected = (cz > cos_lo) & (cz < cos_hi) & (px * px + py * py > CARD.tracking.pt_min**2)
    assert np.array_equal(found, expected)
    near = slice(0, n)
    assert 0.3 * n < found[near].sum() < 0.7 * n  # both sides of the edges exercised


def test_background_track_pid_from_pool_table_equals_general_code_bit_for_bit():
    """The ID variables of the overlaid background tracks from the per-pool table
    (pool_pid_turn_on: coverage, mis-ID table or w = 1 + exp(-x) per track and hypothesis,
    computed once per pool) equal the general code (_pid_track with species pion) bit for
    bit: for the card's pool tracks and for tracks placed exactly on (and one ulp either
    side of) the coverage edges and the momenta where the turn-on variable x is 40."""
    from darkscan.detector._kernels import (
        _pid_tables,
        _pid_track,
        _pid_track_pool,
        pool_pid_turn_on,
    )

    rng = np.random.default_rng(47)
    for card in (CARD, _upd(CARD, "beam_background", tracks_mean=2.0)):
        par = sim._kernel_parameters(card)
        pid = par["pid"]
        tables = _pid_tables(pid)
        pid_cos = tables[0]
        pool = np.array(par["pool_t"][:3000])
        # edge tracks: cos theta on each coverage edge and one ulp off; p at x = 40 (as
        # computed: (p - p_turn_on) / width) and one ulp off, inside the coverage
        edges = []
        for h in range(4):
            for c in pid_cos[h]:
                for cc in (np.nextafter(c, -2.0), c, np.nextafter(c, 2.0)):
                    edges.append((rng.uniform(0.05, 3.0), cc))
            p40 = pid[h, 1] + 40.0 * pid[h, 2]
            near = [np.nextafter(p40, 0.0), p40, np.nextafter(p40, 10.0)]
            x = [(pp - pid[h, 1]) * tables[1][h] for pp in near]
            assert min(x) <= 40.0 < max(x) and max(x) - min(x) < 1e-12  # the bound straddled
            for pp in [*near, pid[h, 1]]:
                edges.append((pp, 0.5 * (pid_cos[h, 0] + pid_cos[h, 1])))
        extra = np.zeros((len(edges), pool.shape[1]))
        extra[:, 4] = [e[0] for e in edges]
        extra[:, 6] = [e[1] for e in edges]
        pool = np.vstack([pool, extra])
        w, wpar = pool_pid_turn_on(pool, pid)
        assert np.all((w == -1.0) | (w == 0.0) | (w >= 1.0))
        assert (w == -1.0).any() and (w == 0.0).any() and (w > 1.0).any() and (w == 1.0).any()
        n = pool.shape[0]
        u = rng.random((n, 2))
        u[:50] = rng.random((50, 2)) * 1e-3  # small uniforms: the hit branch of tiny rates
        for k in range(n):
            ref = _pid_track(u[k, 0], u[k, 1], pool[k, 4], pool[k, 6], 2, pid, *tables)
            got = _pid_track_pool(u[k, 0], u[k, 1], w, k, wpar)
            assert got == ref, k
