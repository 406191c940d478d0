// Runs inside a page (puppeteer's page.evaluate): the lemol figures under a selector, and how many
// show a loaded static image (an untrusted notebook, GitHub, a page with JavaScript off).
export function staticFigures(selector) {
  const all = [...document.querySelectorAll(selector)];
  const shown = all.filter((f) => {
    const img = f.querySelector("img.lemol-plot-static");
    if (!img || !img.complete || img.naturalWidth < 100) return false;
    const box = img.getBoundingClientRect();
    return box.width > 100 && box.height > 50 && getComputedStyle(img).display !== "none";
  });
  return { all: all.length, shown: shown.length };
}
