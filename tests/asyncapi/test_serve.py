"""``mount_asyncapi``: the document as JSON and an HTML page, on Starlette and FastAPI apps."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.testclient import TestClient

from examples.chat import Chat
from socketsundso.asyncapi import WEB_COMPONENT_VERSION, asyncapi_document, mount_asyncapi

from .endpoints import Shop


@pytest.fixture
def fake_assets(tmp_path: Path) -> Path:
    """Stand-ins for the web component's files (the real ones are tested in a browser)."""
    (tmp_path / "asyncapi-web-component.js").write_text("/* bundle */")
    (tmp_path / "default.min.css").write_text("/* styles */")
    return tmp_path


def test_serves_the_apps_own_document(fake_assets: Path) -> None:
    app = Starlette(routes=[WebSocketRoute("/ws", Chat)])
    mount_asyncapi(app, title="Chat API", version="1.0.0", assets_dir=fake_assets)
    with TestClient(app) as client:
        response = client.get("/asyncapi.json")
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        assert response.json() == asyncapi_document(app, title="Chat API", version="1.0.0")

        page = client.get("/asyncapi")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert "<title>Chat API</title>" in page.text
        assert '<script src="/asyncapi/assets/asyncapi-web-component.js" defer>' in page.text
        assert 'schemaUrl="/asyncapi.json"' in page.text
        assert 'cssImportPath="/asyncapi/assets/default.min.css"' in page.text
        assert "https://" not in page.text

        script = client.get("/asyncapi/assets/asyncapi-web-component.js")
        assert script.text == "/* bundle */"
        assert "javascript" in script.headers["content-type"]
        assert client.get("/asyncapi/assets/default.min.css").text == "/* styles */"


def test_routes_added_after_mounting_are_documented() -> None:
    app = Starlette()
    mount_asyncapi(app, html_path=None)
    app.router.routes.append(WebSocketRoute("/shop", Shop))
    with TestClient(app) as client:
        document = client.get("/asyncapi.json").json()
        assert document["channels"]["shop"]["address"] == "/shop"
        assert client.get("/asyncapi").status_code == 404


def test_endpoint_source_on_fastapi() -> None:
    api = FastAPI()
    mount_asyncapi(api, Chat, path="/chat", json_path="/docs/ws.json", html_path="/docs/ws")
    with TestClient(api) as client:
        assert client.get("/docs/ws.json").json() == asyncapi_document(Chat, path="/chat")
        page = client.get("/docs/ws").text
        assert f"web-component@{WEB_COMPONENT_VERSION}/lib/asyncapi-web-component.js" in page
        assert f"react-component@{WEB_COMPONENT_VERSION}/styles/default.min.css" in page
        assert 'schemaUrl="/docs/ws.json"' in page
        assert "/docs/ws.json" not in client.get("/openapi.json").text


def test_root_path_prefixes_local_urls(fake_assets: Path) -> None:
    app = Starlette(routes=[WebSocketRoute("/ws", Chat)])
    mount_asyncapi(app, assets_dir=fake_assets)
    with TestClient(app, root_path="/api") as client:
        page = client.get("/asyncapi").text
        assert 'schemaUrl="/api/asyncapi.json"' in page
        assert 'src="/api/asyncapi/assets/asyncapi-web-component.js"' in page


def test_bad_mounts_fail_at_once(tmp_path: Path) -> None:
    app = Starlette()
    with pytest.raises(FileNotFoundError, match=r"lacks .*asyncapi-web-component\.js"):
        mount_asyncapi(app, Chat, path="/ws", assets_dir=tmp_path)
    with pytest.raises(TypeError, match="needs path="):
        mount_asyncapi(app, Chat)
    with pytest.raises(TypeError, match="is for an endpoint class"):
        mount_asyncapi(app, path="/ws")
    assert app.routes == []
