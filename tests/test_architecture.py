"""The layout STYLE.md promises, checked: the pure core imports no framework."""

from __future__ import annotations

import os
from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_are_kept(capsys):
    os.chdir(ROOT)
    exit_code = lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True)
    output = capsys.readouterr().out
    assert exit_code == 0, output
    assert "0 broken" in output


def test_the_pure_core_really_avoids_django_at_runtime():
    # The contract reads imports statically; this catches an import smuggled in by importlib.
    import subprocess
    import sys

    code = (
        "import sys, tenure.analytics, tenure.analytics.simulate, tenure.domain;"
        "print('django' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
