"""botocore's own service models as the judge of API input (what boto3 and the AWS CLI
validate before sending): the task definitions and services the program builds are
checked against the operation's input shape, not against a hand-written schema."""

from __future__ import annotations

import functools
from typing import Any

import botocore.session
from botocore.model import ServiceModel
from botocore.validate import ParamValidator


@functools.cache
def _service_model(service: str) -> ServiceModel:
    return botocore.session.get_session().get_service_model(service)


def ecs_input_errors(params: dict[str, Any], operation: str = "RegisterTaskDefinition") -> str:
    """botocore's report on `params` as input to the ECS `operation` ('' when valid)."""
    shape = _service_model("ecs").operation_model(operation).input_shape
    assert shape is not None, f"ECS {operation} takes no input"
    report = ParamValidator().validate(params, shape)
    return str(report.generate_report()) if report.has_errors() else ""
