"""The plugin class: maps socketsundso's fully-qualified names to the transformers.

It holds no state but its options: with ``--num-workers`` each worker loads its own.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, final

from mypy.nodes import Import, ImportAll, ImportFrom, MypyFile, TypeInfo
from mypy.options import Options
from mypy.plugin import (
    AttributeContext,
    ClassDefContext,
    FunctionContext,
    MethodContext,
    MethodSigContext,
    Plugin,
    ReportConfigContext,
)
from mypy.types import FunctionLike, Type

from . import fullnames
from .guard import debug_enabled, guard
from .transformers import endpoint_attributes, endpoints, event_index, handlers, sessions


@final
class SocketsundsoPlugin(Plugin):
    """Types endpoint classes by their events and checks handlers (docs/static-typing.md)."""

    def __init__(self, options: Options) -> None:
        super().__init__(options)
        self._debug = debug = debug_enabled()
        self._source = _source_digest()
        # Guarded once here: mypy asks for hooks on every class, call and attribute.
        self._transform_endpoint = guard(endpoints.transform_endpoint, _no_change, debug=debug)
        self._check_function: Callable[[FunctionContext], Type] = guard(
            handlers.check_bare_decorator, _default_return, debug=debug
        )
        self._check_method: Callable[[MethodContext], Type] = guard(
            handlers.check_bare_decorator, _default_return, debug=debug
        )
        self._check_call = guard(handlers.check_decorator_call, _default_return, debug=debug)
        self._check_index = guard(event_index.check_event_index, _default_return, debug=debug)
        self._send_event = guard(self._send_event_signature, _default_signature, debug=debug)

    def report_config_data(self, ctx: ReportConfigContext) -> dict[str, Any]:
        """What invalidates mypy's cache: the debug switch and the plugin's source code."""
        return {"debug": self._debug, "source": self._source}

    def get_additional_deps(self, file: MypyFile) -> list[tuple[int, str, int]]:
        """A module importing socketsundso also depends on the modules the plugin reads."""
        if file.fullname.startswith(fullnames.PACKAGE) or not _imports_runtime(file):
            return []
        return [(10, module, -1) for module in fullnames.LOOKED_UP_MODULES]

    def get_base_class_hook(self, fullname: str) -> Callable[[ClassDefContext], None] | None:
        """Endpoint subclasses (direct, indirect, or through a mixin): type their events."""
        symbol = self.lookup_fully_qualified(fullname)
        if symbol is None or not isinstance(symbol.node, TypeInfo):
            return None
        if not any(base.fullname == fullnames.ENDPOINT for base in symbol.node.mro):
            return None
        return self._transform_endpoint

    def get_attribute_hook(self, fullname: str) -> Callable[[AttributeContext], Type] | None:
        """``self.handlers``, ``self.event_message_model``: typed by the class's events.

        Asked for every attribute read or assigned, so the name is checked first.
        """
        owner, _, name = fullname.rpartition(".")
        if name not in endpoint_attributes.TYPED_ATTRIBUTES:
            return None
        symbol = self.lookup_fully_qualified(owner)
        info = symbol.node if symbol is not None and isinstance(symbol.node, TypeInfo) else None
        return guard(
            functools.partial(endpoint_attributes.attribute_type, info, name),
            _default_attribute,
            debug=self._debug,
        )

    def get_class_attribute_hook(self, fullname: str) -> Callable[[AttributeContext], Type] | None:
        """``Chat.handlers``, ``Chat.event_message_model``: the same as on an instance."""
        return self.get_attribute_hook(fullname)

    def get_function_hook(self, fullname: str) -> Callable[[FunctionContext], Type] | None:
        """Bare ``@on_event``: check the handler it decorates."""
        if fullname == fullnames.ON_EVENT:
            return self._check_function
        return None

    def get_method_hook(self, fullname: str) -> Callable[[MethodContext], Type] | None:
        """``@on_event(...)``, ``@Chat.on_event``: check the handler; ``Chat.handlers[...]``."""
        if fullname == fullnames.EVENT_HANDLERS_INDEX:
            return self._check_index
        if fullname == fullnames.EVENT_DECORATOR_CALL:
            return self._check_call
        if self._is_endpoint_on_event(fullname):
            return self._check_method
        return None

    def get_method_signature_hook(
        self, fullname: str
    ) -> Callable[[MethodSigContext], FunctionLike] | None:
        """Typed test clients: ``send_event`` takes the endpoint's events and fields."""
        if fullname in fullnames.SEND_EVENT:
            return self._send_event
        return None

    def _send_event_signature(self, ctx: MethodSigContext) -> FunctionLike:
        return sessions.send_event_signature(ctx, self.lookup_fully_qualified)

    def _is_endpoint_on_event(self, fullname: str) -> bool:
        """Whether ``fullname`` is ``<endpoint class>.on_event``, the runtime's classmethod.

        mypy names a method hook after the class it is looked up on (``app.Chat.on_event``),
        not the class defining it.
        """
        class_name, _, attribute = fullname.rpartition(".")
        if attribute != fullnames.ENDPOINT_DECORATOR:
            return False
        symbol = self.lookup_fully_qualified(class_name)
        if symbol is None or not isinstance(symbol.node, TypeInfo):
            return False
        owner = symbol.node.get_containing_type_info(attribute)
        return owner is not None and owner.fullname == fullnames.ENDPOINT


def _no_change(ctx: ClassDefContext) -> None:
    """Fallback of a failed class hook: leave the class as plain typing sees it."""


def _default_attribute(ctx: AttributeContext) -> Type:
    return ctx.default_attr_type


def _default_return(ctx: FunctionContext | MethodContext) -> Type:
    return ctx.default_return_type


def _default_signature(ctx: MethodSigContext) -> FunctionLike:
    return ctx.default_signature


def _imports_runtime(file: MypyFile) -> bool:
    for imp in file.imports:
        if isinstance(imp, Import):
            ids = [module for module, _ in imp.ids]
        elif isinstance(imp, (ImportFrom, ImportAll)):
            ids = [imp.id]
        else:
            continue
        if any(module.split(".")[0] == fullnames.PACKAGE for module in ids):
            return True
    return False


def _source_digest() -> str:
    """A hash of the plugin's modules: mypy itself hashes only the entry module."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def plugin(version: str) -> type[Plugin]:
    """mypy's entry point: the plugin class (any mypy version 2.x is accepted)."""
    return SocketsundsoPlugin
