"""Reports of a comparison: a terminal table, a per-component diff and a self-contained HTML page."""
