"""socketsundso's mypy plugin: endpoint events as Literal types, and handler checks.

Enable it with ``plugins = ["socketsundso.mypy"]`` in ``[tool.mypy]`` (or
``plugins = socketsundso.mypy`` in ``mypy.ini``). What it checks: ``docs/static-typing.md``.

This folder is the plugin's source; the wheel installs it as ``socketsundso._mypy_plugin``
(nothing at the top level of site-packages), loaded through ``socketsundso.mypy``.
Its imports are relative, so it works under either name.
"""

from .main import plugin

__all__ = ["__version__", "plugin"]

#: Bump with every change of the plugin's behaviour (mypy keys its cache on it too).
__version__ = "0.3.0"
