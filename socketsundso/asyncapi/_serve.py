"""Serve an AsyncAPI document from a Starlette or FastAPI app: as JSON and as an HTML page."""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response

from ._document import asyncapi_document

__all__ = ["WEB_COMPONENT_VERSION", "asyncapi_html", "mount_asyncapi"]

#: Version of ``@asyncapi/web-component`` (and of its stylesheet, from
#: ``@asyncapi/react-component``) the HTML page loads when no local assets are given.
WEB_COMPONENT_VERSION = "2.6.5"

#: The files ``assets_dir`` must hold: the web component's bundle and its stylesheet.
SCRIPT_FILE = "asyncapi-web-component.js"
STYLESHEET_FILE = "default.min.css"

_CDN = "https://unpkg.com/@asyncapi"
CDN_SCRIPT = f"{_CDN}/web-component@{WEB_COMPONENT_VERSION}/lib/{SCRIPT_FILE}"
CDN_STYLESHEET = f"{_CDN}/react-component@{WEB_COMPONENT_VERSION}/styles/{STYLESHEET_FILE}"


def asyncapi_html(*, title: str, schema_url: str, script_url: str, stylesheet_url: str) -> str:
    """A page rendering the document at ``schema_url`` with ``@asyncapi/web-component``."""
    config = json.dumps({"show": {"sidebar": True}})

    def attr(value: str) -> str:
        return html.escape(value, quote=True)

    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<script src="{attr(script_url)}" defer></script>
</head>
<body>
<asyncapi-component schemaUrl="{attr(schema_url)}" cssImportPath="{attr(stylesheet_url)}"
  config="{attr(config)}"></asyncapi-component>
<noscript>The AsyncAPI document is at <a href="{attr(schema_url)}">{html.escape(schema_url)}</a>.
</noscript>
</body>
</html>
"""


def mount_asyncapi(
    app: Starlette,
    source: object = None,
    *,
    path: str | None = None,
    json_path: str = "/asyncapi.json",
    html_path: str | None = "/asyncapi",
    assets_dir: str | Path | None = None,
    title: str | None = None,
    version: str = "0.1.0",
    description: str | None = None,
    servers: Mapping[str, Mapping[str, Any]] | None = None,
) -> None:
    """Serve the AsyncAPI document of ``source`` at ``json_path`` and a page at ``html_path``.

    ``source``, ``path``, ``title``, ``version``, ``description`` and ``servers`` are
    those of ``asyncapi_document``. Without ``source`` the document describes
    ``app``'s own WebSocket routes, read at the first request (so routes added after
    this call count); a given ``source`` is documented at once, so a mistake shows
    here rather than on the first request.

    The page at ``html_path`` (``None``: no page) renders the document with
    ``@asyncapi/web-component``. With ``assets_dir`` (a directory holding that
    package's ``asyncapi-web-component.js`` and ``@asyncapi/react-component``'s
    ``default.min.css``) the app serves both itself, under ``<html_path>/assets/``,
    and the page loads nothing from elsewhere; without it the page loads them from
    unpkg.com, pinned to ``WEB_COMPONENT_VERSION``.
    """
    options: dict[str, Any] = {
        "title": title,
        "version": version,
        "description": description,
        "servers": servers,
    }
    if source is None and path is not None:
        raise TypeError("mount_asyncapi(path=...) is for an endpoint class given as source")
    built = None if source is None else asyncapi_document(source, path=path, **options)
    assets = _assets(Path(assets_dir)) if assets_dir is not None and html_path else None

    def document() -> dict[str, Any]:
        nonlocal built
        if built is None:
            built = asyncapi_document(app, **options)
        return built

    async def asyncapi_json(request: Request) -> Response:
        return JSONResponse(document())

    app.add_route(json_path, asyncapi_json, methods=["GET"], include_in_schema=False)
    if html_path is None:
        return
    script_url, stylesheet_url = CDN_SCRIPT, CDN_STYLESHEET
    if assets is not None:
        script_url, stylesheet_url = _serve_assets(app, f"{html_path.rstrip('/')}/assets", assets)

    async def asyncapi_page(request: Request) -> Response:
        root = request.scope.get("root_path", "")

        def local(url: str) -> str:
            return root + url if url.startswith("/") else url

        page = asyncapi_html(
            title=document()["info"]["title"],
            schema_url=root + json_path,
            script_url=local(script_url),
            stylesheet_url=local(stylesheet_url),
        )
        return HTMLResponse(page)

    app.add_route(html_path, asyncapi_page, methods=["GET"], include_in_schema=False)


def _assets(directory: Path) -> Mapping[str, Path]:
    """The asset files in ``directory``, by name; raise naming any that is missing."""
    files = {name: directory / name for name in (SCRIPT_FILE, STYLESHEET_FILE)}
    missing = [str(file) for file in files.values() if not file.is_file()]
    if missing:
        raise FileNotFoundError(
            f"mount_asyncapi(assets_dir={str(directory)!r}) lacks {', '.join(missing)}: copy "
            f"{SCRIPT_FILE} from @asyncapi/web-component's lib/ and {STYLESHEET_FILE} from "
            "@asyncapi/react-component's styles/ there"
        )
    return files


def _serve_assets(app: Starlette, prefix: str, files: Mapping[str, Path]) -> tuple[str, str]:
    """Add a route for each asset file under ``prefix``; return the script's and CSS's URLs."""
    for name, file in files.items():

        async def asset(request: Request, file: Path = file) -> Response:
            return FileResponse(file)

        app.add_route(f"{prefix}/{name}", asset, methods=["GET"], include_in_schema=False)
    return f"{prefix}/{SCRIPT_FILE}", f"{prefix}/{STYLESHEET_FILE}"
