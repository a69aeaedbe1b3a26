"""Tests of darkscan.searches.config: the validated YAML configuration of a search."""

from __future__ import annotations

import math

import pytest
import yaml

from darkscan.errors import ConfigError
from darkscan.searches import SEARCHES, get_search
from darkscan.searches.config import default_config_path, load_search_config, merge_config


def _default_dict() -> dict:
    return yaml.safe_load(default_config_path().read_text())


def _write(tmp_path, data, name="my.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data))
    return path


def test_default_configuration_values():
    cfg = load_search_config()
    # analysis luminosity of the update, arXiv:2212.03066 (abstract): 79.7 fb^-1
    assert cfg.luminosity == pytest.approx(79.7, rel=0, abs=1e-12)
    # systematics of the Belle II seminar (task defaults): tracking 4%, PID 4%, lumi 0.7%,
    # tau suppression 22%, background before tau suppression 2%, mu mu yield 12.5%
    sy = cfg.systematics
    assert (sy.tracking, sy.pid, sy.luminosity) == (0.04, 0.04, 0.007)
    assert (sy.tau_suppression, sy.background_before_tau_suppression) == (0.22, 0.02)
    assert sy.mumu_yield_discrepancy == 0.125
    assert (sy.trigger.low, sy.trigger.high) == (0.01, 0.06)
    # Punzi FoM with a = 1.64 (arXiv:physics/0308063, 90% CL one-sided)
    assert cfg.tau_suppression.punzi_a == 1.64
    assert cfg.selection.recoil_photon_veto_angle == 15.0
    assert cfg.statistics.cl == 0.90


def test_a_copied_default_file_loads_identically(tmp_path):
    path = _write(tmp_path, _default_dict())
    assert load_search_config(path) == load_search_config()


def _one_line_error(tmp_path, data) -> str:
    path = _write(tmp_path, data)
    with pytest.raises(ConfigError) as info:
        load_search_config(path)
    msg = str(info.value)
    assert "\n" not in msg
    assert str(path) in msg
    return msg


def test_unknown_key_is_one_line_naming_key_and_file(tmp_path):
    data = _default_dict()
    data["systematics"]["trackin"] = 0.04
    msg = _one_line_error(tmp_path, data)
    assert "systematics.trackin: unknown key" in msg


def test_missing_key_is_one_line_naming_key_and_file(tmp_path):
    data = _default_dict()
    del data["selection"]["extra_energy_max"]
    msg = _one_line_error(tmp_path, data)
    assert "selection.extra_energy_max: missing key" in msg


def test_out_of_range_value_is_one_line_naming_key_value_and_file(tmp_path):
    data = _default_dict()
    data["systematics"]["tracking"] = 4.0  # percent instead of a fraction
    msg = _one_line_error(tmp_path, data)
    assert "systematics.tracking" in msg and "4.0" in msg
    data = _default_dict()
    data["luminosity"] = -1.0
    assert "luminosity" in _one_line_error(tmp_path, data)
    data = _default_dict()
    data["selection"]["muon_theta_range"] = [125.0, 45.0]
    assert "muon_theta_range" in _one_line_error(tmp_path, data)
    data = _default_dict()
    data["statistics"]["method"] = "frequentist"
    assert "statistics.method" in _one_line_error(tmp_path, data)
    data = _default_dict()
    data["backgrounds"]["mumu"]["w_min"] = 0.5  # a two-photon option on another generator
    assert "w_min and recoil_theta_range need generator two_photon" in (
        _one_line_error(tmp_path, data)
    )
    data = _default_dict()
    data["selection"]["muon_cluster_energy_max"] = -0.5
    assert "selection.muon_cluster_energy_max" in _one_line_error(tmp_path, data)


def test_yaml_syntax_error_and_missing_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("luminosity: [79.7\nsearch: x\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml: YAML syntax error") as info:
        load_search_config(bad)
    assert "\n" not in str(info.value)
    with pytest.raises(ConfigError, match="not found"):
        load_search_config(tmp_path / "nothing.yaml")


def test_overrides_are_validated_too():
    cfg = load_search_config(overrides={"luminosity": 159.4, "run": {"seed": 7}})
    assert cfg.luminosity == 159.4 and cfg.run.seed == 7
    assert cfg.run.unit_size == load_search_config().run.unit_size  # merged, not replaced
    with pytest.raises(ConfigError, match=r"signal\.n_events"):
        load_search_config(overrides={"signal": {"n_events": 0}})


def test_merge_config_merges_dicts_and_replaces_lists():
    base = {"a": {"b": [1, 2], "c": 1.0}, "d": 2}
    out = merge_config(base, {"a": {"b": [3]}})
    assert out == {"a": {"b": [3], "c": 1.0}, "d": 2}
    assert base["a"]["b"] == [1, 2]  # not modified


def test_registry():
    entry = get_search("zprime-invisible")
    assert entry is SEARCHES["zprime-invisible"]
    assert entry.config_path() == default_config_path()
    assert hasattr(entry.load(), "process_chunk")
    with pytest.raises(ConfigError, match="unknown search 'monojet'; available: zprime-invisible"):
        get_search("monojet")


def test_angles_are_degrees_in_the_file():
    from darkscan.searches.zprime_invisible import cut_config

    cuts = cut_config(load_search_config())
    assert cuts["recoil_photon_veto_angle"] == pytest.approx(math.radians(15.0), rel=1e-15)
    assert cuts["muon_theta_range"] == pytest.approx((math.radians(45.0), math.radians(125.0)))


def test_simulated_statistics_guard_and_mc_stat_keys():
    cfg = load_search_config()
    # 68% CL Poisson upper bound for zero observed events: -ln(1 - 0.68) = 1.139 (PDG
    # Statistics review, PTEP 2022, 083C01, Poisson upper limits for n = 0)
    assert cfg.tau_suppression.mc_guard.zero_event_upper == pytest.approx(-math.log(0.32), abs=0.01)
    assert cfg.tau_suppression.mc_guard.min_raw_events == 3
    assert cfg.statistics.mc_stat == "gamma"
    off = load_search_config(
        overrides={"tau_suppression": {"mc_guard": {"zero_event_upper": 0, "min_raw_events": 0}}}
    )
    assert off.tau_suppression.mc_guard.min_raw_events == 0
    with pytest.raises(ConfigError, match="min_raw_events"):
        load_search_config(overrides={"tau_suppression": {"mc_guard": {"min_raw_events": -1}}})
    with pytest.raises(ConfigError, match="mc_stat"):
        load_search_config(overrides={"statistics": {"mc_stat": "poisson"}})


def test_per_background_unit_sizes(tmp_path):
    from darkscan.searches.zprime_invisible import plan

    cfg = load_search_config(overrides={"signal": {"n_events": 100}})
    assert cfg.run.unit_sizes == {"eemumu": 8192}
    tasks = [t for t in plan(cfg, [1.0]).tasks if t.sample == "eemumu"]
    n = cfg.backgrounds["eemumu"].n_events
    # one unit per chunk: ceil(n / 8192) tasks, so the slow sample spreads over the workers
    assert len(tasks) == -(-n // 8192) and {t.unit_size for t in tasks} == {8192}
    assert sum(t.n_events for t in tasks) == n
    data = _default_dict()
    data["run"]["unit_sizes"] = {"ee_mumu": 8192}
    msg = _one_line_error(tmp_path, data)
    assert "run.unit_sizes names 'ee_mumu', not a background" in msg and "eemumu" in msg
    data["run"]["unit_sizes"] = {"eemumu": 10}
    assert "[100, 10000000]" in _one_line_error(tmp_path, data)
    # optional: a configuration without the key uses run.unit_size for every sample
    data = _default_dict()
    del data["run"]["unit_sizes"]
    assert load_search_config(_write(tmp_path, data)).run.unit_sizes == {}


def test_generator_filters_are_validated_against_the_selection(tmp_path):
    # a p_T filter above the selection's cut minus the margin would remove selectable events
    data = _default_dict()
    data["backgrounds"]["mumu"]["pt_cms_min"] = 0.15
    msg = _one_line_error(tmp_path, data)
    assert "backgrounds.mumu.pt_cms_min = 0.15 GeV must be at most" in msg
    assert "selection.pt_mumu_cms_min - 0.1 = 0.1 GeV" in msg
    data = _default_dict()
    data["backgrounds"]["tautau"]["pt_cms_min"] = 0.05  # p_T filter only for mu mu samples
    assert "pt_cms_min needs generator two_photon or mumu_gamma" in _one_line_error(tmp_path, data)
    data = _default_dict()
    data["backgrounds"]["tautau"]["tau_decay_channels"] = ["mu", "tau_to_unicorns"]
    msg = _one_line_error(tmp_path, data)
    assert "backgrounds.tautau" in msg and "['tau_to_unicorns'] unknown" in msg
    data = _default_dict()
    data["backgrounds"]["mumu"]["tau_decay_channels"] = ["mu"]
    assert "tau_decay_channels needs generator tautau" in _one_line_error(tmp_path, data)
    data = _default_dict()
    data["backgrounds"]["tautau"]["tau_decay_channels"] = []
    assert "the list is empty" in _one_line_error(tmp_path, data)
