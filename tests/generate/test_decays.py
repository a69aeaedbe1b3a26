"""pi0 -> gamma gamma applied to event records."""

import awkward as ak
import numpy as np
import pytest
from scipy import stats

from darkscan.constants import M_PI0
from darkscan.generate.decays import decay_neutral_pions
from darkscan.generate.event_record import events_from_flat
from darkscan.generate.phasespace import boost_to_rest_frame


def _events(rng, n_events=2000):
    # events with 0, 1 or 2 pi0 among charged pions, pi0 momenta up to 5 GeV
    n_pi0 = rng.integers(0, 3, n_events)
    counts = n_pi0 + 2
    pdg, px, py, pz, e, vz = [], [], [], [], [], []
    for k in range(n_events):
        for j in range(counts[k]):
            is_pi0 = j >= 2
            m = M_PI0 if is_pi0 else 0.13957
            p = rng.uniform(0.05, 5.0, 3) * rng.choice([-1, 1], 3)
            pdg.append(111 if is_pi0 else 211)
            px.append(p[0]), py.append(p[1]), pz.append(p[2])
            e.append(np.sqrt(m * m + p @ p))
            vz.append(0.5 * k)
    cols = {
        "pdg": np.array(pdg),
        "px": np.array(px),
        "py": np.array(py),
        "pz": np.array(pz),
        "E": np.array(e),
    }
    cols["vz"] = np.array(vz)
    return events_from_flat(cols, counts, np.ones(n_events))


def test_photons_conserve_the_pi0_four_momentum_and_mass():
    rng = np.random.default_rng(11)
    events = _events(rng)
    out = decay_neutral_pions(events, np.random.default_rng(5))
    n_pi0 = ak.sum(events.particles.pdg == 111, axis=1)
    assert ak.all(ak.num(out.particles) == ak.num(events.particles) + 2 * n_pi0)
    photons = out.particles[out.particles.pdg == 22]
    mothers = out.particles[photons.mother]
    assert ak.all(mothers.pdg == 111) and not ak.any(mothers.is_final)
    g = ak.flatten(photons)
    # photons come in pairs (same mother): pair sums equal the pi0 four-momentum
    pairs = {
        k: ak.to_numpy(g[k]).reshape(-1, 2).astype(np.float64) for k in ("E", "px", "py", "pz")
    }
    m = ak.flatten(mothers)[::2]
    for k in ("E", "px", "py", "pz"):
        np.testing.assert_allclose(pairs[k].sum(axis=1), ak.to_numpy(m[k]), atol=2e-5 * 5)
    mass2 = pairs["E"].sum(1) ** 2 - sum(pairs[k].sum(1) ** 2 for k in ("px", "py", "pz"))
    np.testing.assert_allclose(np.sqrt(mass2), M_PI0, rtol=2e-3)  # float32 storage
    # photons inherit the production vertex of their pi0
    np.testing.assert_array_equal(
        ak.to_numpy(ak.flatten(photons.vz)), ak.to_numpy(ak.flatten(mothers.vz))
    )
    # the original particles are untouched and keep their order
    kept = out.particles[:, : ak.max(ak.num(events.particles))]
    assert ak.all(ak.num(out.particles[out.particles.pdg != 22]) == ak.num(events.particles))
    assert ak.to_list(kept.pdg[:5, :2]) == ak.to_list(events.particles.pdg[:5, :2])


def test_decay_is_isotropic_in_the_pi0_rest_frame():
    # spin-0 parent: cos(theta*) of a photon w.r.t. the pi0 direction is uniform on [-1, 1]
    events = _events(np.random.default_rng(2), 3000)
    out = decay_neutral_pions(events, np.random.default_rng(9))
    photons = ak.flatten(out.particles[out.particles.pdg == 22])[::2]
    mothers = ak.flatten(out.particles[out.particles[out.particles.pdg == 22].mother])[::2]

    def p4(a):
        return np.stack(
            [ak.to_numpy(a[k]).astype(np.float64) for k in ("E", "px", "py", "pz")], axis=-1
        )

    g_rest = boost_to_rest_frame(p4(photons), p4(mothers))
    axis = p4(mothers)[:, 1:] / np.linalg.norm(p4(mothers)[:, 1:], axis=1, keepdims=True)
    cos = np.sum(g_rest[:, 1:] * axis, axis=1) / np.linalg.norm(g_rest[:, 1:], axis=1)
    counts, _ = np.histogram(cos, bins=10, range=(-1, 1))
    assert stats.chisquare(counts).pvalue > 1e-3


def test_no_pi0_is_a_no_op_and_same_seed_same_output():
    events = _events(np.random.default_rng(4), 50)
    no_pi0 = events[ak.sum(events.particles.pdg == 111, axis=1) == 0]
    assert decay_neutral_pions(no_pi0, np.random.default_rng(0)) is no_pi0
    a = decay_neutral_pions(events, np.random.default_rng(3))
    b = decay_neutral_pions(events, np.random.default_rng(3))
    assert ak.to_list(a.particles.E) == ak.to_list(b.particles.E)
    assert ak.to_list(a.weight) == ak.to_list(events.weight)


@pytest.mark.parametrize("field", ["pdg", "mother", "is_final"])
def test_fields_keep_their_types(field):
    events = _events(np.random.default_rng(6), 20)
    out = decay_neutral_pions(events, np.random.default_rng(1))
    assert (
        ak.flatten(out.particles[field]).type.content
        == ak.flatten(events.particles[field]).type.content
    )


# ----------------------------------------------------------------------- K_S -> pi pi
def _ks_events(n, energy=3.0):
    from darkscan.generate.event_record import events_from_arrays

    e = np.full((n, 1), energy)
    p = np.sqrt(e**2 - M_KS**2)
    return events_from_arrays(
        {"pdg": np.full((n, 1), 310), "E": e, "px": 0 * e, "py": 0 * e, "pz": p},
        weight=np.ones(n),
    )


M_KS = 0.497611  # GeV, PDG 2024 K_S mass (particle package)


def test_ks_branching_fractions_decay_length_and_conservation():
    from darkscan.generate.decays import decay_short_lived_kaons

    n = 100_000
    out = decay_short_lived_kaons(_ks_events(n), np.random.default_rng(11))
    parts = out.particles
    # K_S -> pi+ pi- : pi0 pi0 = 69.20 : 30.69 (PDG 2024), normalised to their sum
    frac = 0.6920 / (0.6920 + 0.3069)
    charged = ak.to_numpy(ak.sum(parts.pdg == 211, axis=1))
    assert np.mean(charged) == pytest.approx(frac, abs=5 * np.sqrt(frac * (1 - frac) / n))
    # every pi0 from the K_S is decayed to photons; no final pi0 or K_S left
    assert not ak.any(parts.is_final & ((parts.pdg == 111) | (parts.pdg == 310)))
    # the pions start at the decay vertex: mean decay length = beta gamma c tau with
    # c tau = 2.6844 cm (PDG 2024 K_S mean life 0.8954e-10 s)
    pz = np.sqrt(3.0**2 - M_KS**2)
    pion_vz = ak.to_numpy(ak.firsts(parts.vz[parts.mother == 0]))
    assert np.mean(pion_vz) == pytest.approx(pz / M_KS * 2.6844, rel=5 / np.sqrt(n))
    # four-momentum: the two daughters of the K_S sum to the K_S
    dau = parts[parts.mother == 0]
    for comp, ref in (("E", 3.0), ("pz", pz), ("px", 0.0)):
        np.testing.assert_allclose(ak.to_numpy(ak.sum(dau[comp], axis=1)), ref, atol=1e-5)
