"""Strategy plugins: the airegime.strategies entry points, built-in and third-party."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from airegime import registry
from airegime.config import validate_config

ROOT = Path(__file__).resolve().parents[1]

PLUGIN = '''
import pandas as pd
from airegime.strategy import Params, Strategy


class FirstName(Strategy):
    """Hold the first tradable name only."""

    summary = "all in the first name"

    class Params(Params):
        pass

    def target_weights(self, view) -> pd.Series:
        return pd.Series({view.tradable()[0]: 1.0})
'''


def install_fake_distribution(site: Path, entry_points: str, module: str | None = None) -> None:
    """A package as pip would leave it: the module and a dist-info with entry_points.txt."""
    if module is not None:
        (site / "acme_strategies.py").write_text(module)
    info = site / "acme_strategies-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-strategies\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[airegime.strategies]\n{entry_points}\n")


@pytest.fixture
def site(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    registry.reload_plugins()
    yield tmp_path
    sys.modules.pop("acme_strategies", None)
    registry.reload_plugins()


def test_builtin_strategies_are_registered_through_entry_points():
    from importlib import metadata

    names = {ep.name for ep in metadata.entry_points(group=registry.GROUP)}
    assert {"equal_weight", "regime_aware", "article_composite"} <= names
    assert set(registry.registered()) >= names


def test_a_third_party_package_adds_a_strategy_usable_in_configs(site):
    install_fake_distribution(site, "first_name = acme_strategies:FirstName", PLUGIN)
    assert "first_name" in registry.registered()
    config = validate_config(
        {
            "name": "x",
            "strategy": {"name": "first_name"},
            "universe": ["NVDA"],
            "start": "2020-01-01",
            "end": "2020-12-31",
        }
    )
    assert type(config.build_strategy()).__name__ == "FirstName"


def test_a_plugin_cannot_shadow_a_builtin_name(site):
    install_fake_distribution(site, "equal_weight = acme_strategies:FirstName", PLUGIN)
    assert registry.registered()["equal_weight"].__module__ == "strategies.equal_weight"
    assert "name is taken" in registry.problems["equal_weight"]


def test_a_broken_plugin_is_named_when_asked_for_and_spares_the_others(site):
    install_fake_distribution(site, "broken = acme_missing_module:Nothing")
    assert "equal_weight" in registry.registered()
    with pytest.raises(LookupError, match="strategy 'broken': the entry point acme_missing_module"):
        registry.resolve_strategy("broken")


def test_a_plugin_that_fails_on_import_is_named_with_its_error_and_line(site):
    install_fake_distribution(site, "fragile = acme_strategies:FirstName", "x = 1\ny = 1 / 0\n")
    with pytest.raises(LookupError) as info:
        registry.resolve_strategy("fragile")
    assert "acme_strategies:FirstName cannot be imported (ZeroDivisionError: division by zero" in (
        str(info.value)
    )
    assert "acme_strategies.py:2 (strategy fragile, importing it)" in str(info.value)


def test_strategies_import_airegime_modules_not_the_package_root():
    for path in sorted((ROOT / "strategies").glob("*.py")):
        tree = ast.parse(path.read_text())
        roots = [
            n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module == "airegime"
        ]
        assert not roots, f"{path.name}: import from airegime.<module>, not from airegime"


def test_a_strategy_module_imports_on_its_own():
    code = "import strategies.regime_aware, strategies.composite; print('ok')"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr
