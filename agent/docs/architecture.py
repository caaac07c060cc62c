"""The house's rooms and who imports whom, read from the source: the picture in
docs/architecture.md is written by `python -m agent.docs.architecture` and a test checks
that it still tells the truth."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ROOMS = (
    "run_sim",
    "agent.cli",
    "agent.windows",
    "agent.learn",
    "agent.grade",
    "agent.data",
    "agent.drivers",
    "agent.docs",
    "agent.workers",
    "models",
    "sim",
)
DOC = ROOT / "docs" / "architecture.md"
BEGIN, END = "```mermaid", "```"


def room_of(module: str) -> str | None:
    """The room a dotted module name lives in (the longest room name that prefixes it)."""
    for room in sorted(ROOMS, key=len, reverse=True):
        if module == room or module.startswith(room + "."):
            return room
    return None


def imports() -> set[tuple[str, str]]:
    """(room, room it imports from) for every import in the project's source, at any depth
    (imports inside functions count: they are who depends on whom)."""
    edges = set()
    files = [ROOT / "run_sim.py", *[p for d in ("sim", "agent", "models") for p in (ROOT / d).rglob("*.py")]]
    for path in files:
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        here = room_of(module)
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                there = room_of(name)
                if there and there != here:
                    edges.add((here, there))
    return edges


def mermaid(edges: set[tuple[str, str]]) -> str:
    """The graph as a mermaid flowchart, rooms top to bottom in ROOMS' order."""
    ids = {r: re.sub(r"\W", "_", r) for r in ROOMS}
    lines = [BEGIN, "flowchart TD"]
    lines += [f'    {ids[r]}["{r}"]' for r in ROOMS]
    lines += [
        f"    {ids[a]} --> {ids[b]}" for a, b in sorted(edges, key=lambda e: (ROOMS.index(e[0]), ROOMS.index(e[1])))
    ]
    return "\n".join(lines + [END])


def current_block(text: str) -> str:
    a = text.index(BEGIN)
    return text[a : text.index("\n" + END, a) + 1 + len(END)]


def main() -> None:
    text = DOC.read_text()
    DOC.write_text(text.replace(current_block(text), mermaid(imports())))
    print(f"wrote the import graph into {DOC}")


if __name__ == "__main__":
    main()
