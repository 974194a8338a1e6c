"""The README's notebook examples run as written and print what their comments say."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def python_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_the_readme_has_the_notebook_examples():
    assert len(python_blocks()) >= 4


def test_the_readme_examples_run_and_give_the_documented_figures():
    namespace: dict = {}
    here = Path.cwd()
    os.chdir(ROOT)  # the examples read the CDNOW sample by a path relative to the checkout
    try:
        for block in python_blocks():
            exec(compile(block, "README.md", "exec"), namespace)  # our own README
    finally:
        os.chdir(here)
    assert namespace["retention_rate"](start=20, end=24, acquired=5) == 95.0
    params = namespace["bgf"].params_
    assert params["r"] == pytest.approx(0.243, abs=5e-4)
    assert params["alpha"] == pytest.approx(4.414, abs=5e-4)
    assert params["a"] == pytest.approx(0.793, abs=5e-4)
    assert params["b"] == pytest.approx(2.426, abs=5e-4)
    assert set(namespace["bgf"].standard_errors_) == {"r", "alpha", "a", "b"}
    assert len(namespace["clv"]) == len(namespace["repeat"])
    assert (namespace["clv"] > 0).all()
    assert namespace["stats"].rows == 1_776
    for name, value in params.items():
        assert namespace["counted_bgf"].params_[name] == pytest.approx(value, rel=1e-9)
    for name, value in namespace["ggf"].params_.items():
        assert namespace["counted_ggf"].params_[name] == pytest.approx(value, rel=1e-9)
    sbg = namespace["sbg"].params_
    assert sbg["alpha"] == pytest.approx(0.704, abs=5e-4)
    assert sbg["beta"] == pytest.approx(1.182, abs=5e-4)
    assert "group" in namespace["scores"].columns
    assert namespace["heatmap"].iloc[0, 0] == 100.0
