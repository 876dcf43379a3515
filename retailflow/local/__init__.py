"""Running the pipeline on this machine: the local engine, the lakehouse lock, the runner, generated RAW, the demo.

Toolchain only: nothing here is in the job wheel."""
