#!/usr/bin/python3
"""Regenerates test/notebook/fixtures/frontends.ipynb: a small notebook executed with lemol's kernel.

    source scripts/jupyter-env.sh && /usr/bin/python3 scripts/frontends-fixture.py

The fixture holds one output of each kind lemol's notebooks make (a table, an animation, a figure
with its static image, a lemol error), so test/notebook/frontends.test.ts can render a real
executed notebook through JupyterLab's renderers in seconds, without starting a kernel. The six
shipped notebooks get the same check in CI on their executed copies (scripts/notebooks-test.sh).
Needs the set-up of `bash scripts/setup.sh --notebooks` (the kernel, the built library).
"""
import os

import nbformat
from nbclient import NotebookClient

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "test", "notebook", "fixtures", "frontends.ipynb")

CELLS = [
    'import { show, animate, recordEpisode, makeEnv, Figure, loadRun } from "lemol";',
    'show([{ scenario: "simple_push", agents: 2 }, { scenario: "simple_tag", agents: 4 }], { title: "two scenarios" });',
    'animate(recordEpisode(makeEnv("simple_push", { seed: 1 }), undefined, { steps: 4, seed: 1 }));',
    'new Figure([{ type: "scatter", mode: "lines", name: "reward", x: [1, 2, 3, 4], y: [0.5, 0.2, 0.7, 0.4] }], '
    '{ title: { text: "a figure" }, height: 300 }).show();',
    # the last cell fails (a cell after a failed one is cancelled): its output is a lemol error
    'loadRun("no-such-run");',
]


def main():
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "tslab", "display_name": "TypeScript", "language": "typescript"}
    nb.cells = [nbformat.v4.new_code_cell(src) for src in CELLS]
    nb.cells[-1].metadata["tags"] = ["raises-exception"]
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell-{i}"  # fixed ids: regenerating gives the same bytes when the outputs agree
    client = NotebookClient(
        nb,
        timeout=300,
        kernel_name="tslab",
        resources={"metadata": {"path": os.path.join(ROOT, "notebooks")}},
        startup_timeout=120,
        record_timing=False,
    )
    client.execute()
    kinds = [o.get("output_type") for c in nb.cells for o in c.get("outputs", [])]
    if "error" not in kinds:
        raise SystemExit(f"the last cell should have failed with an error output; outputs: {kinds}")
    nbformat.write(nb, OUT)
    print(f"{os.path.relpath(OUT, ROOT)}: {os.path.getsize(OUT) // 1024} KB, outputs {kinds}")


if __name__ == "__main__":
    main()
