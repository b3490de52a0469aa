"""The example notebooks: executed by pytest itself (nbmake), stored without outputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.ipynb"))


def test_there_are_at_least_three_example_notebooks():
    assert len(EXAMPLES) >= 3


@pytest.mark.parametrize("notebook", EXAMPLES, ids=lambda p: p.name)
def test_example_notebooks_are_stored_without_outputs(notebook: Path):
    cells = json.loads(notebook.read_text())["cells"]
    code = [c for c in cells if c["cell_type"] == "code"]
    assert all(not c["outputs"] and c["execution_count"] is None for c in code)
