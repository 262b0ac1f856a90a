"""Every notebook in notebooks/ runs top to bottom in a fresh kernel without an error."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("folium")  # the viz extra
pytest.importorskip("matplotlib")

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))


def test_notebooks_found():
    assert PATHS, f"no notebooks in {NOTEBOOKS}"


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_notebook_runs(path: Path):
    nb = nbformat.read(path, as_version=4)
    assert all(
        c.get("outputs", []) == [] and c.get("execution_count") is None
        for c in nb.cells
        if c.cell_type == "code"
    ), f"{path.name}: outputs not stripped"
    client = nbclient.NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
    )
    start = time.monotonic()
    client.execute()  # raises CellExecutionError on the first failing cell
    elapsed = time.monotonic() - start
    assert elapsed < 90, f"{path.name} took {elapsed:.0f} s"
