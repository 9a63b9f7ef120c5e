// plotly.js's partial entry points (CommonJS, untyped): the core (with scatter) typed as
// the full library's API, and one registrable module per trace type.
declare module "plotly.js/lib/core" {
  import * as Plotly from "plotly.js";
  export default Plotly;
}
declare module "plotly.js/lib/contour" {
  const trace: import("plotly.js").PlotlyModule;
  export default trace;
}
declare module "plotly.js/lib/bar" {
  const trace: import("plotly.js").PlotlyModule;
  export default trace;
}
declare module "plotly.js/lib/box" {
  const trace: import("plotly.js").PlotlyModule;
  export default trace;
}
