"""The plugin's work, one module per job; ``mypy_plugin.main`` only dispatches to them."""
