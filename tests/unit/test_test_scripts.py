"""The suite's own scripts: shellcheck-clean, and they refuse to pass having run nothing."""
import glob
import os
import subprocess

from conftest import ROOT, needed_tool


def _scripts():
    return sorted(glob.glob(os.path.join(ROOT, "scripts", "*.sh"))) + [os.path.join(ROOT, ".ci", "run")]


def test_every_script_is_shellcheck_clean():
    shellcheck = needed_tool("shellcheck", "the suite's shell scripts are checked with it")
    run = subprocess.run([shellcheck] + _scripts(), capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stdout + run.stderr


def test_make_test_refuses_to_run_without_a_molecule_scenario():
    run = subprocess.run(["bash", os.path.join(ROOT, "scripts", "test-all.sh")],
                         capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode == 2
    assert "no molecule scenario named" in run.stderr
    assert not run.stdout


def test_molecule_lanes_refuse_zero_lanes_and_no_scenario():
    script = os.path.join(ROOT, "scripts", "molecule-lanes.sh")
    zero = subprocess.run(["bash", script, "default"], env=dict(os.environ, MOLECULE_LANES="0"),
                          capture_output=True, text=True, timeout=60, check=False)
    assert zero.returncode == 2 and "MOLECULE_LANES must be a whole number" in zero.stderr
    none = subprocess.run(["bash", script], capture_output=True, text=True, timeout=60, check=False)
    assert none.returncode == 2 and "no scenario to run" in none.stderr
