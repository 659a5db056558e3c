"""docs/example.ipynb runs from top to bottom in a Jupyter kernel and finds its one mistake (rect'(0) = 1).

Executed by nbclient on a python3 kernel (ipykernel). Where no kernel can be
started, the code cells run with ``exec`` in one fresh namespace, as a kernel
would run them: that checks the same calls but not the display.
"""

import contextlib
import io

import pytest

from support import ROOT

NOTEBOOK = ROOT / "docs" / "example.ipynb"


def _in_a_kernel(nb, folder):
    """The notebook executed; None when no kernel can be started here."""
    try:
        from jupyter_client.kernelspec import NoSuchKernel
        from nbclient import NotebookClient
    except ImportError:
        return None
    try:
        NotebookClient(nb, kernel_name="python3", timeout=600, resources={"metadata": {"path": str(folder)}}).execute()
    except NoSuchKernel:
        return None
    return nb


def _by_exec(nb, folder, monkeypatch):
    monkeypatch.chdir(folder)
    space, printed = {"__name__": "__main__"}, io.StringIO()
    with contextlib.redirect_stdout(printed):
        for cell in nb.cells:
            if cell.cell_type == "code":
                exec(compile(cell.source, "<cell>", "exec"), space)
    return space["result"]._repr_html_(), printed.getvalue()


def test_the_example_notebook_runs_and_finds_the_bug(tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    executed = _in_a_kernel(nb, tmp_path)
    if executed is None:
        html, printed = _by_exec(nb, tmp_path, monkeypatch)
    else:
        outputs = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs]
        assert not [o for o in outputs if o.output_type == "error"], outputs
        html = "".join(o.get("data", {}).get("text/html", "") for o in outputs)
        printed = "".join(o.get("text", "") for o in outputs if o.output_type == "stream" and o.name == "stdout")
        # a run that went well writes nothing on stderr: no text bars where ipywidgets is missing, no warning
        assert not [o for o in outputs if o.output_type == "stream" and o.name == "stderr"], outputs
    # the report, with a picture per root cause (A7, B13/B14) and what B13 explains folded under it
    assert html.count('class="hg-heatmap"') >= 2 and "∂L/∂ha" in html and "inherited by" in html
    assert "passed: False" in printed and "'A7': 'fail'" in printed and "'B7': 'pass'" in printed
    assert "'B13': 'fail'" in printed and "d_rect(x) vs jax.grad(rect)" in printed
    assert not (tmp_path / ".hypothesis").exists()
