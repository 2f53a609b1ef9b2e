// plotly.js's core (scatter, the cartesian axes, hover, annotations, shapes, layout images, the
// modebar) plus the trace types nnviz's views draw. Keep the list in step with
// nnviz.views.figure.TRACE_TYPES (tests/browser check the built bundle against it).
var Plotly = require("plotly.js/lib/core");

Plotly.register([require("plotly.js/lib/bar"), require("plotly.js/lib/heatmap"), require("plotly.js/lib/contour")]);

module.exports = Plotly;
