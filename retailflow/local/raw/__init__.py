"""Generated RAW, one module per source (`retailflow.local.generator` runs them in `SOURCES` order)."""
