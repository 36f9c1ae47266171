"""Fine-grained dependencies of type-checked code on names the plugin read for it.

``dmypy`` re-checks a function only when something it depends on changes. A
``send_event`` call reads the endpoint's ``handlers`` and the handler's signature,
which mypy's own dependency analysis does not see: the plugin records them in the
module's ``plugin_deps``, which mypy merges into its dependency map. Without a
module at hand (another checker API), nothing is recorded: only ``dmypy`` reads them.
"""

from __future__ import annotations

from mypy.checker import TypeChecker
from mypy.plugin import CheckerPluginInterface
from mypy.server.trigger import make_trigger


def depend_on(api: CheckerPluginInterface, fullname: str) -> None:
    """Re-check the code being checked when the definition ``fullname`` changes."""
    if not isinstance(api, TypeChecker):
        return
    target = api.tscope.current_target()
    api.tree.plugin_deps.setdefault(make_trigger(fullname), set()).add(target)
