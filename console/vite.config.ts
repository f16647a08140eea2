/**
 * Builds the gateway console (Preact + TypeScript) into dist/console, served by the gateway at
 * /console with assets under /console/assets (hashed names: cached forever). Paths are relative
 * to the package root, where npm runs `vite build --config console/vite.config.ts`.
 */
import { defineConfig } from "vite";

export default defineConfig({
  root: "console",
  base: "/console/",
  // No framework preset: esbuild compiles JSX for Preact directly.
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  publicDir: false,
  build: {
    outDir: "../dist/console",
    emptyOutDir: true,
    assetsDir: "assets",
    target: "es2022",
    // Modern browsers preload modules themselves; the polyfill would be dead weight.
    modulePreload: { polyfill: false },
    // Everything a file: the page's CSP allows no inline script or style.
    assetsInlineLimit: 0,
    reportCompressedSize: false,
  },
});
