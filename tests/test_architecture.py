"""The kernel imports no programme: the import-linter contract in pyproject.toml holds, and it
would catch an upward import."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def lint_imports() -> subprocess.CompletedProcess:
    return subprocess.run([str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_the_layers_hold():
    result = lint_imports()
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_kernel_module_importing_a_programme_breaks_the_contract():
    probe = ROOT / "foundation" / "upward_import_probe.py"
    probe.write_text("import members.models  # noqa: F401\n")
    try:
        result = lint_imports()
    finally:
        probe.unlink()
    assert result.returncode != 0
    assert "foundation.upward_import_probe -> members.models" in result.stdout
