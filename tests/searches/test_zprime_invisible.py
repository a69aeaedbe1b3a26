"""Tests of the Z' -> invisible search (darkscan.searches.zprime_invisible, cli_run)."""

from __future__ import annotations

import io
import json
import math

import awkward as ak
import numpy as np
import pytest
import yaml

from darkscan import runner
from darkscan.beams import belle2
from darkscan.errors import ConfigError
from darkscan.models import LmuLtauZprime
from darkscan.report.results import read_limits_json
from darkscan.searches import zprime_invisible as zp
from darkscan.searches.cli_run import parse_masses, run_command
from darkscan.searches.config import default_config_path, load_search_config

COLLIDER = belle2()
M_MU = 0.1056583755  # GeV, PDG 2022


# ------------------------------------------------------------------ hand-built events
def _boost_x(p4: np.ndarray, beta: float) -> np.ndarray:
    g = 1.0 / math.sqrt(1.0 - beta * beta)
    e, px = p4[..., 0], p4[..., 1]
    out = p4.copy()
    out[..., 0] = g * (e + beta * px)
    out[..., 1] = g * (px + beta * e)
    return out


def _dimuon(q0: float, q: float) -> tuple[np.ndarray, np.ndarray]:
    """mu+, mu- (lab) whose CM sum is (q0, q, 0, 0): decay along y, boost along x."""
    m = math.sqrt(q0 * q0 - q * q)
    k = math.sqrt(m * m / 4 - M_MU**2)
    e = m / 2
    plus = _boost_x(np.array([e, 0.0, k, 0.0]), q / q0)
    minus = _boost_x(np.array([e, 0.0, -k, 0.0]), q / q0)
    return COLLIDER.to_lab(plus), COLLIDER.to_lab(minus)


def _track(p4, charge, muon_id=0.9, cluster_e=0.2):
    e, px, py, pz = (float(x) for x in p4)
    p = math.sqrt(px * px + py * py + pz * pz)
    return {
        "px": px, "py": py, "pz": pz, "E": e, "p": p, "pt": math.hypot(px, py),
        "cosTheta": pz / p, "phi": math.atan2(py, px), "charge": charge, "d0": 0.0,
        "z0": 0.0, "muonID": muon_id, "electronID": 0.0, "pionID": 0.0, "kaonID": 0.0,
        "clusterE": cluster_e, "mcIndex": 0, "mcPDG": -13 * charge,
    }  # fmt: skip


def _cluster(e, theta, phi, matched=False):
    return {
        "E": e, "clusterE": e, "theta": theta, "phi": phi, "cosTheta": math.cos(theta),
        "clusterReg": 2, "isTrackMatched": matched, "isBeamBackground": False, "mcIndex": -1,
    }  # fmt: skip


TRIG_ON = {"two_track": True, "single_muon": True, "single_photon": False,
           "three_photon": False, "displaced_vertex": False, "any": True}  # fmt: skip
TRIG_OFF = dict.fromkeys(TRIG_ON, False)


def _direction(p4):
    return math.atan2(math.hypot(p4[1], p4[2]), p4[3]), math.atan2(p4[2], p4[1])


def _event(plus, minus, *, clusters=(), trigger=TRIG_ON, weight=1.0, charges=(1, -1), mu_e=0.2):
    matched = [_cluster(mu_e, *_direction(p), matched=True) for p in (plus, minus)]
    return {
        "tracks": [_track(plus, charges[0], cluster_e=mu_e), _track(minus, charges[1])],
        "clusters": matched + list(clusters),
        "trigger": trigger,
        "weight": weight,
    }


def _params():
    # |cos theta_rec| as third axis (the MVA score needs a trained classifier)
    cfg = load_search_config(overrides={"tau_suppression": {"method": "punzi"}})
    _, params = zp.sample_params(cfg, [1.0])
    return params["mumu"]


def _bin_centre(h, axis: str) -> float:
    """Centre of the one filled bin along ``axis``."""
    other = [a.name for a in h.axes if a.name != axis]
    proj = h.project(axis) if other else h
    vals = proj.values()
    (idx,) = np.flatnonzero(vals)
    return float(h.axes[axis].centers[idx])


def test_recoil_mass_sign_convention_through_the_search():
    # CM dimuon (Q0, |q|) = (sqrt(s) - 0.2, 0.5) GeV: M_rec^2 = (sqrt(s) - Q0)^2 - q^2
    # = 0.04 - 0.25 = -0.21 GeV^2 < 0, so M_rec = -sqrt(0.21) (signed square root,
    # Belle II PRL 124, 141801 (2020))
    sqrt_s = COLLIDER.sqrt_s
    plus, minus = _dimuon(sqrt_s - 0.2, 0.5)
    out = zp.select_and_fill(ak.Array([_event(plus, minus, weight=2.0)]), _params(), COLLIDER)
    spectrum, m2 = out["spectrum"], out["m2_pt_cos"]
    assert spectrum.sum().value == pytest.approx(2.0)  # the event is selected
    expected = -math.sqrt(0.21)
    assert abs(_bin_centre(spectrum, "recoil_mass") - expected) <= spectrum.axes[0].widths[0] / 2
    assert abs(_bin_centre(m2, "m2") - (-0.21)) <= m2.axes["m2"].widths[0] / 2
    # and the physical case M_rec^2 = (sqrt(s) - Q0)^2 - q^2 = 3^2 with Q0 chosen accordingly
    q = 1.5
    q0 = sqrt_s - math.sqrt(9.0 + q * q)
    plus, minus = _dimuon(q0, q)
    out = zp.select_and_fill(ak.Array([_event(plus, minus)]), _params(), COLLIDER)
    assert abs(_bin_centre(out["spectrum"], "recoil_mass") - 3.0) <= 0.05
    assert abs(_bin_centre(out["m2_pt_cos"], "m2") - 9.0) <= 0.02
    # p_T(mu mu, CM) = |q| = 1.5 GeV, recoil along -x in the CM: |cos theta_rec| = 0
    assert abs(_bin_centre(out["m2_pt_cos"], "pt") - 1.5) <= 0.125
    assert _bin_centre(out["m2_pt_cos"], "cos") == pytest.approx(0.05)


def test_selection_on_hand_built_events():
    sqrt_s = COLLIDER.sqrt_s
    q = 1.5
    plus, minus = _dimuon(sqrt_s - math.sqrt(9.0 + q * q), q)
    # the recoil points along -x in the CM frame; in the lab its direction is:
    rec_lab = COLLIDER.to_lab(np.array([math.sqrt(9.0 + q * q), -q, 0.0, 0.0]))
    th, ph = _direction(rec_lab)
    events = ak.Array(
        [
            _event(plus, minus, weight=1.0),  # passes
            _event(plus, minus, trigger=TRIG_OFF, weight=2.0),  # no trigger
            _event(plus, minus, charges=(1, 1), weight=3.0),  # same charge
            _event(plus, minus, clusters=[_cluster(0.5, th + math.radians(10), ph)], weight=4.0),
            _event(plus, minus, clusters=[_cluster(0.6, 0.6, ph + math.pi)], weight=5.0),
            _event(plus, minus, clusters=[_cluster(0.3, th + math.radians(20), ph)], weight=6.0),
        ]
    )
    out = zp.select_and_fill(events, _params(), COLLIDER, scale=0.5)
    # selected: event 0 and event 5 (a 0.3 GeV photon 20 deg from the recoil: outside the
    # 15 deg veto cone and below the 0.4 GeV extra-energy cut); weights x scale 0.5
    assert out["m2_pt_cos"].sum().value == pytest.approx(0.5 * (1.0 + 6.0), rel=1e-12)
    flow = {k.split("/")[2]: v for k, v in out.items() if k.endswith("/n")}
    assert flow["all"] == 6 and flow["trigger"] == 5 and flow["opposite_charge"] == 4
    assert flow["recoil_photon_veto"] == 3  # the 10 deg photon is vetoed
    assert flow["extra_energy"] == 2  # the 0.6 GeV backward photon fails E_extra < 0.4 GeV
    assert out["sum_w"] == pytest.approx(0.5 * 21.0)


def test_muon_cluster_energy_cut_rejects_a_photon_merged_into_a_muon_cluster():
    # a muon leaves ~0.2 GeV (minimum ionising, card mip_energy); 1.5 GeV in the muon's
    # cluster is an FSR photon the recoil-photon veto (unmatched clusters only) cannot see
    sqrt_s = COLLIDER.sqrt_s
    q = 1.5
    plus, minus = _dimuon(sqrt_s - math.sqrt(9.0 + q * q), q)
    events = ak.Array([_event(plus, minus, weight=1.0), _event(plus, minus, weight=2.0, mu_e=1.5)])
    params = _params()
    assert params["cuts"]["muon_cluster_energy_max"] == 0.5  # the shipped default (GeV)
    out = zp.select_and_fill(events, params, COLLIDER)
    flow = {k.split("/")[2]: v for k, v in out.items() if k.endswith("/n")}
    assert flow["extra_energy"] == 2 and flow["muon_cluster_energy"] == 1
    assert out["m2_pt_cos"].sum().value == pytest.approx(1.0, rel=1e-12)
    # switched off (null in the YAML): both events pass
    loose = {**params, "cuts": {**params["cuts"], "muon_cluster_energy_max": None}}
    out = zp.select_and_fill(events, loose, COLLIDER)
    assert out["m2_pt_cos"].sum().value == pytest.approx(3.0, rel=1e-12)
    assert not any("muon_cluster_energy" in k for k in out)


def test_two_photon_generator_filter_and_cross_section():
    from darkscan.generate.processes.two_photon import generate_two_photon

    cfg = load_search_config()
    _, params = zp.sample_params(cfg, [1.0])
    p = params["eemumu"]
    assert p["generator"] == "two_photon"
    sample = zp._generate_two_photon(p, 300, np.random.default_rng(4), COLLIDER)
    assert sample.n_events == 300
    assert np.all(zp._two_photon_filter(sample, p, COLLIDER))  # every kept event passes
    # independent estimate: filter acceptance of an unfiltered sample x its cross section
    ref = generate_two_photon(COLLIDER, 1_000_000, np.random.default_rng(9), n_pilot=50_000)
    acc = zp._two_photon_filter(ref, p, COLLIDER)
    expected = ref.cross_section_fb * acc.mean()
    # binomial errors of both acceptances (300 kept events: ~6 %; reference: ~2.4 %)
    n_gen = sample.generator_cuts["n_generated_before_filter"]
    rel = math.hypot(1 / math.sqrt(300), 1 / math.sqrt(acc.sum()))
    assert sample.cross_section_fb == pytest.approx(expected, rel=4 * rel)
    assert sample.cross_section_fb == pytest.approx(300 / n_gen * ref.cross_section_fb, rel=4 * rel)
    w = ak.to_numpy(sample.events.weight)
    assert w.sum() == pytest.approx(sample.cross_section_fb, rel=1e-9)


def test_mass_grid_follows_the_resolution():
    cfg = load_search_config()
    m = zp.mass_grid(cfg)
    assert m[0] == pytest.approx(0.1) and m[-1] == pytest.approx(9.0)
    # consecutive points are spacing_in_sigma x sigma(M^2) apart in M^2 (to within the
    # variation of sigma across one step and the 1/(2n) rounding of mass_bins_from_resolution)
    step = np.diff(m**2) / zp.nominal_sigma_m2(0.5 * (m[1:] + m[:-1]), cfg)
    assert np.allclose(step, cfg.signal.spacing_in_sigma, rtol=0.1)
    cfg = load_search_config(overrides={"signal": {"masses": [3.0, 1.0, 1.0]}})
    assert zp.mass_grid(cfg).tolist() == [1.0, 3.0]


def test_limit_to_coupling_translation_at_one_point():
    # Independent computation at m = 1 GeV: sigma(e+e- -> mu mu Z') at g' = 1 from VEGAS
    # with the Dirac-matrix |M|^2 (darkscan.models), BR_inv from the widths written out:
    # Gamma(nu nubar) = 2 g^2 m/(24 pi), Gamma(mu mu) = g^2 m/(12 pi)(1 + 2x) sqrt(1 - 4x)
    m, sigma_ul = 1.0, 10.0
    x = M_MU**2 / m**2
    g_nu, g_mu = 2.0 * m / (24 * math.pi), m / (12 * math.pi) * (1 + 2 * x) * math.sqrt(1 - 4 * x)
    br_inv = g_nu / (g_nu + g_mu)
    sigma_vegas, _ = LmuLtauZprime(m_zprime=m, g_prime=1.0).cross_section_mumu_zprime(
        COLLIDER.sqrt_s, rng=np.random.default_rng(11), n_points=20_000, n_iterations=6
    )
    expected = math.sqrt(sigma_ul / (sigma_vegas * br_inv))
    # the search's own reference cross section (generator MC integral, no ISR here)
    cfg = load_search_config(overrides={"signal": {"isr": False, "energy_spread": False}})
    sigma_ref = zp.reference_cross_section([m], cfg, np.random.default_rng(5))
    assert sigma_ref[0] == pytest.approx(sigma_vegas, rel=0.02)
    g = zp.coupling_limits([m], [sigma_ul], sigma_ref)
    assert g[0] == pytest.approx(expected, rel=0.01)
    # NaN / infinite limits stay undefined
    assert np.isnan(zp.coupling_limits([m, m], [np.inf, np.nan], [1.0, 1.0])).all()


def test_fit_peak_recovers_a_gaussian_with_a_tail():
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.normal(9.0, 0.25, 20_000), 9.0 - rng.exponential(1.0, 3_000)])
    edges = np.arange(5.0, 13.0, 0.04)
    mu, sigma, err = zp.fit_peak(np.histogram(x, edges)[0], edges)
    assert mu == pytest.approx(9.0, abs=0.02)
    assert sigma == pytest.approx(0.25, rel=0.05)
    assert 0 < err < 0.01


def test_parse_masses_and_cli_errors():
    assert parse_masses("0.5:1.5:0.5") == [0.5, 1.0, 1.5]
    assert parse_masses([1, 2]) == [1.0, 2.0]
    for bad in ("a,b", "1:0:1", "-1"):
        with pytest.raises(ConfigError, match="--masses"):
            parse_masses(bad)
    with pytest.raises(ConfigError, match="--method 'mle'"):
        run_command("zprime-invisible", method="mle")
    with pytest.raises(ConfigError, match="--lumi"):
        run_command("zprime-invisible", lumi=-1.0)
    with pytest.raises(ConfigError, match="unknown search"):
        run_command("monojet")


# ------------------------------------------------------------------ end to end
TINY = {
    "signal": {"n_events": 500},
    "backgrounds": {
        "mumu": {"n_events": 20_000},
        "tautau": {"n_events": 20_000},
        "eemumu": {"n_events": 500},
        "pipi": {"n_events": 1_000},
    },
    "run": {"unit_size": 50_000, "executor": "inprocess", "n_workers": 1},
    # the shipped default is the MVA; its (slow) training is tested in the slow test below
    "tau_suppression": {"method": "punzi"},
}


@pytest.fixture(scope="module")
def e2e(tmp_path_factory):
    from rich.console import Console

    from darkscan.searches.config import merge_config

    tmp = tmp_path_factory.mktemp("zprime")
    config = tmp / "tiny.yaml"
    config.write_text(
        yaml.safe_dump(merge_config(yaml.safe_load(default_config_path().read_text()), TINY))
    )
    out = tmp / "results"
    buffer = io.StringIO()
    files = run_command(
        "zprime-invisible", lumi=79.7, masses="0.5,3,6", method="bayes", config=config,
        out=out, seed=3, progress=False, console=Console(file=buffer, width=200),
    )  # fmt: skip
    return {"files": files, "out": out, "config": config, "text": buffer.getvalue()}


def test_end_to_end_run_produces_all_outputs(e2e):
    out = e2e["out"]
    for name in ("limits.json", "manifest.json", "analysis.json", "cutflow.md", "cutflow.tex",
                 "hepdata.tar.gz", "hepdata/submission.yaml"):  # fmt: skip
        assert (out / name).is_file(), name
    for stem in ("exclusion_gprime", "recoil_mass_spectrum", "signal_efficiency"):
        for suffix in (".png", ".pdf"):
            assert (out / (stem + suffix)).stat().st_size > 1000
    limits = read_limits_json(out / "limits.json")
    assert limits.metadata.pseudo_data and not limits.metadata.unblinded
    assert limits.mass.tolist() == [0.5, 3.0, 6.0]
    exp = limits.coupling["expected"]
    assert np.all(np.isfinite(exp)) and np.all((exp > 1e-5) & (exp < 10.0))
    band = [limits.coupling[k] for k in ("expected_minus2", "expected", "expected_plus2")]
    # ordered bands; the tiny configuration leaves 3 simulated tau pairs of weight ~3150 in the
    # 3 GeV window, where the quadrature error is a few per cent (the run says so in a note)
    assert np.all(band[0] <= band[1] * 1.03) and np.all(band[1] <= band[2] * 1.03)
    # no strict ordering here: the tiny configuration's backgrounds rest on 0-6 simulated
    # events of weight ~3000, whose Gamma prior is far wider than the Poisson spread of n, so
    # the limits hardly depend on n (and a window without simulated background expects
    # n = 0 at every quantile); test_bayes_limits_resolve_a_narrow_background_likelihood
    # checks that the limits grow with n where the background is known.
    # A window without any simulated background collapses its band exactly:
    details = json.loads((out / "analysis.json").read_text())
    b_total = np.sum([np.asarray(v, float) for v in details["background"].values()], axis=0)
    assert np.all(band[0][b_total == 0] == band[2][b_total == 0])
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seeds"]["run_seed"] == 3
    assert manifest["luminosities"]["analysis"] == 79.7
    # simulated statistics: 20000 mu mu events in sigma(filter) = 0.74 nb x 26 % (the
    # default p_T(mu mu, CM) > 0.05 GeV filter) ~ 0.19 nb -> ~0.1 fb^-1
    assert 0.06 < manifest["luminosities"]["simulated:mumu"] < 0.16
    text = e2e["text"]
    assert "PSEUDO-DATA" in text and "Results written to" in text
    assert "not simulated" in text and "pi+ pi- pi0" in text  # says what is not simulated
    # the pi pi (gamma) sample ran: 1000 events of sigma(filter) ~ 3-20 pb (the in-house
    # generator's value depends on its version) -> 0.05-0.3 fb^-1
    assert 0.01 < manifest["luminosities"]["simulated:pipi"] < 1.0


def test_luminosity_scaling_and_cls_variant(e2e):
    cfg = load_search_config(e2e["config"], {"run": {"seed": 3}})
    masses = [0.5, 3.0, 6.0]
    result = runner.run(
        zp.process_chunk,
        zp.plan(cfg, masses),
        seed=3,
        run_dir=e2e["out"] / "checkpoints",
        resume=True,
    )
    assert result.n_events_run == 0  # everything from the checkpoints: same events
    one = zp.analyse(result, cfg, masses, luminosity=79.7)
    two = zp.analyse(result, cfg, masses, luminosity=159.4)
    for name, b in one.background.items():
        # expected yields are L x sum of weights: doubling L doubles them exactly
        assert two.background[name] == pytest.approx(2.0 * b, rel=1e-12, abs=0.0), name
    assert two.efficiency == pytest.approx(one.efficiency, rel=1e-12)
    assert two.sigma_reference == pytest.approx(one.sigma_reference, rel=1e-12)
    # the CLs template fit on the same histograms gives finite, ordered limits
    cls = zp.analyse(result, cfg, masses, method="cls")
    exp = cls.sigma_limits["expected"]
    assert np.all(np.isfinite(exp)) and np.all(exp > 0)
    assert np.all(cls.sigma_limits["expected_minus1"] <= exp + 1e-9)


@pytest.mark.slow
def test_mva_tau_suppression_variant(tmp_path):
    overrides = {
        **TINY,
        "tau_suppression": {
            "method": "mva",
            "mva": {"n_train_signal": 300, "n_train_background": 20_000, "max_iter": 30},
        },
    }
    res, files = zp.run(masses=[1.0, 3.0], out=tmp_path, seed=5, overrides=overrides)
    clf = tmp_path / "mva" / "tau_classifier.pkl"
    assert clf.is_file()
    # the score replaces |cos theta_rec| as third axis: cuts are lower cuts on the score
    assert set(res.cuts) == {"pt_min", "pt_max", "score_min"}
    assert np.all((res.cuts["score_min"] >= 0.0) & (res.cuts["score_min"] < 1.0))
    assert np.all(np.isfinite(res.sigma_limits["expected"]))
    # training events come from random streams of their own, never handed to process_chunk:
    # the streams of the training and of the evaluation samples differ
    train = runner.unit_rng(5, "mva-train:tautau", 0).integers(2**62, size=4)
    evaluation = runner.unit_rng(5, "tautau", 0).integers(2**62, size=4)
    assert not np.array_equal(train, evaluation)
    manifest = json.loads(files["manifest"].read_text())
    assert manifest["config"]["tau_suppression"]["method"] == "mva"


def test_peak_fallback_when_the_gaussian_fit_fails():
    # a truncated peak with 3 filled bins (near the kinematic end point, M_Z' ~ 9 GeV):
    # fit_peak needs 4 non-empty bins and returns NaN
    edges = np.linspace(79.0, 83.0, 101)
    vals = np.zeros(100)
    vals[[48, 50, 51]] = [1.0, 3.0, 1.0]
    assert math.isnan(zp.fit_peak(vals, edges)[1])
    mu, sigma, how = zp._peak_fallback(vals, edges, 9.0, 0.072)
    # too few bins for quantiles: m^2 = 81 GeV^2 and the nominal resolution
    assert (mu, sigma) == (81.0, 0.072) and "nominal" in how
    # 7 filled bins, symmetric about 80.98 GeV^2: median at the centre, width from the
    # inter-quartile range, bounded to [0.5, 2] x nominal
    vals[45:52] = [1, 2, 3, 4, 3, 2, 1]
    mu, sigma, how = zp._peak_fallback(vals, edges, 9.0, 0.072)
    centre = 0.5 * (edges[48] + edges[49])
    assert mu == pytest.approx(centre, abs=0.02) and "median" in how
    assert 0.036 <= sigma <= 0.144


def test_background_model_keeps_the_correlation_of_the_cut_variables():
    # Two perfectly correlated cut variables (both high or both low). The tight corner holds
    # half of the events; a product of marginals would put a quarter there (the 8x
    # underestimate of benchmarks/study_low_mass_background.py had this origin).
    from darkscan.searches.zprime_invisible import smooth_background

    v = np.zeros((5, 2, 2))
    v[:, 0, 0] = [1.0, 2.0, 3.0, 2.0, 1.0]
    v[:, 1, 1] = [1.0, 2.0, 3.0, 2.0, 1.0]
    model = smooth_background(v, 2)
    np.testing.assert_allclose(model.sum(axis=(1, 2)), v.sum(axis=(1, 2)), rtol=1e-15)
    np.testing.assert_allclose(model[:, 1, 1], 0.5 * v.sum(axis=(1, 2)), rtol=1e-15)
    np.testing.assert_allclose(model[:, 0, 1], 0.0, atol=0)
    np.testing.assert_array_equal(smooth_background(v, 0), v)


def test_bayes_limits_resolve_a_narrow_background_likelihood():
    # At B = 693 with a 22 % background uncertainty the Poisson likelihood in the background
    # scale (width ~ 1/sqrt(B) = 3.8 %) is narrow inside its prior: 12 Gauss points gave
    # limits off by up to 10 % and not monotonic in n_obs. The search picks the points per
    # bin (n_quad='auto'); reference: the same integral with 200 points (converged to < 0.1 %).
    from darkscan.stats import bayesian_upper_limit
    from darkscan.stats.bayesian import background_quadrature_points

    b = np.array([693.0, 693.0, 693.0, 20.0])
    n = np.array([667.0, 693.0, 719.0, 20.0])
    eff = np.full(4, 0.12)
    kw = dict(
        rel_unc_luminosity=0.007,
        rel_unc_efficiency=np.tile([0.01, 0.04, 0.04, 0.125], (4, 1)),
        rel_unc_background=np.tile([0.02, 0.22], (4, 1)),
        background_mc_weight=np.full(4, 9.78),
    )
    n_quad = background_quadrature_points(np.full(4, 0.221), b)
    assert n_quad.tolist() == [96, 96, 96, 24]
    ours = bayesian_upper_limit(n, b, 79.7, eff, n_quad="auto", **kw).upper_limit
    ref = bayesian_upper_limit(n, b, 79.7, eff, n_quad=200, **kw).upper_limit
    np.testing.assert_allclose(ours[:3], ref[:3], rtol=5e-3)
    # a small background gets 24 points (its wide MC-stat prior: within 1 % of 200 points)
    np.testing.assert_allclose(ours[3], ref[3], rtol=1e-2)
    assert np.all(np.diff(ours[:3]) > 0)  # monotonic in n_obs


def test_sidebands_exclude_the_signal_and_measure_the_background():
    # hand-built fine histograms: 100 M_rec^2 rows x 1 pT x 1 third-axis cell; a flat
    # background of 2 fb per row (at 1 fb^-1), a signal peak in rows 40-49 with a radiative
    # tail of 3 % of it in rows 50-59 (so the 98 % containment region reaches into the tail)
    from darkscan.searches.config import SidebandConfig

    n_rows = 100
    bkg = np.full((n_rows, 1, 1), 2.0)
    sig = np.zeros((n_rows, 1, 1))
    sig[40:50] = 9.7
    sig[50:60] = 0.3
    pseudo = np.full((n_rows, 1, 1), 3.0)
    windows = np.array([[42, 48]])
    mask = np.ones((1, 1, 1), dtype=bool)
    cum = zp._cumsum0
    s_pass = np.array([np.sum(sig[42:48])])
    sb = SidebandConfig(enabled=True, signal_containment=0.98, width=2.0)
    out = zp._sidebands(
        sb, windows, n_rows, mask, 10.0, {"b": cum(bkg)}, {"b": cum(0.5 * bkg)}, cum(pseudo),
        [cum(sig)], s_pass,
    )  # fmt: skip
    # excluded region: from the 1 % quantile (row 40: cdf 0.097) to the 99 % quantile (row
    # 56: cdf (97 + 7 x 0.3) / 100 = 0.991), i.e. rows 40..56; 12 sideband rows on each side
    assert out["low"][0] == 40 - 12 and out["high"][0] == 57 + 12
    assert out["background"][0] == pytest.approx(10.0 * 2.0 * 24)  # lumi x 2 fb x 24 rows
    assert out["mc_weight"][0] == pytest.approx(10.0 * 0.5)  # sum w^2 / sum w
    assert out["observed"][0] == pytest.approx(3.0 * 24)
    # the signal left in the sidebands: the tail rows 57-59 (0.9) of the window's 6 x 9.7
    assert out["signal_fraction"][0] == pytest.approx(0.9 / 58.2)
    assert zp._sidebands(
        SidebandConfig(enabled=False, signal_containment=0.98, width=2.0), windows, n_rows,
        mask, 10.0, {"b": cum(bkg)}, {"b": cum(bkg)}, cum(pseudo), [cum(sig)], s_pass,
    ) is None  # fmt: skip


def test_sideband_constraint_recorded_in_the_outputs(e2e):
    details = json.loads((e2e["out"] / "analysis.json").read_text())
    sb = details["sideband"]
    assert set(sb) >= {"background", "observed", "mc_weight", "signal_fraction", "low", "high"}
    assert all(f < 0.1 for f in sb["signal_fraction"])  # the signal region is excluded
    assert any("sidebands" in note for note in details["notes"])
    # the tiny configuration's windows hold a few events (statistics dominate): the
    # sideband constraint on the 22 % scale moves the limits by a few per cent at most;
    # with few simulated sideband events of large weight it can even loosen them (the
    # Gamma(m + 1) convention puts the simulated mean at (m + 1) w), so only closeness is
    # asserted here; tests/stats/test_bayesian.py checks the on/off integral itself
    cfg = load_search_config(e2e["config"], {"run": {"seed": 3}})
    masses = [0.5, 3.0, 6.0]
    result = runner.run(
        zp.process_chunk, zp.plan(cfg, masses), seed=3, run_dir=e2e["out"] / "checkpoints",
        resume=True,
    )  # fmt: skip
    with_sb = zp.analyse(result, cfg, masses).sigma_limits["expected"]
    off = load_search_config(
        e2e["config"], {"run": {"seed": 3}, "statistics": {"sideband": {"enabled": False}}}
    )
    without = zp.analyse(result, off, masses).sigma_limits["expected"]
    assert np.all(np.isfinite(with_sb)) and not np.array_equal(with_sb, without)
    np.testing.assert_allclose(with_sb, without, rtol=0.1)


def test_template_binning_adds_one_flank_bin_on_each_side():
    edges3 = np.linspace(0.0, 1.0, 11)
    pt_ok = np.ones(3, dtype=bool)
    plain = zp._template_binning(40, 50, pt_ok, 0, 10, 2, 5, edges3)
    assert plain.m_starts.tolist() == [40, 45] and plain.m_edges.tolist() == [39.5, 44.5, 49.5]
    tb = zp._template_binning(40, 50, pt_ok, 0, 10, 2, 5, edges3, flanks=(28, 66))
    assert tb.m_starts.tolist() == [28, 40, 45, 50]
    assert tb.m_edges.tolist() == [27.5, 39.5, 44.5, 49.5, 65.5]
    # reduce sums the fine rows of each group: a flat array of ones counts the rows
    fine = np.ones((100, 3, 10))
    assert tb.reduce(fine)[:, 0].tolist() == [12 * 3 * 2, 5 * 3 * 2, 5 * 3 * 2, 16 * 3 * 2]
    # a flank clipped away (no rows outside the window) adds no bin
    edge = zp._template_binning(0, 10, pt_ok, 0, 10, 2, 5, edges3, flanks=(0, 22))
    assert edge.m_starts.tolist() == [0, 5, 10]


def test_peak_smoothing_averages_out_the_fit_scatter_and_skips_failed_fits():
    # 40 mass points whose true width is 1.2 x the nominal resolution and true offset
    # 0.1 x nominal; each "fit" scatters by 10 % (the scatter of 3000-event samples); one
    # failed fit (NaN error) carries a wild value that must not leak into its neighbours
    rng = np.random.default_rng(4)
    m = np.linspace(0.5, 6.0, 40)
    nominal = 0.1 + 0.05 * m
    sigma = nominal * (1.2 + 0.12 * rng.standard_normal(m.size))
    mean = m**2 + nominal * (0.1 + 0.1 * rng.standard_normal(m.size))
    err = 0.12 * nominal
    err[20], sigma[20] = np.nan, 10.0 * nominal[20]
    mu_s, sg_s = zp.smooth_peaks(m, mean, sigma, err, nominal, 2)
    ok = np.arange(m.size) != 20
    raw_scatter = np.std(sigma[ok] / nominal[ok] - 1.2)
    assert np.std(sg_s[ok] / nominal[ok] - 1.2) < raw_scatter / 1.8  # ~ sqrt(5) expected
    assert sg_s[20] == sigma[20]  # a failed fit keeps its own (fallback) window
    assert np.all(np.abs(sg_s[18:23][ok[18:23]] / nominal[18:23][ok[18:23]] - 1.2) < 0.15)
    assert np.std((mu_s - m**2) / nominal - 0.1) < 0.1 / 1.8
    # a point whose width really differs (here the first, at 0.65 x nominal with a 4 %
    # error, next to points at 1.2 x nominal) keeps its own fit
    sigma2 = sigma.copy()
    sigma2[0] = 0.65 * nominal[0]
    err2 = err.copy()
    err2[0] = 0.04 * nominal[0]
    assert zp.smooth_peaks(m, mean, sigma2, err2, nominal, 2)[1][0] == sigma2[0]
    same = zp.smooth_peaks(m, mean, sigma, err, nominal, 0)
    assert np.array_equal(same[0], mean) and np.array_equal(same[1], sigma)
