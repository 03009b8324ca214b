"""A plan's problems: each one an issue with the file, line and field it is at.

The line of a field is found from its path in the YAML's nodes (LineIndex), so an issue names
where to look even when the plan could not be built."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

Loc = Sequence[str | int]


@dataclass(frozen=True, slots=True)
class PlanIssue:
    source: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        # One line per issue, whatever a message (say, from Jinja) carries.
        message = " ".join(self.message.split())
        return f"{self.source}:{self.line}: {self.field}: {message}"


class PlanError(ValueError):
    """A plan that cannot be used; ``issues`` lists every problem found."""

    def __init__(self, issues: Sequence[PlanIssue]) -> None:
        self.issues = list(issues)
        super().__init__("\n".join(str(issue) for issue in self.issues))


class LineIndex:
    """Finds the YAML line of a field from its path, e.g. ``("steps", 2, "due")``."""

    def __init__(self, root: Node | None) -> None:
        self._root = root

    def line_of(self, loc: Loc) -> int:
        node, line = self._root, 1 if self._root is None else self._root.start_mark.line + 1
        for part in loc:
            child: Node | None = None
            if isinstance(node, MappingNode):
                # The last occurrence wins, as it does when YAML builds the mapping.
                for key, value in node.value:
                    if isinstance(key, ScalarNode) and key.value == str(part):
                        child, line = value, key.start_mark.line + 1
            elif (
                isinstance(node, SequenceNode)
                and isinstance(part, int)
                and 0 <= part < len(node.value)
            ):
                child = node.value[part]
                line = child.start_mark.line + 1
            if child is None:
                break  # a missing field: the line of the mapping that lacks it
            node = child
        return line


def field_name(loc: Loc) -> str:
    """``("steps", 2, "due")`` -> ``steps[2].due``; the whole document is ``plan``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text or "plan"
