"""Shared checks of ISR photons with eikonal angles for the generator tests.

Imported by name (``from _isr_helpers import ...``): pytest puts this test directory on
``sys.path`` (rootdir-relative, no ``__init__.py``).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from darkscan.generate.isr import isr_photon_angle_cdf


def captured_columns(module, builder, generate):
    """Run ``generate()`` and return the float64 columns handed to ``module.<builder>``."""
    captured = {}
    original = getattr(module, builder)

    def spy(columns, *args, **kwargs):
        captured.update(
            {k: np.asarray(columns[k]) for k in ("E", "px", "py", "pz", "pdg", "is_final")}
        )
        if args:
            captured["counts"] = np.asarray(args[0])
        return original(columns, *args, **kwargs)

    mp = pytest.MonkeyPatch()
    mp.setattr(module, builder, spy)
    try:
        sample = generate()
    finally:
        mp.undo()
    captured["p4"] = np.stack(
        [np.asarray(captured[f], dtype=np.float64) for f in ("E", "px", "py", "pz")], axis=-1
    )
    return sample, captured


def eikonal_pit_p_value(photons_lab, collider, n_bins=20):
    """chi2 p-value of the probability-integral transform of the ISR photons' |cos theta*|
    with isr_photon_angle_cdf (uniform if the angles follow the eikonal law); also checks
    that the e- photon goes forward and the e+ photon backward. photons_lab: (n, 2, 4)."""
    root = collider.sqrt_s
    cms = collider.to_cms(photons_lab)
    e = cms[..., 0]
    radiated = e > 0.0
    c = np.divide(cms[..., 3], e, out=np.zeros_like(e), where=radiated)
    assert np.all(c[radiated[:, 0], 0] > -1e-12) and np.all(c[radiated[:, 1], 1] < 1e-12)
    a = np.clip(np.abs(c[radiated]), 0.0, 1.0)
    f0, f1 = isr_photon_angle_cdf(0.0, root), isr_photon_angle_cdf(1.0, root)
    u = (isr_photon_angle_cdf(a, root) - f0) / (f1 - f0)
    observed, _ = np.histogram(u, bins=n_bins, range=(0.0, 1.0))
    expected = np.full(n_bins, u.size / n_bins)
    chi2 = float(np.sum((observed - expected) ** 2 / expected))
    return stats.chi2.sf(chi2, n_bins - 1), a
