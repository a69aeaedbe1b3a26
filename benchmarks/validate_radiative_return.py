"""Radiative return in e+e- -> mu+mu-(gamma): s' spectrum of darkscan and Pythia vs QED.

Question: darkscan's generator (:mod:`darkscan.generate.processes.mumu_gamma`, Kuraev-Fadin
structure function at O(beta)) has more hard radiative-return events than Pythia 8 (lepton
PDF of Kleiss et al., Q^2 = s). Which is right?

This script computes, independently of both samplers, the fraction of the cross section with
s' < s0 (s' = mu mu invariant mass squared before FSR) for sqrt(s0) = 3, 5, 7, 9, 10, 10.4 GeV:

(a) exact O(alpha) single-photon ISR radiator (Bonneau-Martin; Berends-Kleiss)
        d sigma/dz = sigma_hat(z s) (beta/2) (1 + z^2)/(1 - z),  z = s'/s < 1,
        soft + virtual: sigma_hat(s) [1 + beta ln eps + (alpha/pi)(3/2 L + pi^2/3 - 2)],
    with L = ln(s/m_e^2), beta = 2 alpha/pi (L - 1);
(b) the structure-function convolution
        sigma(s' > s0) = int dx1 dx2 D(x1) D(x2) sigma_hat(x1 x2 s) theta(x1 x2 s > s0)
    with the Kuraev-Fadin D at O(beta) (darkscan's form), with the O(beta^2) terms of
    Kuraev-Fadin, and with Pythia's PDF (Kleiss et al., CERN 89-08 vol. 1 p. 34: the KF hard
    terms to O(beta^2) and the soft factor sqrt(delta) with delta to O(alpha^2)),
by nested adaptive scipy quadrature (``quad`` with the algebraic weight (1 - x)^(beta/2 - 1),
QUADPACK QAWS), and compares with the generated s' of darkscan (``DileptonEvents.s_hat``) and
of Pythia (mass of the gamma*/Z0 in the record). sigma_hat is the Born e+e- -> mu+mu-
(gamma + gamma-Z interference, muon mass exact) times |1/(1 - Delta alpha(s'))|^2 with
darkscan's Delta alpha; a second set of rows uses fixed alpha for both generators
(darkscan ``vacuum_polarisation=False``, Pythia ``SigmaProcess:alphaEMorder = 0``), which
removes the difference between the two running-alpha models from the comparison.

Run: ``python benchmarks/validate_radiative_return.py`` (about 1 minute); writes
``benchmarks/results/validate_radiative_return.json`` and prints the table.

Result (sqrt(s) = 10.574 GeV, 2e5 darkscan and 5e4 Pythia events, running alpha)
------------------------------------------------------------------------------------
Fraction of sigma with sqrt(s') < 3 / 5 / 7 / 9 / 10 / 10.4 GeV:
O(alpha) 0.160 0.198 0.234 0.287 0.351 0.427; KF O(beta) 0.178 0.219 0.256 0.307 0.364 0.426;
KF O(beta^2) 0.178 0.218 0.255 0.306 0.364 0.426; darkscan 0.1775 0.2189 0.2561 0.3083 0.3644
0.4266 (+-0.001); Pythia 0.160 0.201 0.238 0.290 0.350 0.414 (+-0.002).
darkscan follows the exponentiated structure function (the O(beta^2) terms move the
fractions by <= 1.1e-3). Pythia has no event with sqrt(s') < 2 m_mu + 0.1 GeV = 0.311 GeV
(1.9 % of the cross section: Pythia's gamma*/Z0 -> f fbar channels open only 0.1 GeV above
threshold, SigmaProcess::MASSMARGIN); its own PDF convolution with that cut (column
"PyPDF+cut") reproduces its sample to 1-1.5 sigma. Removing those events from darkscan moves
its recoil-mass fraction above 0.5 GeV from 12.4 % to 12.0 % (Pythia 11.7 %) and its muons
within 18 deg of the beam by -7 %: the radiative-return excess over Pythia is Pythia's
missing near-threshold dimuons, not an error of the in-house generator.

References
----------
G. Bonneau, F. Martin, Nucl. Phys. B27 (1971) 381 (O(alpha) ISR radiator).
F. A. Berends, R. Kleiss, Nucl. Phys. B178 (1981) 141 (same, soft + virtual constant).
E. A. Kuraev, V. S. Fadin, Sov. J. Nucl. Phys. 41 (1985) 466 (structure function, O(beta^2)).
G. Montagna, O. Nicrosini, F. Piccinini, Riv. Nuovo Cim. 21N9 (1998) 1, hep-ph/9802302,
sec. 3 (KF structure function with the O(beta^2) terms, as coded in :func:`structure_function`).
R. Kleiss et al., in "Z physics at LEP 1", CERN 89-08 vol. 1, p. 34 (Pythia's lepton PDF).
"""

from __future__ import annotations

import json
import math
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from scipy import integrate, special

from darkscan.constants import ALPHA_EM, GEV2_TO_FB, M_E, M_MU, M_Z, SIN2_THETA_W

RESULTS = Path(__file__).resolve().parent / "results"
#: Upper edges sqrt(s0) of the cumulative s' bins, GeV.
SQRT_S0 = (3.0, 5.0, 7.0, 9.0, 10.0, 10.4)
#: Structure-function variants of :func:`structure_function`.
FORMS = ("kf1", "kf2", "pythia")
#: Pythia's gamma*/Z0 -> mu mu opens only above 2 m_mu + 0.1 GeV (SigmaProcess::MASSMARGIN
#: = 0.1 GeV in Pythia 8's SigmaProcess.cc; observed smallest m(mu mu) 0.311 GeV), GeV.
PYTHIA_SQRT_S_LOW = 2.0 * M_MU + 0.1


def isr_log(s: float) -> tuple[float, float]:
    """(L, beta) with L = ln(s/m_e^2), beta = 2 alpha/pi (L - 1) (Kuraev-Fadin 1985)."""
    big_l = math.log(s / M_E**2)
    return big_l, 2.0 * ALPHA_EM / math.pi * (big_l - 1.0)


def structure_function(x, s: float, form: str):
    """Electron structure function D(x, s) per beam, split as (soft coefficient, regular part).

    D(x) = soft * (beta/2) (1 - x)^(beta/2 - 1) + regular(x), returned as the pair
    ``(soft, regular)`` so that quadrature can put (1 - x)^(beta/2 - 1) into the weight.

    * ``"kf1"``: Kuraev-Fadin at O(beta): soft = 1 + 3 beta/8, regular = -beta/4 (1 + x)
      (darkscan's :func:`darkscan.generate.isr.structure_function`).
    * ``"kf2"``: Kuraev-Fadin with the O(beta^2) terms (hep-ph/9802302 sec. 3, KF 1985):
      soft = 1 + 3 beta/8 + beta^2/16 (9/8 - pi^2/3), regular adds
      beta^2/32 [-4 (1 + x) ln(1 - x) - (1 + 3 x^2)/(1 - x) ln x - 5 - x].
    * ``"pythia"``: Kleiss et al., CERN 89-08 vol. 1 p. 34 (Pythia 8 ``Lepton`` PDF), with
      b = beta/2: soft = sqrt(delta), delta = 1 + (alpha/pi)(3/2 L + pi^2/3 - 2)
      + (alpha/pi)^2 (-2.164868 L^2 + 9.840808 L - 10.130464); regular = -b/2 (1 + x)
      + b^2/8 [(1 + x)(-4 ln(1 - x) + 3 ln x) - 4 ln x/(1 - x) - 5 - x] (the same hard
      terms as ``"kf2"``).

    Parameters
    ----------
    x : float or numpy.ndarray
        Energy fraction kept by the beam electron, 0 < x < 1.
    s : float
        Squared CM energy in GeV^2 (scale of the logarithm).
    form : str
        One of :data:`FORMS`.

    Returns
    -------
    soft : float
    regular : float or numpy.ndarray
    """
    big_l, beta = isr_log(s)
    x = np.asarray(x, dtype=float)
    if form == "kf1":
        return 1.0 + 3.0 * beta / 8.0, -beta / 4.0 * (1.0 + x)
    with np.errstate(divide="ignore", invalid="ignore"):
        hard2 = (
            -4.0 * (1.0 + x) * np.log1p(-x) - (1.0 + 3.0 * x * x) / (1.0 - x) * np.log(x) - 5.0 - x
        )
    if form == "kf2":
        soft = 1.0 + 3.0 * beta / 8.0 + beta**2 / 16.0 * (9.0 / 8.0 - math.pi**2 / 3.0)
        return soft, -beta / 4.0 * (1.0 + x) + beta**2 / 32.0 * hard2
    if form == "pythia":
        a = ALPHA_EM / math.pi
        delta = (
            1.0
            + a * (1.5 * big_l + 1.289868)
            + a * a * (-2.164868 * big_l**2 + 9.840808 * big_l - 10.130464)
        )
        return math.sqrt(delta), -beta / 4.0 * (1.0 + x) + beta**2 / 32.0 * hard2
    raise ValueError(f"form = {form!r} is not one of {FORMS}")


def _re_chi(s):
    kappa = 1.0 / (4.0 * SIN2_THETA_W * (1.0 - SIN2_THETA_W))
    d = s - M_Z**2
    return kappa * s * d / (d * d + (M_Z * 2.4955) ** 2)


def make_sigma_hat(vacuum_polarisation: bool = True):
    """Born sigma(e+e- -> mu+mu-)(s') in fb times |1/(1 - Delta alpha(s'))|^2 (optional).

    sigma = (4 pi alpha^2/3 s') b (3 - b^2)/2 (1 + 2 v_e v_mu Re chi), b = sqrt(1 - 4 m^2/s')
    (Peskin-Schroeder eq. 5.12 integrated; PDG "Cross-section formulae" for the gamma-Z
    interference); Delta alpha from :func:`darkscan.generate.processes.mumu_gamma.delta_alpha`
    tabulated in ln s'. Zero below the threshold (2 m_mu)^2.
    """
    ln_grid = np.linspace(math.log(4.0 * M_MU**2), math.log(200.0), 4001)
    if vacuum_polarisation:
        from darkscan.generate.processes.mumu_gamma import delta_alpha

        vp = 1.0 / np.abs(1.0 - delta_alpha(np.exp(ln_grid))) ** 2
    else:
        vp = np.ones_like(ln_grid)
    v = -0.5 + 2.0 * SIN2_THETA_W

    def sigma_hat(sp):
        sp = np.asarray(sp, dtype=float)
        b2 = np.clip(1.0 - 4.0 * M_MU**2 / sp, 0.0, None)
        b = np.sqrt(b2)
        born = 4.0 * math.pi * ALPHA_EM**2 / (3.0 * sp) * b * (3.0 - b2) / 2.0 * GEV2_TO_FB
        return born * (1.0 + 2.0 * v * v * _re_chi(sp)) * np.interp(np.log(sp), ln_grid, vp)

    return sigma_hat


def sigma_above_sf(z0: float, s: float, sigma_hat, form: str, epsabs: float = 1e-3) -> float:
    """int dx1 dx2 D(x1) D(x2) sigma_hat(x1 x2 s) over x1 x2 > z0 (fb), nested scipy quad.

    Both upper limits are x = 1, where D has its (1 - x)^(beta/2 - 1) singularity: each
    integral uses ``quad(weight="alg", wvar=(0, beta/2 - 1))`` (QUADPACK QAWS) with the
    smooth factor soft * beta/2 + regular(x) (1 - x)^(1 - beta/2).

    Parameters
    ----------
    z0 : float
        Lower limit of s'/s (>= (2 m_mu)^2 / s).
    s : float
        Squared CM energy, GeV^2.
    sigma_hat : callable
        Hard cross section of s' (fb).
    form : str
        Structure function (:func:`structure_function`).

    Returns
    -------
    float
        Cross section in fb.
    """
    _, beta = isr_log(s)
    b = beta / 2.0
    soft, _ = structure_function(0.5, s, form)

    def smooth(x):
        if x >= 1.0:
            return soft * b
        _, reg = structure_function(x, s, form)
        return soft * b + float(reg) * (1.0 - x) ** (1.0 - b)

    def quad_to_one(f, lo):
        """int_lo^1 f(x) (1 - x)^(b - 1) dx (QUADPACK's algebraic weight)."""
        val, _ = integrate.quad(
            f, lo, 1.0, weight="alg", wvar=(0.0, b - 1.0), epsabs=epsabs, epsrel=1e-7, limit=200
        )
        return val

    def inner(x1):
        lo = z0 / x1
        if lo >= 1.0:
            return 0.0
        return quad_to_one(lambda x2: smooth(x2) * float(sigma_hat(x1 * x2 * s)), lo)

    return quad_to_one(lambda x1: smooth(x1) * inner(x1), z0)


def _nodes_to_one(a, s: float, form: str, n: int):
    """Nodes and weights (D(x) included) for int_a^1 D(x) f(x) dx, vectorised over ``a``.

    [a, c] with c = (1 + a)/2: Gauss-Legendre in v with x = a exp(v^2) (smooth for the 1/s'
    fall and the sqrt(s' - 4 m^2) threshold at x = a); [c, 1]: Gauss-Jacobi with the weight
    (1 - x)^(beta/2 - 1) of the soft singularity (scipy.special.roots_jacobi).
    """
    _, beta = isr_log(s)
    b = beta / 2.0
    soft, _ = structure_function(0.5, s, form)
    a = np.asarray(a, dtype=float)[..., None]
    c = a + 0.5 * (1.0 - a)
    gx, gw = np.polynomial.legendre.leggauss(n)
    v_max = np.sqrt(np.log(c / a))
    v = 0.5 * v_max * (gx + 1.0)
    xa = a * np.exp(v * v)
    _, reg = structure_function(xa, s, form)
    wa = 0.5 * v_max * gw * xa * 2.0 * v * (soft * b * (1.0 - xa) ** (b - 1.0) + reg)
    jx, jw = special.roots_jacobi(n, b - 1.0, 0.0)
    half = 0.5 * (1.0 - c)
    xb = c + half * (jx + 1.0)
    _, reg = structure_function(xb, s, form)
    wb = half**b * jw * (soft * b + reg * (1.0 - xb) ** (1.0 - b))
    return np.concatenate([xa, xb], -1), np.concatenate([wa, wb], -1)


def sigma_above(z0: float, s: float, sigma_hat, form: str, n: int = 96) -> float:
    """Fast version of :func:`sigma_above_sf` (fb): nested Gauss rules of :func:`_nodes_to_one`.

    Agrees with the adaptive QUADPACK result to 3e-7 for z0 = 9 GeV^2/s and 2e-4 at the
    threshold z0 = 4 m_mu^2/s (checked in :func:`main`).
    """
    x1, w1 = _nodes_to_one(z0, s, form, n)
    x2, w2 = _nodes_to_one(z0 / x1, s, form, n)
    return float(np.sum(w1[:, None] * w2 * sigma_hat(x1[:, None] * x2 * s)))


def sigma_below_order_alpha(z0: float, s: float, sigma_hat) -> float:
    """O(alpha) hard-photon cross section with s' < z0 s (fb): (beta/2) int sigma_hat (1+z^2)/(1-z).

    Bonneau-Martin, Nucl. Phys. B27 (1971) 381; Berends-Kleiss, Nucl. Phys. B178 (1981) 141:
    d sigma/dz = sigma_hat(z s) (alpha/pi)(L - 1)(1 + z^2)/(1 - z) for one ISR photon
    (angle-integrated, m_e^2/s terms dropped), z = s'/s.
    """
    _, beta = isr_log(s)
    z_min = 4.0 * M_MU**2 / s
    val, _ = integrate.quad(
        lambda z: float(sigma_hat(z * s)) * (1.0 + z * z) / (1.0 - z),
        z_min,
        z0,
        epsrel=1e-9,
        limit=400,
        points=[0.01, 0.1],
    )
    return beta / 2.0 * val


def sigma_total_order_alpha(s: float, sigma_hat) -> float:
    """O(alpha) total (fb): soft + virtual sigma_hat(s)[1 + (alpha/pi)(3/2 L + pi^2/3 - 2)
    + beta ln(1 - z_min)] plus the subtracted hard integral (Berends-Kleiss 1981)."""
    big_l, beta = isr_log(s)
    z_min = 4.0 * M_MU**2 / s
    s_hat_s = float(sigma_hat(s))
    sv = 1.0 + ALPHA_EM / math.pi * (1.5 * big_l + math.pi**2 / 3.0 - 2.0)
    sv += beta * math.log(1.0 - z_min)
    val, _ = integrate.quad(
        lambda z: (float(sigma_hat(z * s)) * (1.0 + z * z) - 2.0 * s_hat_s) / (1.0 - z),
        z_min,
        1.0,
        epsrel=1e-9,
        limit=400,
        points=[0.01, 0.1],
    )
    return s_hat_s * sv + beta / 2.0 * val


def analytic_fractions(
    s: float, sqrt_s0=SQRT_S0, vacuum_polarisation: bool = True, sqrt_s_low: float | None = None
) -> dict:
    """Fractions of the cross section with s' < s0, each analytic model (dict of lists).

    ``sqrt_s_low``: lower limit of sqrt(s') in GeV (default the threshold 2 m_mu); e.g.
    2 m_mu + 0.1 GeV, below which Pythia's gamma*/Z0 -> mu mu has no cross section.
    """
    sigma_hat = make_sigma_hat(vacuum_polarisation)
    z_low = (2.0 * M_MU if sqrt_s_low is None else sqrt_s_low) ** 2 / s
    out: dict = {"total_fb": {}}
    if sqrt_s_low is None:
        tot_a = sigma_total_order_alpha(s, sigma_hat)
        out["order_alpha"] = [
            sigma_below_order_alpha(r * r / s, s, sigma_hat) / tot_a for r in sqrt_s0
        ]
        out["total_fb"]["order_alpha"] = tot_a
    for form in FORMS:
        tot = sigma_above(z_low, s, sigma_hat, form)
        out[form] = [1.0 - sigma_above(r * r / s, s, sigma_hat, form) / tot for r in sqrt_s0]
        out["total_fb"][form] = tot
    return out


def _fractions(sqrt_s_prime: np.ndarray) -> tuple[list, list]:
    n = sqrt_s_prime.size
    f = [float(np.mean(sqrt_s_prime < r)) for r in SQRT_S0]
    return f, [math.sqrt(p * (1.0 - p) / n) for p in f]


def darkscan_fractions(collider, n: int, seed: int, vacuum_polarisation: bool = True):
    """Fractions with s' < s0 from darkscan's sampler (s_hat of the hard collision)."""
    from darkscan.generate.processes.mumu_gamma import generate_dilepton_kinematics

    ev = generate_dilepton_kinematics(
        np.random.default_rng(seed),
        n,
        collider,
        M_MU,
        fsr=False,
        vacuum_polarisation=vacuum_polarisation,
    )
    return _fractions(np.sqrt(ev.s_hat))


def pythia_fractions(collider, n: int, seed: int, settings: dict | None = None):
    """Fractions with s' < s0 from Pythia (invariant mass of the gamma*/Z0 in the record)."""
    import awkward as ak

    from darkscan.generate.pythia import generate_pythia

    smp = generate_pythia("mumu", collider, n, np.random.default_rng(seed), settings=settings)
    p = smp.events.particles
    z = ak.firsts(p[p.pdg == 23])
    m2 = ak.to_numpy(z.E).astype(float) ** 2 - sum(
        ak.to_numpy(getattr(z, c)).astype(float) ** 2 for c in ("px", "py", "pz")
    )
    root = np.sqrt(np.clip(m2, 0.0, None))
    return (*_fractions(root), float(root.min()))


def darkscan_observables_with_pythia_cut(collider, n: int, seed: int) -> dict:
    """The observables of ``validate_backgrounds_vs_pythia.py`` before and after removing
    darkscan's events with sqrt(s') < 2 m_mu + 0.1 GeV (where Pythia has none): fraction with
    a recoil mass above 0.5 GeV, fraction of muons within 18 deg of the beam axis, muon CM
    momentum spectrum (unit area), all at truth level in the CM frame, FSR included."""
    from darkscan.generate.processes.mumu_gamma import generate_dilepton_kinematics

    ev = generate_dilepton_kinematics(np.random.default_rng(seed), n, collider, M_MU)
    pair = ev.l_minus + ev.l_plus
    rec2 = (collider.sqrt_s - pair[:, 0]) ** 2 - np.sum(pair[:, 1:] ** 2, axis=1)
    recoil = np.sqrt(np.clip(rec2, 0.0, None))
    keep = np.sqrt(ev.s_hat) > PYTHIA_SQRT_S_LOW
    mu = np.concatenate([ev.l_minus, ev.l_plus])
    keep_mu = np.concatenate([keep, keep])
    p = np.linalg.norm(mu[:, 1:], axis=1)
    forward = np.abs(mu[:, 3] / p) > math.cos(math.radians(18.0))
    edges = [0.5, 1.5, 2.5, 3.5, 4.5, 5.5]
    h_all, _ = np.histogram(p, edges)
    h_cut, _ = np.histogram(p[keep_mu], edges)
    return {
        "fraction_below_cut": float(1.0 - keep.mean()),
        "recoil_above_0p5": [float(np.mean(recoil > 0.5)), float(np.mean(recoil[keep] > 0.5))],
        "muon_within_18deg": [float(forward.mean()), float(forward[keep_mu].mean())],
        "p_mu_edges": edges,
        "p_mu_ratio_all_over_cut": list(
            (h_all / p.size / (h_cut / keep_mu.sum())).round(4).tolist()
        ),
    }


def main(n_ours: int = 200_000, n_pythia: int = 50_000) -> dict:
    from darkscan.beams import belle2

    # QUADPACK's roundoff warnings at the 1e-7 relative level (results cross-checked below)
    warnings.filterwarnings("ignore", category=integrate.IntegrationWarning)
    collider = belle2()
    s = collider.sqrt_s**2
    t0 = time.time()
    result: dict = {"sqrt_s": collider.sqrt_s, "sqrt_s0": list(SQRT_S0), "rows": {}}
    # cross-check of the fast nested Gauss rules against adaptive QUADPACK (QAWS)
    sigma_hat = make_sigma_hat(True)
    z_thr = 4.0 * M_MU**2 / s
    result["quadrature_check_fb"] = {
        "gauss_total": sigma_above(z_thr, s, sigma_hat, "kf1"),
        "quadpack_total": sigma_above_sf(z_thr, s, sigma_hat, "kf1"),
        "gauss_above_3GeV": sigma_above(9.0 / s, s, sigma_hat, "kf1"),
        "quadpack_above_3GeV": sigma_above_sf(9.0 / s, s, sigma_hat, "kf1"),
    }
    for vp in (True, False):
        key = "running_alpha" if vp else "fixed_alpha"
        ana = analytic_fractions(s, vacuum_polarisation=vp)
        cut = analytic_fractions(s, vacuum_polarisation=vp, sqrt_s_low=PYTHIA_SQRT_S_LOW)
        ours, ours_err = darkscan_fractions(collider, n_ours, 11 if vp else 12, vp)
        py_settings = None if vp else {"SigmaProcess:alphaEMorder": 0}
        py, py_err, py_min = pythia_fractions(collider, n_pythia, 21 if vp else 22, py_settings)
        result["rows"][key] = {
            **ana,
            "pythia_pdf_with_cut": cut["pythia"],
            "kf2_with_cut": cut["kf2"],
            "darkscan": ours,
            "darkscan_err": ours_err,
            "pythia_sample": py,
            "pythia_sample_err": py_err,
            "pythia_min_sqrt_s_prime": py_min,
        }
    result["darkscan_observables"] = darkscan_observables_with_pythia_cut(collider, 5 * n_ours, 31)
    result["n_darkscan"] = n_ours
    result["n_pythia"] = n_pythia
    result["pythia_sqrt_s_low"] = PYTHIA_SQRT_S_LOW
    result["seconds"] = time.time() - t0
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "validate_radiative_return.json").write_text(json.dumps(result, indent=1))
    print(
        "quadrature check (fb):", {k: round(v, 1) for k, v in result["quadrature_check_fb"].items()}
    )
    for key, row in result["rows"].items():
        print(
            f"\n{key}: fraction of sigma with sqrt(s') < sqrt(s0), sqrt(s) = {collider.sqrt_s:.3f}"
        )
        print(
            f"{'sqrt(s0)':>8} {'O(alpha)':>8} {'KF O(b)':>8} {'KF O(b2)':>8} {'darkscan':>15}"
            f" | {'PyPDF+cut':>9} {'Pythia':>15}"
        )
        for i, r in enumerate(SQRT_S0):
            print(
                f"{r:8.1f} {row['order_alpha'][i]:8.4f} {row['kf1'][i]:8.4f} {row['kf2'][i]:8.4f}"
                f" {row['darkscan'][i]:7.4f}+-{row['darkscan_err'][i]:.4f}"
                f" | {row['pythia_pdf_with_cut'][i]:9.4f}"
                f" {row['pythia_sample'][i]:7.4f}+-{row['pythia_sample_err'][i]:.4f}"
            )
        print(f"smallest Pythia sqrt(s'): {row['pythia_min_sqrt_s_prime']:.4f} GeV")
        print(
            "analytic totals (fb, no FSR factor):",
            {k: round(v) for k, v in row["total_fb"].items()},
        )
    obs = result["darkscan_observables"]
    print(
        f"\ndarkscan, all vs without sqrt(s') < {PYTHIA_SQRT_S_LOW:.3f} GeV "
        f"({obs['fraction_below_cut']:.4f} of sigma): recoil > 0.5 GeV {obs['recoil_above_0p5']}, "
        f"muons within 18 deg {obs['muon_within_18deg']}, p_mu ratio per "
        f"{obs['p_mu_edges']} GeV bin {obs['p_mu_ratio_all_over_cut']}"
    )
    print(f"\nwritten {RESULTS / 'validate_radiative_return.json'} ({result['seconds']:.0f} s)")
    return result


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
