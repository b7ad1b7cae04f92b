"""The dependency rule: cs360_core below everything, the CLI package imported by nothing.

`lint-imports` checks the layers contract of pyproject.toml over the real packages; the
same contract over a planted violation proves it is not vacuous.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = str(Path(sys.executable).with_name("lint-imports"))


def _lint(cwd: Path, config: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    return subprocess.run([LINT_IMPORTS, "--config", str(config), "--no-cache"], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def _contract() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]


def test_the_packages_keep_the_layers():
    result = _lint(ROOT, ROOT / "pyproject.toml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 1 kept, 0 broken." in result.stdout


def test_the_layers_put_core_at_the_bottom_and_the_cli_on_top():
    [contract] = _contract()["contracts"]
    assert contract["type"] == "layers"
    assert contract["layers"] == ["cs360", "webapp", "orchestration", "reverse_etl", "pipelines | learning",
                                  "cs360_core"]


def test_a_core_module_importing_the_cli_breaks_the_contract(tmp_path):
    config = _contract()
    for package in config["root_packages"]:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "cs360_core" / "settings.py").write_text("from cs360 import cli\n")
    (tmp_path / "cs360" / "cli.py").write_text("import cs360_core.settings\n")
    [contract] = config["contracts"]
    layers = ", ".join(f'"{layer}"' for layer in contract["layers"])
    roots = ", ".join(f'"{package}"' for package in config["root_packages"])
    (tmp_path / "pyproject.toml").write_text(
        f"[tool.importlinter]\nroot_packages = [{roots}]\n\n[[tool.importlinter.contracts]]\n"
        f'name = "layers"\ntype = "layers"\nlayers = [{layers}]\n')

    result = _lint(tmp_path, tmp_path / "pyproject.toml")

    assert result.returncode == 1
    assert "cs360_core is not allowed to import cs360" in result.stdout
    assert "cs360_core.settings -> cs360.cli" in result.stdout
