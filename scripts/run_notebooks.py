#!/usr/bin/python3
"""Executes notebooks headless with the tslab kernel and exports each one to HTML.

Never uses --allow-errors: tslab silently aborts the cells after a failing one, so a failure must
stop the notebook and be reported. tslab sends no `error` message either; the real message is on
the failing cell's stderr stream, which is printed here with the cell's source.

For each notebook: run it (kernel working directory = the notebook's folder, a per-cell timeout
from the cell's metadata `timeout` or --timeout), ALWAYS write the (partially) executed notebook
to --out, export it to HTML next to it (unless --no-html), print PASS/FAIL with the time taken.
Exit status 1 if any notebook failed.
"""
import argparse
import os
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError


def failing_cell(nb):
    """The first code cell with stderr output (tslab's only error channel), else None."""
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                return index, cell
            if out.get("output_type") == "error":
                return index, cell
    return None


def describe_failure(nb, err, limit=3000):
    lines = []
    found = failing_cell(nb)
    if found is None:
        lines.append(str(err)[-limit:])
        return "\n".join(lines)
    index, cell = found
    lines.append(f"--- cell {index} source ---")
    lines.append(cell.source)
    lines.append(f"--- cell {index} output ---")
    text = ""
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            text += out.get("text", "")
        elif out.get("output_type") == "error":
            text += "\n".join(out.get("traceback", [])) or f"{out.get('ename')}: {out.get('evalue')}"
    lines.append(text[-limit:])
    return "\n".join(lines)


def export_html(nb, path):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from export_html import to_html

    with open(path, "w", encoding="utf-8") as f:
        f.write(to_html(nb))


def run(path, out_dir, timeout, html, kernel):
    nb = nbformat.read(path, as_version=4)
    started = time.time()
    client = NotebookClient(
        nb,
        timeout=timeout,
        interrupt_on_timeout=True,
        kernel_name=kernel or nb.metadata.get("kernelspec", {}).get("name", "tslab"),
        timeout_func=lambda cell: cell.metadata.get("timeout", timeout),
        resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}},
        startup_timeout=120,
        record_timing=False,  # no timestamps in the executed notebook: re-runs compare byte for byte
    )
    error = None
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as e:
        error = e
    elapsed = time.time() - started
    os.makedirs(out_dir, exist_ok=True)
    name = os.path.basename(path)
    out_path = os.path.join(out_dir, name)
    nbformat.write(nb, out_path)
    if html:
        export_html(nb, os.path.splitext(out_path)[0] + ".html")
    if error is None:
        print(f"PASS {path} ({elapsed:.1f} s)", flush=True)
        return True
    print(f"FAIL {path} ({elapsed:.1f} s): {type(error).__name__}", flush=True)
    print(describe_failure(nb, error), flush=True)
    return False


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+")
    parser.add_argument("--out", default="build/notebooks", help="where executed notebooks and HTML go")
    parser.add_argument("--timeout", type=int, default=300, help="per-cell timeout in seconds (cell metadata 'timeout' overrides)")
    parser.add_argument("--no-html", action="store_true", help="do not export HTML")
    parser.add_argument("--kernel", default=None, help="kernel name (default: the notebook's own)")
    args = parser.parse_args()
    ok = True
    for path in args.notebooks:
        ok = run(path, args.out, args.timeout, not args.no_html, args.kernel) and ok
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
