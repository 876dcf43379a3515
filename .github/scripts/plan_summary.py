#!/usr/bin/env python3
"""Render Terraform plans for people: a summary line (add/change/destroy), destroys called out, the plan text.

    plan_summary.py summarize STACK_DIR [--limit N]     markdown of one stack's plan (plan.json, plan.txt)
    plan_summary.py comment --marker M [--header F] [--limit N] STACK_DIR...
                                                         one PR comment for several stacks, under GitHub's limit

Standard library only: the deploy stages run it without installing the project.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

GITHUB_COMMENT_LIMIT = 65_536
TRUNCATED = "\n… ({cut:,} characters cut: the whole plan is in the run's artifact)\n"


def counts(plan: dict) -> dict[str, int]:
    """Terraform's own tally: a replacement adds one and destroys one."""
    tally = {"add": 0, "change": 0, "destroy": 0, "replace": 0}
    for change in plan.get("resource_changes", []):
        actions = change["change"]["actions"]
        if actions == ["create"]:
            tally["add"] += 1
        elif actions == ["update"]:
            tally["change"] += 1
        elif actions == ["delete"]:
            tally["destroy"] += 1
        elif sorted(actions) == ["create", "delete"]:
            tally["add"] += 1
            tally["destroy"] += 1
            tally["replace"] += 1
    return tally


def destroyed(plan: dict) -> list[str]:
    """Addresses the plan deletes or replaces, each marked."""
    found = []
    for change in plan.get("resource_changes", []):
        actions = change["change"]["actions"]
        if "delete" in actions:
            found.append(f"`{change['address']}` ({'replace' if 'create' in actions else 'delete'})")
    return found


def summary_line(tally: dict[str, int]) -> str:
    if not (tally["add"] or tally["change"] or tally["destroy"]):
        return "No changes."
    line = f"Plan: {tally['add']} to add, {tally['change']} to change, {tally['destroy']} to destroy."
    return line + (f" ({tally['replace']} replaced)" if tally["replace"] else "")


def summarize(stack_dir: Path, limit: int) -> str:
    """The stack's plan as markdown, at most `limit` characters (the plan text is cut first)."""
    plan = json.loads((stack_dir / "plan.json").read_text(encoding="utf-8"))
    text = (stack_dir / "plan.txt").read_text(encoding="utf-8")
    tally = counts(plan)
    head = [f"### {stack_dir.name}", "", f"**{summary_line(tally)}**", ""]
    gone = destroyed(plan)
    if gone:
        head += ["> [!CAUTION]", f"> Destroys {len(gone)} resource(s): " + ", ".join(gone), ""]
    opening = "<details><summary>terraform show</summary>\n\n```text\n"
    closing = "```\n</details>\n"
    fixed = "\n".join(head) + opening + closing
    room = limit - len(fixed) - len(TRUNCATED.format(cut=len(text)))
    if room < 0:
        raise SystemExit(f"{stack_dir.name}: a limit of {limit} characters cannot hold the plan's summary")
    if len(text) > room + len(TRUNCATED.format(cut=len(text))):
        text = text[:room] + TRUNCATED.format(cut=len(text) - room)
    return "\n".join(head) + opening + text.rstrip("\n") + "\n" + closing


def comment(marker: str, header: str, stack_dirs: list[Path], limit: int) -> str:
    """One comment (marker first, so it is found again and updated) holding every stack's plan."""
    top = f"{marker}\n{header.rstrip()}\n\n" if header.strip() else f"{marker}\n"
    if not stack_dirs:
        return top
    share = (limit - len(top) - 2 * len(stack_dirs)) // len(stack_dirs)
    return top + "\n".join(summarize(d, share) for d in stack_dirs)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    one = sub.add_parser("summarize")
    one.add_argument("stack_dir", type=Path)
    one.add_argument("--limit", type=int, default=GITHUB_COMMENT_LIMIT - 1_000)
    many = sub.add_parser("comment")
    many.add_argument("stack_dirs", type=Path, nargs="*")
    many.add_argument("--marker", required=True)
    many.add_argument("--header", type=Path)
    many.add_argument("--limit", type=int, default=GITHUB_COMMENT_LIMIT - 536)
    args = parser.parse_args(argv)
    if args.command == "summarize":
        sys.stdout.write(summarize(args.stack_dir, args.limit))
    else:
        header = args.header.read_text(encoding="utf-8") if args.header and args.header.is_file() else ""
        sys.stdout.write(
            comment(args.marker, header, [d for d in args.stack_dirs if (d / "plan.json").is_file()], args.limit)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
