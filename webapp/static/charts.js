// Renders each chart of the page, as SVG, from the Vega-Lite specs and the rows embedded in it.
const {specs, datasets} = JSON.parse(document.getElementById("chart-specs").textContent);
window.cs360Charts = {};
const rendered = Object.entries(specs).map(async ([name, spec]) => {
  const result = await window.vegaEmbed(`#chart-${name}`, {...spec, datasets}, {renderer: "svg", actions: false});
  window.cs360Charts[name] = result.view;
});
Promise.all(rendered).then(() => { document.body.dataset.chartsReady = "true"; },
                           (error) => { document.body.dataset.chartsReady = "failed"; console.error(error); });
