"""Physical constants and PDG masses in darkscan units (GeV, cm, ns, fb).

Masses come from the ``particle`` package (PDG data; MeV there, converted here at the
boundary); conversion constants from ``hepunits`` / CODATA.

References
----------
R. L. Workman et al. (Particle Data Group), PTEP 2022, 083C01 and later editions, as shipped
with the ``particle`` package.

Examples
--------
>>> round(M_MU, 6)
0.105658
>>> round(HBARC_GEV_CM * 1e14, 4)  # hbar*c = 197.327 MeV fm
1.9733
"""

from __future__ import annotations

import math

from hepunits import constants as _hc
from hepunits import units as _hu
from particle import Particle

__all__ = [
    "ALPHA_EM",
    "ALPHA_EM_MZ",
    "C_CM_PER_NS",
    "GEV2_TO_FB",
    "G_FERMI",
    "HBARC_GEV_CM",
    "HBAR_GEV_NS",
    "M_B",
    "M_E",
    "M_ETA",
    "M_HIGGS",
    "M_K",
    "M_K0",
    "M_MU",
    "M_PI",
    "M_PI0",
    "M_TAU",
    "M_Z",
    "SIN2_THETA_W",
    "V_EV",
    "pdg_mass",
]


def pdg_mass(pdgid: int) -> float:
    """PDG mass of a particle in GeV, from the ``particle`` package (stored there in MeV)."""
    return Particle.from_pdgid(pdgid).mass / 1000.0


M_E = pdg_mass(11)
M_MU = pdg_mass(13)
M_TAU = pdg_mass(15)
M_PI = pdg_mass(211)
M_PI0 = pdg_mass(111)
M_K = pdg_mass(321)
M_K0 = pdg_mass(311)
M_ETA = pdg_mass(221)
M_B = pdg_mass(521)
M_Z = pdg_mass(23)
M_HIGGS = pdg_mass(25)

#: Fine-structure constant in the Thomson limit, 1/137.035999084 (CODATA 2018).
ALPHA_EM = 1.0 / 137.035999084
#: alpha(M_Z) = 1/127.95 (PDG review "Electroweak model", MS-bar value).
ALPHA_EM_MZ = 1.0 / 127.95
#: Fermi constant in GeV^-2 (PDG).
G_FERMI = 1.1663788e-5
#: Higgs vacuum expectation value v = (sqrt(2) G_F)^(-1/2) in GeV.
V_EV = (math.sqrt(2.0) * G_FERMI) ** -0.5
#: sin^2 theta_W (MS-bar at M_Z, PDG).
SIN2_THETA_W = 0.23122

#: hbar*c in GeV*cm.
HBARC_GEV_CM = float(_hc.hbarc / (_hu.GeV * _hu.cm))
#: hbar in GeV*ns.
HBAR_GEV_NS = float(_hc.hbar / (_hu.GeV * _hu.ns))
#: speed of light in cm/ns.
C_CM_PER_NS = float(_hc.c_light / (_hu.cm / _hu.ns))
#: (hbar c)^2 converting GeV^-2 to fb: 0.3893794e12 fb GeV^2.
GEV2_TO_FB = float(_hc.hbarc**2 / (_hu.GeV**2) / _hu.femtobarn)
