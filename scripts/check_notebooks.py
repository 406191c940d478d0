#!/usr/bin/python3
"""Checks executed notebooks are fit to share (issue 16's checks, run by scripts/notebooks-test.sh).

    /usr/bin/python3 scripts/check_notebooks.py RUN1_DIR [RUN2_DIR] [--max-kb 800]

For each executed notebook in RUN1_DIR:
  - its size is under --max-kb (the plotly.js bundle is never stored; figures' numbers are rounded);
  - no output holds an absolute path of this machine (outputs name paths relative to the notebook);
  - every lemol figure carries its static image (for viewers that run no scripts);
  - with RUN2_DIR (the same notebooks executed again with the same seeds): every output is the
    same, byte for byte, once timings are masked (durations, speeds, ETAs, wall-clock stamps, run ids).
Prints one line per notebook; exit status 1 if any check failed.
"""
import argparse
import glob
import json
import os
import re
import sys

# durations and speeds as lemol prints them, and wall-clock stamps (run directories are named by time)
TIMINGS = [
    (re.compile(r"\d+(\.\d+)? s\b"), "<t>"),
    (re.compile(r"\b\d+m \d+s\b|\b\d+h \d+m\b"), "<t>"),
    # a rate, or "–" before the first measurement
    (re.compile(r"(?:[\d,]+|–) steps/s"), "<n> steps/s"),
    (re.compile(r"ETA [^·<\n\"]*"), "ETA <t>"),
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d[-:]\d\d[-:]\d\d([-.:]\d+)?Z?"), "<date>"),
    # a run's identity (manifest run_id), new for every run like its start time
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"), "<uuid>"),
]
ABSOLUTE = re.compile(r"(?<![\w.:/])/(?:tmp|home|root|work|usr|var|opt|srv|mnt)/[\w.-]+")


def outputs(nb):
    for index, cell in enumerate(nb.get("cells", [])):
        for out in cell.get("outputs", []):
            yield index, out


def text_of(out):
    parts = []
    if "text" in out:
        parts.append("".join(out["text"]) if isinstance(out["text"], list) else out["text"])
    for value in out.get("data", {}).values():
        parts.append("".join(value) if isinstance(value, list) else value if isinstance(value, str) else json.dumps(value, sort_keys=True))
    if out.get("output_type") == "error":
        parts.append("\n".join(out.get("traceback", [])))
    return "\n".join(parts)


def masked(text):
    for pattern, repl in TIMINGS:
        text = pattern.sub(repl, text)
    return text


def check(path, again, max_kb):
    problems = []
    size = os.path.getsize(path)
    if size > max_kb * 1024:
        problems.append(f"{size / 1024:.0f} KB, over {max_kb} KB")
    with open(path, encoding="utf-8") as f:
        nb = json.load(f)
    figures = 0
    for index, out in outputs(nb):
        text = text_of(out)
        for m in ABSOLUTE.finditer(re.sub(r"base64,[A-Za-z0-9+/=]+", "", text)):
            problems.append(f"cell {index}: an absolute path in an output: {m.group(0)}")
        for fig in re.findall(r'<div class="lemol-figure"[^>]*>(.{0,80})', text):
            figures += 1
            if not fig.startswith('<img class="lemol-plot-static"'):
                problems.append(f"cell {index}: a figure without its static image")
    if again is not None:
        with open(again, encoding="utf-8") as f:
            nb2 = json.load(f)
        first = [(i, masked(text_of(o))) for i, o in outputs(nb)]
        second = [(i, masked(text_of(o))) for i, o in outputs(nb2)]
        if len(first) != len(second):
            problems.append(f"{len(first)} outputs, then {len(second)} when run again")
        for (i, a), (_, b) in zip(first, second):
            if a != b:
                k = next(k for k in range(min(len(a), len(b)) + 1) if k == min(len(a), len(b)) or a[k] != b[k])
                problems.append(f"cell {i}: a different output when run again, from ...{a[max(0, k - 60):k + 60]!r} vs ...{b[max(0, k - 60):k + 60]!r}")
                break
    return size, figures, problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run1")
    parser.add_argument("run2", nargs="?")
    parser.add_argument("--max-kb", type=int, default=800)
    args = parser.parse_args()
    failed = 0
    files = sorted(glob.glob(os.path.join(args.run1, "*.ipynb")))
    if not files:
        sys.exit(f"no executed notebooks in {args.run1}")
    for path in files:
        again = os.path.join(args.run2, os.path.basename(path)) if args.run2 else None
        size, figures, problems = check(path, again, args.max_kb)
        summary = f"{size / 1024:.0f} KB, {figures} figures with static images" + (", same outputs when run again" if again else "")
        if problems:
            failed += 1
            print(f"FAIL {path}: {summary}")
            for p in problems[:10]:
                print(f"  - {p}")
        else:
            print(f"PASS {path}: {summary}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
