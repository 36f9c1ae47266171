"""socketsundso's mypy plugin: ``plugins = ["socketsundso.mypy"]`` in ``[tool.mypy]``.

The plugin's code is the package ``socketsundso._mypy_plugin`` in an installed wheel
(built from the repository's ``mypy_plugin/`` folder); in a source checkout it is that
folder itself. What it checks: ``docs/static-typing.md``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType

from mypy.plugin import Plugin

__all__ = ["__version__", "plugin"]

#: Where the plugin's package is: installed inside socketsundso, else the source folder.
_LOCATIONS = (f"{__package__}._mypy_plugin", "mypy_plugin")


def _implementation() -> ModuleType:
    """The plugin's package: the first of ``_LOCATIONS`` that exists."""
    for name in _LOCATIONS:
        try:
            return importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
    raise ModuleNotFoundError(f"socketsundso's mypy plugin is missing (looked for {_LOCATIONS})")


_plugin_package = _implementation()

#: The plugin's version; mypy keys its cache on the entry module and this.
__version__: str = _plugin_package.__version__
#: mypy's entry point: the plugin class for a mypy version.
plugin: Callable[[str], type[Plugin]] = _plugin_package.plugin
