"""The statements inside a compound statement: the blocks of ``if``, ``try``, loops, ``with``,
``match``. Shared by the class-body reading and the module walk for attachments.
"""

from __future__ import annotations

from mypy.nodes import (
    Block,
    ForStmt,
    IfStmt,
    MatchStmt,
    Statement,
    TryStmt,
    WhileStmt,
    WithStmt,
)


def inner_statements(stmt: Statement) -> list[Statement]:
    """The statements directly inside compound statement ``stmt`` (none for others)."""
    blocks: list[Block | None] = []
    if isinstance(stmt, IfStmt):
        blocks = [*stmt.body, stmt.else_body]
    elif isinstance(stmt, TryStmt):
        blocks = [stmt.body, *stmt.handlers, stmt.else_body, stmt.finally_body]
    elif isinstance(stmt, (ForStmt, WhileStmt)):
        blocks = [stmt.body, stmt.else_body]
    elif isinstance(stmt, WithStmt):
        blocks = [stmt.body]
    elif isinstance(stmt, MatchStmt):
        blocks = list(stmt.bodies)
    return [inner for block in blocks if block is not None for inner in block.body]
