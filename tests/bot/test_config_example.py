"""config.example.yml documents every field of the configuration model."""

import re
import typing
from collections.abc import Iterator
from pathlib import Path

from pydantic import BaseModel

from ops.config import Config

EXAMPLE = Path(__file__).resolve().parents[2] / "config.example.yml"


def nested_models(annotation: object) -> Iterator[type[BaseModel]]:
    """The models inside an annotation: itself, Optional/union members, dict and tuple values."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for arg in typing.get_args(annotation):
        yield from nested_models(arg)


def field_paths(model: type[BaseModel], prefix: str = "") -> Iterator[tuple[str, str]]:
    """(dotted path, field name) for every field, nested models included."""
    for name, field in model.model_fields.items():
        yield f"{prefix}{name}", name
        for inner in nested_models(field.annotation):
            yield from field_paths(inner, f"{prefix}{name}.")


def test_the_walk_reaches_nested_and_dict_valued_models():
    paths = dict(field_paths(Config))
    assert "environments.kube_server" in paths  # dict[EnvName, Environment]
    assert "roles.leads.usergroup" in paths  # a model inside a model
    assert "aws.service_endpoints" in paths


def test_every_field_is_documented_in_the_example():
    text = EXAMPLE.read_text(encoding="utf-8")
    missing = [
        path
        for path, name in field_paths(Config)
        # a YAML key, live (`name:`) or in a commented example line (`# name:`)
        if not re.search(rf"^\s*(#\s*)?{re.escape(name)}:", text, re.MULTILINE)
    ]
    assert not missing, f"config.example.yml does not document: {', '.join(missing)}"
