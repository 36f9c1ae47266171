"""Typed test clients: ``send_event`` checked against the endpoint's events (issue 5)."""

from __future__ import annotations

from mypy.plugin import MethodSigContext
from mypy.types import FunctionLike


def send_event_signature(ctx: MethodSigContext) -> FunctionLike:
    """Placeholder until socketsundso.testing exists."""
    return ctx.default_signature
