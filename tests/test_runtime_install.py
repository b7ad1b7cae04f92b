"""The runtime install does without the sandbox: importing every module of the runtime
packages never imports the world generator, the vendor doubles or their server libraries
(werkzeug, trustme), which come with the `cs360[sandbox]` extra; the commands that need
them say how to install it."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RUNTIME_PACKAGES = ("cs360_core", "cs360", "pipelines", "reverse_etl", "orchestration", "learning", "webapp")
SANDBOX_ONLY = ("sandbox", "werkzeug", "trustme")

# Makes the sandbox and its server libraries unimportable, as on a runtime-only install.
BLOCK = textwrap.dedent(f"""
    import importlib.abc, sys
    class Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in {SANDBOX_ONLY!r}:
                raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
            return None
    sys.meta_path.insert(0, Block())
""")


def _python(code: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", BLOCK + textwrap.dedent(code), *args], cwd=REPO,
                          capture_output=True, text=True, timeout=300,
                          env={**_env(), "CS360_HOME": str(tmp_path / "home"),
                               "DAGSTER_HOME": str(tmp_path / "home" / "dagster")})


def _env() -> dict:
    import os
    return {k: v for k, v in os.environ.items() if not k.startswith(("CS360_", "DAGSTER_"))}


def test_every_runtime_module_imports_without_the_sandbox(tmp_path):
    done = _python(f"""
        import importlib, pkgutil
        names = []
        for package in {RUNTIME_PACKAGES!r}:
            root = importlib.import_module(package)
            names.append(package)
            for info in pkgutil.walk_packages(root.__path__, package + "."):
                importlib.import_module(info.name)
                names.append(info.name)
        leaked = sorted(m for m in sys.modules if m.split(".")[0] in {SANDBOX_ONLY!r})
        print(len(names), leaked)
    """, tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    count, leaked = done.stdout.split(" ", 1)
    assert int(count) > 50 and leaked.strip() == "[]"


def test_sandbox_commands_name_the_extra_when_it_is_missing(tmp_path):
    done = _python("""
        from cs360.cli import main
        sys.exit(main(sys.argv[1:]))
    """, tmp_path, "demo", "--size", "XS")
    assert done.returncode == 2
    assert done.stderr.strip() == ("cs360 demo needs the sandbox extra (sandbox is not installed): "
                                   "pip install 'cs360[sandbox]'")


def test_the_server_libraries_are_the_sandbox_extra_only():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    names = {spec.split("==")[0].split("[")[0].lower() for spec in project["dependencies"]}
    assert not names & {"werkzeug", "trustme"}
    assert {"werkzeug==3.1.9", "trustme==1.2.1"} <= set(project["optional-dependencies"]["sandbox"])
    assert "cs360[sandbox]" in project["optional-dependencies"]["dev"]
    assert {"tenacity", "python-dotenv", "urllib3"} <= names
    assert not any("filesystem" in spec for spec in project["dependencies"])
