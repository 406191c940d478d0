#!/usr/bin/python3
"""Exports an executed lemol notebook to one self-contained HTML file that works offline.

    /usr/bin/python3 scripts/export_html.py NOTEBOOK.ipynb [OUT.html]

nbconvert's HTML with two changes: the plotly.js bundle is put into the page's head when the
notebook has lemol figures (notebooks never store it: src/notebook/plotly.ts), so the plots are
live; and nbconvert's MathJax loader is left out (lemol's notebooks have no formulas, and offline
it only shows a "Loading [MathJax]" box). Each figure keeps its static image for readers with
JavaScript off.
"""
import os
import re
import sys

import nbformat
from nbconvert import HTMLExporter

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUNDLES = {
    "basic": "plotly.js-basic-dist-min/plotly-basic.min.js",
    "full": "plotly.js-dist-min/plotly.min.js",
}
MATHJAX = re.compile(r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->", re.S)


def plotly_bundle(flavor):
    """The bundle from lemol's node_modules (the package's own, or the project's beside it)."""
    for base in (os.path.join(ROOT, "node_modules"), os.path.join(os.getcwd(), "node_modules")):
        path = os.path.join(base, BUNDLES[flavor])
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                return f.read()
    raise FileNotFoundError(f"plotly.js ({BUNDLES[flavor]}) not found under node_modules: run npm install")


def to_html(nb, plotly=True):
    """The page; plotly=False leaves the bundle out (a static render such as nbviewer's or GitHub's)."""
    body, _ = HTMLExporter().from_notebook_node(nb)
    body = MATHJAX.sub("", body)
    if plotly and "data-lemol-figure" in body:
        flavor = "full" if 'data-lemol-plotly="full"' in body else "basic"
        script = "<script type=\"text/javascript\">" + plotly_bundle(flavor).replace("</script", "<\\/script") + "</script>"
        body = body.replace("</head>", script + "\n</head>", 1)
    return body


def export(path, out=None):
    nb = nbformat.read(path, as_version=4)
    out = out or os.path.splitext(path)[0] + ".html"
    with open(out, "w", encoding="utf-8") as f:
        f.write(to_html(nb))
    return out


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__.strip().splitlines()[2].strip())
    print(export(*sys.argv[1:]))
