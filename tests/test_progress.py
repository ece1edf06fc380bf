"""helpers.progress: the bar a saved notebook keeps is text, not a widget (issue 14)."""

import json

import nbformat

from helpers import progress


def test_outside_jupyter_it_is_tqdm_auto():
    from tqdm.auto import tqdm
    assert progress.tqdm is tqdm and progress.WIDGET_BARS is False
    assert list(progress.trange(3, disable=True)) == [0, 1, 2]


def test_final_line_is_one_readable_line():
    bar = progress.tqdm(total=4, desc="training", disable=False, file=open("/dev/null", "w"))
    bar.update(4)
    bar.set_postfix(loss="0.5")
    line = progress.final_line(bar)
    bar.close()
    assert "\n" not in line and line.startswith("training: 100%") and "4/4" in line and "loss=0.5" in line


def test_saved_notebook_keeps_text_not_a_widget(tmp_path):
    """Run in a real kernel (nbclient, as the autograder does): while running the bar is a widget;
    the saved notebook holds the final text line of each bar and no widget view."""
    from nbclient import NotebookClient
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell(
            "from helpers.progress import tqdm, WIDGET_BARS\nassert WIDGET_BARS\n"
            "for _ in tqdm(range(20), desc='demo'):\n    pass"),
        nbformat.v4.new_code_cell(
            "for _ in tqdm(range(5), desc='inner', leave=False):\n    pass\n"
            "bar = tqdm(total=10, desc='stopped')\nbar.update(4)\nbar.close()"),
        nbformat.v4.new_code_cell(
            "import torch\nfrom helpers.training import fit\nmodel = torch.nn.Linear(2, 1)\n"
            "batches = [torch.randn(8, 2) for _ in range(3)]\n"
            "h = fit(model, lambda m, x: m(x).pow(2).mean(), batches, torch.optim.SGD(model.parameters(), 0.1),"
            " epochs=2, desc='fit')"),
    ])
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    saved = json.dumps([c.outputs for c in nb.cells])
    assert "application/vnd.jupyter.widget-view+json" not in saved, saved[:2000]
    texts = [[o["data"]["text/plain"] for o in c.outputs if o["output_type"] == "display_data"] for c in nb.cells]
    assert len(texts[0]) == 1 and texts[0][0].startswith("demo: 100%") and "20/20" in texts[0][0]
    assert texts[1][0] == ""  # leave=False: nothing left behind
    assert texts[1][1].startswith("stopped:  40%") and "4/10" in texts[1][1]  # unfinished: kept, with its count
    assert len(texts[2]) == 1 and texts[2][0].startswith("fit: 100%")
    assert "6/6" in texts[2][0] and "loss=" in texts[2][0]
