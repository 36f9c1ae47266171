"""``ServeSettings`` derived from an app, and the ``serve`` command's refusals (in process)."""

from __future__ import annotations

import sys

import pytest
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.routing import Route, WebSocketRoute

from socketsundso import WebSocketHandlingEndpoint
from socketsundso.__main__ import main
from socketsundso._uvicorn_protocol import serve_ws_protocol
from socketsundso.serving import (
    DEFAULT_GRACEFUL_SHUTDOWN,
    DEFAULT_PING_INTERVAL,
    ServeSettings,
    ServingError,
    run,
)
from tests.serving.apps import LARGEST_MESSAGE_SIZE, Echo, Small, app
from tests.serving.process import ROOT


def test_the_frame_limit_is_the_largest_max_message_size_mounts_included() -> None:
    settings = ServeSettings.for_app(app)
    assert settings.max_size == LARGEST_MESSAGE_SIZE
    options = settings.uvicorn_options()
    assert options["ws_max_size"] == LARGEST_MESSAGE_SIZE
    assert options["ws_per_message_deflate"] is False
    assert options["timeout_graceful_shutdown"] == DEFAULT_GRACEFUL_SHUTDOWN
    assert options["ws"] is serve_ws_protocol()


def test_serve_runs_uvicorn_s_sans_io_implementation_with_its_pongs_bounded() -> None:
    # websockets-sansio costs less server CPU per message than websockets (1.54x less in
    # bench/serving.py); tests/serving/test_serve.py's ping flood checks it stays bounded.
    sans_io = pytest.importorskip("uvicorn.protocols.websockets.websockets_sansio_impl")
    if "pause_writing" not in vars(sans_io.WebSocketsSansIOProtocol):
        pytest.skip("this uvicorn's sans-I/O implementation has no write flow control (< 0.52.1)")
    protocol = ServeSettings.for_app(app).uvicorn_options()["ws"]
    assert protocol.__name__ == "BoundedSansIOProtocol"
    assert protocol.__mro__[1] is sans_io.WebSocketsSansIOProtocol


def test_a_fastapi_app_and_an_endpoint_class_have_their_own_limits() -> None:
    api = FastAPI()
    api.router.add_websocket_route("/small", Small)
    assert ServeSettings.for_app(api).max_size == Small.max_message_size
    assert ServeSettings.for_app(Echo).max_size == Echo.max_message_size


def test_the_default_limit_is_the_endpoints_default() -> None:
    class Plain(WebSocketHandlingEndpoint):
        pass

    only = Starlette(routes=[WebSocketRoute("/ws", Plain)])
    assert ServeSettings.for_app(only).max_size == 1024 * 1024


def test_overrides_replace_the_derived_values() -> None:
    settings = ServeSettings.for_app(app, max_size=1000, ping_interval=None)
    assert settings.max_size == 1000
    assert "--ws-ping-interval" not in settings.uvicorn_flags()
    assert settings.uvicorn_flags()[:2] == ["--ws-max-size", "1000"]


def test_an_app_without_endpoints_is_refused_by_name() -> None:
    async def home(request: object) -> None: ...

    http_only = Starlette(routes=[Route("/", home)])
    with pytest.raises(ServingError, match="routes no WebSocketHandlingEndpoint subclass"):
        ServeSettings.for_app(http_only)
    with pytest.raises(ServingError, match="neither a Starlette/FastAPI app"):
        ServeSettings.for_app(42)


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ServingError, match="max_size must be at least 1 byte, not 0"):
        ServeSettings(max_size=0)
    with pytest.raises(ServingError, match="max_queue must be at least 1 message, not 0"):
        ServeSettings(max_size=1, max_queue=0)
    with pytest.raises(ServingError, match="graceful_shutdown must be 0 or more"):
        ServeSettings(max_size=1, graceful_shutdown=-1)
    with pytest.raises(ServingError, match="handshake_timeout must be more than 0 seconds"):
        ServeSettings(max_size=1, handshake_timeout=0)


def test_reload_needs_an_app_reference_and_one_worker() -> None:
    with pytest.raises(ServingError, match="reload needs a 'module:app' reference"):
        run(app, reload=True)
    with pytest.raises(ServingError, match="reload runs one server process, not workers=2"):
        run("tests.serving.apps:app", reload=True, workers=2)


def test_several_workers_need_an_app_reference() -> None:
    with pytest.raises(ServingError, match="workers=2 needs a 'module:app' reference"):
        run(app, workers=2)
    with pytest.raises(ServingError, match="workers=2 needs a 'module:app' reference"):
        run("tests.serving.apps:Echo", workers=2)


def test_serve_without_uvicorn_names_the_extra_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # as if it weren't installed
    with pytest.raises(SystemExit) as exit_:
        main(["serve", "tests.serving.apps:app"])
    assert exit_.value.code == 2
    error = capsys.readouterr().err
    assert "serving needs uvicorn, which is not installed" in error
    assert "pip install 'socketsundso[serve]'" in error
    assert "Traceback" not in error


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ("tests.serving.apps", "is not a reference of the form module:Endpoint"),
        ("tests.serving.apps:nothing", "has no attribute 'nothing'"),
        ("tests.serving.apps:LARGEST_MESSAGE_SIZE", "neither a Starlette/FastAPI app"),
    ],
)
def test_serve_refuses_a_bad_reference_with_exit_2(
    reference: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["serve", reference])
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err


def test_the_serving_page_shows_every_uvicorn_flag_serve_sets() -> None:
    page = (ROOT / "docs" / "serving.md").read_text(encoding="utf-8")
    settings = ServeSettings.for_app(app, limit_concurrency=100)
    flags = [flag for flag in settings.uvicorn_flags() if flag.startswith("--")]
    assert [flag for flag in flags if f"{flag} " not in page] == []
    assert f"--timeout-graceful-shutdown {DEFAULT_GRACEFUL_SHUTDOWN}`" in page
    assert f"--ws-ping-interval {DEFAULT_PING_INTERVAL:g} --ws-ping-timeout " in page
