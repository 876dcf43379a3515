"""mypy over the project, every module under its one import name.

The repository's top-level folders are packages of `retailflow` by the `package-dir` map in pyproject.toml
(docs/adr/0001-import-root.md); mypy names a file by its folder, so this gives it each file with the name the map
gives it. Arguments are passed on to mypy (e.g. `--no-incremental`).
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

from mypy import build
from mypy.errors import CompileError
from mypy.main import process_options
from mypy.modulefinder import BuildSource

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = {"main": ROOT / "main.py"}


def module_map(root: Path = ROOT) -> dict[str, Path]:
    """Import name -> file, for every module of the distribution (and the cdktf app script)."""
    setuptools = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]
    folders = {"retailflow": "retailflow", **setuptools["package-dir"]}
    modules: dict[str, Path] = dict(SCRIPTS)
    for package, folder in folders.items():
        for path in sorted((root / folder).rglob("*.py")):
            parts = list(path.relative_to(root / folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join([package, *parts])] = path
    return modules


def main(argv: list[str]) -> int:
    sources, options = process_options([*argv, "-c", "pass"], fscache=None)
    sources = [BuildSource(str(path), name) for name, path in sorted(module_map().items())]
    try:
        result = build.build(sources, options)
    except CompileError as err:
        print("\n".join(err.messages))
        return 2
    for line in result.errors:
        print(line)
    print(
        f"{len(result.errors)} error(s) in {len(sources)} modules"
        if result.errors
        else f"no issues in {len(sources)} modules"
    )
    return 1 if result.errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
