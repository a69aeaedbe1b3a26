import math

from darkscan import constants as c


def test_lepton_masses_pdg():
    # PDG 2024: m_e = 0.51099895 MeV, m_mu = 105.6583755 MeV, m_tau = 1776.93 +- 0.09 MeV
    assert math.isclose(c.M_E, 0.51099895e-3, rel_tol=1e-8)
    assert math.isclose(c.M_MU, 0.1056583755, rel_tol=1e-9)
    assert math.isclose(c.M_TAU, 1.77693, rel_tol=1e-4)


def test_conversion_constants():
    # PDG "Physical constants": hbar c = 197.3269804 MeV fm, (hbar c)^2 = 0.3893793721 GeV^2 mb
    assert math.isclose(c.HBARC_GEV_CM, 197.3269804e-3 * 1e-13, rel_tol=1e-9)
    assert math.isclose(c.GEV2_TO_FB, 0.3893793721e12, rel_tol=1e-8)
    # hbar = 6.582119569e-25 GeV s
    assert math.isclose(c.HBAR_GEV_NS, 6.582119569e-16, rel_tol=1e-9)
    assert math.isclose(c.HBARC_GEV_CM / c.HBAR_GEV_NS, c.C_CM_PER_NS, rel_tol=1e-12)


def test_higgs_vev():
    # v = (sqrt(2) G_F)^(-1/2) = 246.22 GeV (PDG electroweak review)
    assert math.isclose(c.V_EV, 246.22, rel_tol=1e-4)
