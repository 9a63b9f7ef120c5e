// Stands in for maplibre-gl's stylesheet, which plotly.js requires for map traces: this
// page registers none (see vite.config.ts).
export {};
