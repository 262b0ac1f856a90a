"""Every notebook in notebooks/ runs top to bottom in a fresh kernel without an error."""

from __future__ import annotations

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
    # the notebooks' solves stop on round counts; the timeout only guards against a hung kernel
    client = nbclient.NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
    )
    client.execute()  # raises CellExecutionError on the first failing cell
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.execution_count is not None for c in code), f"{path.name}: cells skipped"
    errors = [o for c in code for o in c.outputs if o.output_type == "error"]
    assert errors == [], f"{path.name}: {errors[0].ename}: {errors[0].evalue}"
