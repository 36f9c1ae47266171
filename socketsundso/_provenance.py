"""Where the running socketsundso came from, for ``python -m socketsundso --version``.

Until a release is published, PyPI's ``socketsundso`` is an older, unrelated 0.0.5:
a user who installed from a checkout, a built wheel or a git URL needs to see at a
glance which one Python imports. The installer's record (``direct_url.json``, PEP 610)
says how it was installed; the package's own path says where it runs from.
"""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path

from . import __version__

__all__ = ["version_line"]


def _installed_from() -> str:
    try:
        distribution = metadata.distribution("socketsundso")
    except metadata.PackageNotFoundError:
        return "not installed: imported from a source tree on sys.path"
    if distribution.version != __version__:
        return f"not the installed {distribution.version}: imported from a source tree on sys.path"
    record = distribution.read_text("direct_url.json")
    if record is None:
        return "installed from a package index"
    origin = json.loads(record)
    url = origin.get("url", "?")
    if origin.get("dir_info", {}).get("editable"):
        return f"editable install of {url}"
    vcs = origin.get("vcs_info")
    if vcs is not None:
        return f"installed from {vcs.get('vcs', 'vcs')}+{url} at {vcs.get('commit_id', '?')}"
    return f"installed from {url}"


def version_line() -> str:
    """``socketsundso <version> at <package folder> (<how it was installed>)``."""
    return f"socketsundso {__version__} at {Path(__file__).parent} ({_installed_from()})"
