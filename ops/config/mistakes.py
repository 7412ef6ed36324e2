"""How a validator names every mistake of one run of check-config, each at its own field path."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError, ValidatorFunctionWrapHandler
from pydantic_core import InitErrorDetails, PydanticCustomError


def problem(
    loc: tuple[str | int, ...], message: str, value: Any, kind: str = "config"
) -> InitErrorDetails:
    """One named mistake at `loc` below the field being validated."""
    error = PydanticCustomError(kind, "{problem}", {"problem": message})
    return InitErrorDetails(type=error, loc=loc, input=value)


def raise_all(problems: list[InitErrorDetails]) -> None:
    """Report every mistake a validator found, each at its own field path (pydantic nests a
    ValidationError raised in a validator under the validated field's location)."""
    if problems:
        raise ValidationError.from_exception_data("Config", problems)


def validate_also(
    handler: ValidatorFunctionWrapHandler, value: Any, problems: list[InitErrorDetails]
) -> Any:
    """pydantic's own validation of `value`, its mistakes named together with `problems` (found
    on the raw value), so that one run of check-config names every mistake."""
    try:
        validated = handler(value)
    except ValidationError as exc:
        own = [problem(e["loc"], e["msg"], e["input"], e["type"]) for e in exc.errors()]
        problems, validated = own + problems, None
    raise_all(problems)
    return validated


def as_mapping(value: Any) -> Mapping[str, Any] | None:
    """The raw mapping a wrap validator is given (a model instance counts by its fields)."""
    if isinstance(value, BaseModel):
        return dict(value)
    return value if isinstance(value, Mapping) else None
