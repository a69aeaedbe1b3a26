"""Shared helpers of the detector tests: hand-made flat truth particles."""

from __future__ import annotations

import numpy as np

from darkscan.generate.event_record import invisible_pdg

MASS = {
    11: 0.51099895e-3,
    13: 0.1056583755,
    211: 0.13957039,
    321: 0.493677,
    2212: 0.93827208816,
    22: 0.0,
    130: 0.497611,
}


def flat_particles(pdg, p, theta_deg, phi=0.0, vertex=(0.0, 0.0, 0.0), is_final=True, mother=-1):
    """Flat particle columns (as the simulation sees them) from p (GeV) and lab angles."""
    pdg = np.atleast_1d(np.asarray(pdg, dtype=np.int32))
    n = pdg.size
    p = np.broadcast_to(np.asarray(p, dtype=np.float64), (n,))
    theta = np.radians(np.broadcast_to(np.asarray(theta_deg, dtype=np.float64), (n,)))
    phi = np.broadcast_to(np.asarray(phi, dtype=np.float64), (n,))
    mass = np.array([MASS.get(abs(int(c)), 0.0) for c in pdg])
    cols = {
        "pdg": pdg,
        "px": (p * np.sin(theta) * np.cos(phi)).astype(np.float32),
        "py": (p * np.sin(theta) * np.sin(phi)).astype(np.float32),
        "pz": (p * np.cos(theta)).astype(np.float32),
        "E": np.sqrt(p * p + mass * mass).astype(np.float32),
        "is_final": np.broadcast_to(np.asarray(is_final, dtype=bool), (n,)).copy(),
        "is_invisible": invisible_pdg(pdg),
        "mother": np.broadcast_to(np.asarray(mother, dtype=np.int32), (n,)).copy(),
    }
    vtx = np.broadcast_to(np.asarray(vertex, dtype=np.float64), (n, 3))
    for k, name in enumerate(("vx", "vy", "vz")):
        cols[name] = vtx[:, k].astype(np.float32).copy()
    return cols


def binomial_sigma(p, n):
    return np.sqrt(p * (1.0 - p) / n)
