"""socketsundso's mypy plugin: endpoint events as Literal types, and handler checks.

Enable it with ``plugins = ["mypy_plugin"]`` in ``[tool.mypy]`` (or
``plugins = mypy_plugin`` in ``mypy.ini``). What it checks: ``docs/static-typing.md``.
"""

from mypy_plugin.main import plugin

__all__ = ["__version__", "plugin"]

#: Bump with every change of the plugin's behaviour (mypy keys its cache on it too).
__version__ = "0.1.0"
