"""The data scientists' notebooks run top to bottom against one ``forma up`` (the
session's stack, :mod:`tests.notebooks.conftest`), draw their figures, and never show an
e-mail or a user id; as stored in the repository, they carry no outputs."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

from tests.conftest import REPO_ROOT
from tests.notebooks.conftest import NotebookStack

pytestmark = pytest.mark.notebooks

NOTEBOOKS = REPO_ROOT / "notebooks"
NAMES = (
    "01_population.ipynb",
    "02_reproduce_champion.ipynb",
    "03_athlete_fitness_fatigue.ipynb",
)
#: seconds a cell may take (the reproduction refits the coach twice)
CELL_TIMEOUT_S = 600


def test_the_three_notebooks_are_there() -> None:
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == sorted(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_stored_notebooks_carry_no_outputs(name: str) -> None:
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.execution_count is None, (name, cell.source[:60])
            assert cell.outputs == [], (name, cell.source[:60])
        assert "attachments" not in cell, (name, cell.source[:60])


def _texts(output: dict[str, Any]) -> list[str]:
    """Every text an output shows: streams, tracebacks, and each non-image representation."""
    texts = [output.get("text", ""), output.get("evalue", ""), *output.get("traceback", [])]
    for mime, value in output.get("data", {}).items():
        if not mime.startswith("image/") or mime == "image/svg+xml":
            texts.append(value if isinstance(value, str) else json.dumps(value))
    return [t if isinstance(t, str) else "".join(t) for t in texts]


@pytest.mark.timeout(1800)
@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_and_draws(name: str, notebook_stack: NotebookStack, tmp_path: Path) -> None:
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    env = {
        **os.environ,
        **notebook_stack.env(),
        # the repository and its client package, as `pip install -e .` makes them importable
        "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), str(REPO_ROOT / "client")]),
    }
    client = NotebookClient(
        nb,
        kernel_name="python3",
        timeout=CELL_TIMEOUT_S,
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    started = time.monotonic()
    try:
        client.execute(env=env)  # raises CellExecutionError naming the failing cell
    finally:  # the executed notebook, outputs and all, to open when something is wrong
        nbformat.write(nb, tmp_path / name)
    seconds = time.monotonic() - started

    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    figures = [o for o in outputs if "image/png" in o.get("data", {})]
    assert figures, f"{name} drew no figure"
    shown = "\n".join(t for o in outputs for t in _texts(o)).lower()
    leaked = [who for who in notebook_stack.identities() if who.lower() in shown]
    assert not leaked, f"{name} shows {len(leaked)} e-mails or user ids"
    print(f"\n{name}: {len(figures)} figures in {seconds:.1f} s ({tmp_path / name})", flush=True)
