import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    // plotly.js's registry requires maplibre-gl's 65 kB stylesheet for map traces, which this
    // page never registers; without the alias it would ship with the Plotly core.
    alias: [{
      find: /^maplibre-gl\/dist\/maplibre-gl\.css$/,
      replacement: fileURLToPath(new URL("src/plot/no-map.ts", import.meta.url)),
    }],
  },
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  // Plotly is split per trace type (src/plot/plotly.ts); no chunk should come near this.
  build: { outDir: "dist", chunkSizeWarningLimit: 1500 },
  test: { include: ["tests/unit/**/*.test.ts"] },
});
