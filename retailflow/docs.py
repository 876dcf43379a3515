"""Generated README sections: the grants matrix and the pipeline graph, from the data that defines them."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from retailflow.governance import markdown_table
from retailflow.project import project_root


def grants_section() -> str:
    return markdown_table(analytics_reads_silver=False) + (
        "\n\n`analytics` also gets `USE_SCHEMA, SELECT` on `schema:silver` in an environment whose config sets "
        "`unity_catalog.analytics_reads_silver: true`. `pipeline` is the job service principal."
    )


def pipeline_section() -> str:
    from retailflow.workloads.retail.graph import PIPELINE

    lines = ["| workload | task | reads | writes | depends on |", "|---|---|---|---|---|"]
    for workload in PIPELINE.workloads:
        landing = [t.key for t in workload.tasks if t.layer == "landing"]
        if landing:  # one row: a task per source, alike
            sources = ", ".join(k.removeprefix("land_") for k in landing)
            lines.append(f"| {workload.name} | `land_<source>` ({sources}) | source systems | RAW | - |")
        for task in (t for t in workload.tasks if t.layer != "landing"):
            lines.append(
                f"| {workload.name} | `{task.key}` | {', '.join(map(str, task.inputs)) or 'RAW'} | "
                f"{', '.join(map(str, task.outputs)) or '-'} | {', '.join(PIPELINE.dependencies(task.key)) or '-'} |"
            )
    return "\n".join(lines)


SECTIONS: dict[str, Callable[[], str]] = {"grants": grants_section, "pipeline": pipeline_section}


def render(text: str) -> str:
    for name, build in SECTIONS.items():
        pattern = re.compile(rf"(<!-- BEGIN generated:{name} -->\n).*?(<!-- END generated:{name} -->)", re.S)
        if not pattern.search(text):
            raise ValueError(f"README has no generated:{name} section")
        text = pattern.sub(_filled(build()), text)
    return text


def _filled(body: str) -> Callable[[re.Match[str]], str]:
    return lambda match: match.group(1) + body + "\n" + match.group(2)


def readme() -> Path:
    return project_root() / "README.md"


def stale_sections(path: Path | None = None) -> list[str]:
    path = path or readme()
    text = path.read_text(encoding="utf-8")
    rendered = render(text)
    return [name for name in SECTIONS if _section(text, name) != _section(rendered, name)]


def _section(text: str, name: str) -> str:
    match = re.search(rf"<!-- BEGIN generated:{name} -->\n(.*?)<!-- END generated:{name} -->", text, re.S)
    return match.group(1) if match else ""


def write(path: Path | None = None) -> None:
    path = path or readme()
    path.write_text(render(path.read_text(encoding="utf-8")), encoding="utf-8")
