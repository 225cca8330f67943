"""YAML as people write it in specs and answers, and YAML scalars that stand for data values.

A data value in a spec (a label's positive value, a reference group) is compared with the data as
text, the way the checks name groups: ``str`` of the value, so ``1`` means the integer 1 ("1") and
``true`` the boolean True ("True"). YAML 1.1 would also read ``yes``/``no``/``on``/``off`` as
booleans, turning bank marketing's ``positive: yes`` into True; datavet reads them as the words
they are (YAML 1.2's rule: only true/false are booleans).
"""

from __future__ import annotations

import re
from typing import Annotated, Any

import yaml
from pydantic import BeforeValidator


class UserYamlLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans: ``yes``, ``no``, ``on``, ``off`` stay strings."""


UserYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
UserYamlLoader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                                     list("tTfF"))


def load_user_yaml(text: str) -> Any:
    return yaml.load(text, Loader=UserYamlLoader)  # noqa: S506 - a SafeLoader subclass


def scalar_as_text(value: Any) -> Any:
    """A YAML number or boolean as the text the checks compare data values by; anything else as is."""
    if isinstance(value, bool | int | float):
        return str(value)
    return value


# A data value written in YAML: a string, or a number or boolean read as its text.
DataText = Annotated[str, BeforeValidator(scalar_as_text, json_schema_input_type=str | int | float | bool)]
