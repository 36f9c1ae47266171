"""The plugin's work, one module per job; ``main`` only dispatches to them."""
