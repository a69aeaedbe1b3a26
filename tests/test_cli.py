"""The command line: JSON output of the model commands, limits from a table, one-line errors."""

import json
import subprocess
import sys

import numpy as np
import pytest

from darkscan.cli import main
from darkscan.models import MODELS


def run_cli(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_models_list_json(capsys):
    code, out, _ = run_cli(capsys, "models", "list", "--json")
    assert code == 0
    names = [row["name"] for row in json.loads(out)]
    assert names == list(MODELS)
    assert len(names) == 7


@pytest.mark.parametrize(
    ("model", "mass"),
    [
        ("dark-photon", 0.3),
        ("lmu-ltau", 0.5),
        ("dark-higgs", 0.5),
        ("alp", 1.0),
        ("dark-scalar", 0.3),
        ("inelastic-dm", 0.3),
    ],
)
def test_models_show_every_model_at_belle2(capsys, model, mass):
    code, out, err = run_cli(capsys, "models", "show", model, "--mass", str(mass), "--json")
    assert code == 0, err
    payload = json.loads(out)
    assert payload["collider"] == "SuperKEKB/Belle II"
    assert len(payload["quantities"]) >= 3
    assert payload["parameters"][MODELS[model].mass_field] == pytest.approx(mass)


def test_models_show_lmu_ltau_invisible_branching_ratio(capsys):
    # Between 2 m_mu and 2 m_tau: Gamma(nu nu) = Gamma(mu mu)/2 * 2 flavours -> BR(inv) -> 1/2
    # (Altmannshofer et al. arXiv:1406.2332; Belle II PRL 124, 141801); at 0.5 GeV the muon
    # phase-space factor (1 + 2x) sqrt(1 - 4x), x = m_mu^2/m^2, makes it 0.5032.
    code, out, _ = run_cli(
        capsys, "models", "show", "lmu-ltau", "--mass", "0.5", "--coupling", "5e-4", "--json"
    )
    assert code == 0
    quantities = {q["name"]: q["value"] for q in json.loads(out)["quantities"]}
    br = next(v for k, v in quantities.items() if "invisible" in k)
    x = 0.1056583755**2 / 0.5**2
    expected = 1.0 / (1.0 + (1 + 2 * x) * np.sqrt(1 - 4 * x))
    assert br == pytest.approx(expected, rel=1e-6)


def test_models_show_x17_at_padme(capsys):
    code, out, _ = run_cli(
        capsys, "models", "show", "x17", "--mass", "0.0168", "--collider", "padme", "--json"
    )
    assert code == 0
    assert json.loads(out)["sqrt_s"] == pytest.approx(0.01699, rel=1e-3)


def test_models_show_extra_parameter(capsys):
    code, out, _ = run_cli(
        capsys,
        "models",
        "show",
        "dark-photon",
        "--mass",
        "0.3",
        "--param",
        "m_chi=0.1",
        "--param",
        "alpha_dark=0.5",
        "--json",
    )
    assert code == 0
    quantities = {q["name"]: q["value"] for q in json.loads(out)["quantities"]}
    br_chi = next(v for k, v in quantities.items() if k.startswith("BR") and "chi" in k)
    assert br_chi > 0.99  # alpha_D >> alpha eps^2: the A' decays invisibly


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["models", "show", "foo", "--mass", "1"], "unknown model 'foo'"),
        (["models", "show", "alp", "--mass", "-1"], "outside the allowed range"),
        (["models", "show", "alp", "--mass", "11"], "above sqrt(s)"),
        (["models", "show", "alp", "--mass", "abc"], "--mass"),
        (["models", "show", "alp", "--mass", "1", "--coupling", "nan"], "finite"),
        (["models", "show", "alp", "--mass", "1", "--param", "foo=1"], "allowed: g_agg, m_a"),
        (["models", "show", "alp", "--mass", "1", "--collider", "lep"], "unknown collider"),
        (["models", "plot", "alp", "--mass-min", "2", "--mass-max", "1"], "mass range"),
    ],
)
def test_bad_input_gives_one_line_and_exit_2(capsys, args, fragment):
    code, _out, err = run_cli(capsys, *args)
    assert code == 2
    assert fragment in err
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_models_plot_writes_png(capsys, tmp_path):
    target = tmp_path / "br.png"
    code, _out, _ = run_cli(capsys, "models", "plot", "lmu-ltau", "-o", str(target))
    assert code == 0
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in tmp_path.iterdir()] == ["br.png"]


def _write_table(path, rows):
    header = "mass,n_obs,background,efficiency,luminosity,rel_unc_efficiency_trigger,rel_unc_background\n"
    path.write_text(header + "".join(",".join(str(v) for v in row) + "\n" for row in rows))


@pytest.mark.parametrize("method", ["bayes", "cls", "cls-asymptotic", "fc"])
def test_limits_from_table(capsys, tmp_path, method):
    table = tmp_path / "bins.csv"
    first = (
        (0.5, 10000, 10000.0, 0.5, 10.0, 0.0, 0.0)
        if method == "cls-asymptotic"
        else (0.5, 0, 0.0, 0.5, 10.0, 0.0, 0.0)
    )
    _write_table(table, [first, (1.0, 5, 3.0, 0.2, 79.7, 0.06, 0.2)])
    output = tmp_path / "limits.json"
    code, _out, err = run_cli(capsys, "limits", str(table), "--method", method, "-o", str(output))
    assert code == 0, err
    result = json.loads(output.read_text())
    ul = result["columns"]["upper_limit"]
    if method == "cls-asymptotic":
        # n = b >> 1: mu_hat = 0, sigma_mu ~ sqrt(b), CLs = 0.10 with CLb = 1/2 gives
        # s_up = sqrt(b) * Phi^-1(1 - 0.05) = 164.5 events (Cowan et al. arXiv:1007.1727, sec. 3.8)
        assert ul[0] * 5.0 == pytest.approx(100 * 1.6449, rel=0.01)
        assert result["columns"]["expected_median"][0] * 5.0 == pytest.approx(164.5, rel=0.01)
    elif method != "fc":
        # n = 0, b = 0, no systematics: 90% limit on the yield is -ln(0.1) = 2.3026 (Helene,
        # NIM 212 (1983) 319) for Bayes and CLs alike; sigma = 2.3026 / (L eps) = 0.46052 fb
        assert ul[0] == pytest.approx(-np.log(0.1) / 5.0, rel=1e-4)
    else:
        # Feldman & Cousins, PRD 57, 3873 (1998), Table IV: n = 0, b = 0 -> [0, 2.44]
        assert ul[0] * 5.0 == pytest.approx(2.44, abs=0.005)
    assert ul[1] > 0


def test_limits_bad_table_writes_nothing(capsys, tmp_path):
    table = tmp_path / "bad.csv"
    _write_table(table, [(0.5, 3, 1.0, 1.5, 10.0, 0.0, 0.0)])
    output = tmp_path / "limits.json"
    code, _, err = run_cli(capsys, "limits", str(table), "-o", str(output))
    assert code == 2
    assert "efficiency" in err and "row 1" in err
    assert not output.exists()


def test_module_entry_point_one_line_error():
    proc = subprocess.run(
        [sys.executable, "-m", "darkscan", "models", "show", "alp", "--mass", "abc"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().count("\n") == 0


def test_generate_writes_parquet_sample(capsys, tmp_path):
    from darkscan.io import read_sample

    target = tmp_path / "alp.parquet"
    code, out, err = run_cli(
        capsys,
        "generate",
        "gamma-alp",
        "--mass",
        "1.0",
        "-n",
        "300",
        "--seed",
        "5",
        "-o",
        str(target),
    )
    assert code == 0, err
    sample = read_sample(target)
    assert sample.n_events == 300
    assert "wrote" in out


def test_generate_list_and_bad_output(capsys, tmp_path):
    code, out, _ = run_cli(capsys, "generate", "--list")
    assert code == 0 and "mumu-zprime" in out
    code, _, err = run_cli(
        capsys, "generate", "gamma-alp", "--mass", "1", "-o", str(tmp_path / "x.csv")
    )
    assert code == 2 and ".parquet" in err
    assert not (tmp_path / "x.csv").exists()


def test_detector_show_and_simulate_with_an_edited_card(capsys, tmp_path):
    from darkscan.detector import load_card, read_reco_sample

    code, out, _ = run_cli(capsys, "detector", "show")
    assert code == 0 and "[tracking]" in out and "arXiv:1011.0352" in out
    card = tmp_path / "mycard.toml"
    card.write_text(out.replace("theta_min = 17.0 ", "theta_min = 25.0 ", 1))
    assert load_card(card).tracking.theta_min == 25.0

    truth = tmp_path / "alp.parquet"
    assert (
        run_cli(capsys, "generate", "gamma-alp", "--mass", "0.5", "-n", "200", "-o", str(truth))[0]
        == 0
    )
    reco = tmp_path / "alp_reco.parquet"
    code, out, err = run_cli(capsys, "simulate", str(truth), "-o", str(reco), "--card", str(card))
    assert code == 0, err
    assert len(read_reco_sample(reco).events) == 200

    card.write_text(card.read_text() + "\nfoo = 1\n")
    code, _, err = run_cli(
        capsys, "simulate", str(truth), "-o", str(tmp_path / "x.parquet"), "--card", str(card)
    )
    assert code == 2 and "unknown key" in err and str(card) in err
    assert not (tmp_path / "x.parquet").exists()
