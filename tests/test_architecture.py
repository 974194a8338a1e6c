"""The layout STYLE.md promises, checked: the pure core imports no framework."""

from __future__ import annotations

import json
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
    # The contract reads imports statically; this imports every module of the pure core, so an
    # import smuggled in by importlib, or one in a module nothing else imports, is caught too.
    import subprocess
    import sys

    code = (
        "import importlib, json, pkgutil, sys, tenure.analytics, tenure.domain\n"
        "for package in (tenure.analytics, tenure.domain):\n"
        "    for module in pkgutil.walk_packages(package.__path__, package.__name__ + '.'):\n"
        "        importlib.import_module(module.name)\n"
        "print(json.dumps(sorted(name for name in sys.modules if name.startswith('tenure.'))))\n"
        "print(json.dumps([m for m in ('django', 'ninja', 'psycopg') if m in sys.modules]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    imported, frameworks = (json.loads(line) for line in out.stdout.strip().splitlines())
    assert "tenure.domain.lifecycle.replay" in imported  # the walk reached the subpackages
    assert frameworks == []
    pure = ("tenure.analytics", "tenure.domain")
    assert [name for name in imported if not name.startswith(pure) and name != "tenure"] == []
