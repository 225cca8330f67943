"""YAML as people write it in specs and answers, and YAML scalars that stand for data values.

A data value in a spec (a label's positive value, a reference group) is compared with the data as
text, the way the checks name groups: ``str`` of the value, so ``1`` means the integer 1 ("1") and
``true`` the boolean True ("True"). YAML 1.1 would also read ``yes``/``no``/``on``/``off`` as
booleans, turning bank marketing's ``positive: yes`` into True; datavet reads them as the words
they are (YAML 1.2's rule: only true/false are booleans).

The files are written by people but read by services (the DAG file, the auditor pages), so a hostile
one must cost little: the loader refuses a file over ``MAX_BYTES``, and while composing (before
anything is built) more than ``MAX_WRITTEN`` values, nesting deeper than ``MAX_DEPTH`` and aliases
that expand to more than ``MAX_NODES`` values (a "billion laughs" bomb).
"""

from __future__ import annotations

import re
from typing import Annotated, Any

import yaml
from pydantic import BeforeValidator

MAX_BYTES = 512 << 10  # a spec is a few kB, answers a few tens of kB
MAX_DEPTH = 64  # levels of nesting, aliases expanded
MAX_WRITTEN = 10_000  # values written in the file (pure-Python PyYAML composes some 10,000 a second)
MAX_NODES = 100_000  # values of the document with every alias expanded
EXCERPT = 60  # characters of a user's value a message may quote


class YamlLimitError(yaml.YAMLError):
    """The YAML is too big, too deep, or expands too far (refused before it is built)."""


class UserYamlLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans (``yes``, ``no``, ``on``, ``off`` stay strings) and a bound on
    nesting while composing (PyYAML's composer recurses once per level)."""

    _depth = 0
    _written = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        self._written += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise YamlLimitError(f"nesting deeper than {MAX_DEPTH} levels (line {mark.line + 1})")
            if self._written > MAX_WRITTEN:
                mark = self.peek_event().start_mark
                raise YamlLimitError(f"more than {MAX_WRITTEN:,} values (line {mark.line + 1}); a spec or answers "
                                     "file holds a few hundred")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


UserYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
UserYamlLoader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                                     list("tTfF"))


def load_user_yaml(text: str) -> Any:
    """The document in ``text``, refused (YamlLimitError) when too big, too deep or an alias bomb."""
    if len(text) > MAX_BYTES:
        raise YamlLimitError(f"{len(text):,} characters, more than the {MAX_BYTES:,} a spec or answers file may hold")
    loader = UserYamlLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _expanded(node, 1, {}, set())
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _expanded(node: yaml.Node, depth: int, seen: dict[int, tuple[int, int]], open_: set[int]) -> tuple[int, int]:
    """(nodes, height) of ``node`` with its aliases expanded; YamlLimitError past the limits. Shared
    nodes (aliases) are measured once, so a bomb is refused in time linear in its text."""
    if depth > MAX_DEPTH:
        raise YamlLimitError(f"nesting deeper than {MAX_DEPTH} levels once aliases are expanded "
                             f"(line {node.start_mark.line + 1})")
    if id(node) in open_:
        raise YamlLimitError(f"an alias refers to itself (line {node.start_mark.line + 1})")
    if id(node) in seen:
        count, height = seen[id(node)]
    else:
        children: list[yaml.Node] = []
        if isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        open_.add(id(node))
        count, height = 1, 1
        for child in children:
            sub_count, sub_height = _expanded(child, depth + 1, seen, open_)
            count, height = count + sub_count, max(height, sub_height + 1)
            if count > MAX_NODES:
                break
        open_.discard(id(node))
        seen[id(node)] = (count, height)
    if count > MAX_NODES:
        raise YamlLimitError(f"aliases expand to more than {MAX_NODES:,} values (line {node.start_mark.line + 1}); "
                             "write the values out instead of repeating anchors")
    if depth + height - 1 > MAX_DEPTH:
        raise YamlLimitError(f"nesting deeper than {MAX_DEPTH} levels once aliases are expanded "
                             f"(line {node.start_mark.line + 1})")
    return count, height


def excerpt(value: Any, limit: int = EXCERPT) -> str:
    """``repr(value)`` cut to ``limit`` characters: messages quote bad input, never all of it."""
    text = repr(value[: 2 * limit] if isinstance(value, str) else value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def scalar_as_text(value: Any) -> Any:
    """A YAML number or boolean as the text the checks compare data values by; anything else as is."""
    if isinstance(value, bool | int | float):
        return str(value)
    return value


# A data value written in YAML: a string, or a number or boolean read as its text.
DataText = Annotated[str, BeforeValidator(scalar_as_text, json_schema_input_type=str | int | float | bool)]
