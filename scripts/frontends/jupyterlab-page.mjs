// The page scripts/check-frontends.mjs opens: JupyterLab 4's own output renderers (the
// @jupyterlab/rendermime registry with its standard renderers and sanitizer, one
// @jupyterlab/outputarea OutputArea per code cell), bundled by esbuild. A notebook's outputs go in
// as they are stored in the .ipynb, trusted or not, exactly as JupyterLab's notebook panel hands them over.
import { OutputArea, OutputAreaModel } from "@jupyterlab/outputarea";
import { RenderMimeRegistry, standardRendererFactories } from "@jupyterlab/rendermime";
// @lumino/widgets comes with @jupyterlab/outputarea (its widget base): attaching runs the widget life cycle
import { Widget } from "@lumino/widgets";
// their base styles (index.css @imports with webpack-only "~" paths)
import "@jupyterlab/rendermime/style/base.css";
import "@jupyterlab/outputarea/style/base.css";

const rendermime = new RenderMimeRegistry({ initialFactories: standardRendererFactories });

/**
 * Renders each cell's outputs (an array of nbformat output lists) into one OutputArea each, under
 * `div.cell[data-cell=i]`. Renderers finish asynchronously: the checker waits for what it expects.
 */
window.renderCells = function renderCells(cells, trusted) {
  const root = document.getElementById("notebook");
  cells.forEach((outputs, i) => {
    const holder = document.createElement("div");
    holder.className = "cell";
    holder.dataset.cell = String(i);
    root.appendChild(holder);
    const model = new OutputAreaModel({ trusted });
    Widget.attach(new OutputArea({ model, rendermime }), holder);
    model.fromJSON(outputs);
  });
};
