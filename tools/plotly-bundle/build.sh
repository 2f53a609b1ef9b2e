#!/usr/bin/env bash
# Builds nnviz/static/plotly-nnviz-<version>.min.js from the npm plotly.js package (run by hand
# when the plotly.js version or nnviz's trace types change; the built file is committed, so
# `make dashboard` and `make test` need neither node nor the network).
#
# Why not plotly.js's own cartesian dist: it wraps the library in a UMD factory that Chromium
# compiles eagerly; this esbuild IIFE is compiled lazily and carries 4 trace types instead of 11
# plus world calendars. Measured in headless Chromium here: evaluation 0.49-0.63 s -> 0.15-0.18 s,
# evaluation + the first plot 0.65 -> 0.41 s, 1.50 MB -> 1.21 MB (gzip 497 -> 418 KB).
# The only CSS import left, maplibre's, is for map traces: --loader:.css=empty drops it.
set -euo pipefail
cd "$(dirname "$0")"
npm install --no-audit --no-fund --ignore-scripts --silent
version=$(node -p 'require("plotly.js/package.json").version')
out=../../nnviz/static/plotly-nnviz-${version}.min.js
{
  printf '/**\n* plotly.js v%s (MIT, see PLOTLY-LICENSE.txt), built for nnviz by tools/plotly-bundle:\n' "$version"
  printf '* core (scatter) + bar, heatmap, contour. Copyright 2012-2026, Plotly, Inc.\n*/\n'
  node_modules/.bin/esbuild entry.js --bundle --minify --format=iife --global-name=Plotly \
    --target=es2016 --define:global=window --define:define.amd=false \
    --define:process.env.NODE_DEBUG=false --loader:.css=empty --legal-comments=none \
    --log-level=warning
} > "$out"
echo "wrote $out ($(wc -c < "$out") bytes)"
