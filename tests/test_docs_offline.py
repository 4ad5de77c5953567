"""`/docs` works with no network but this machine (issue 13): Swagger UI's script and style come from the package
(fastapi-offline), and the page, opened in headless Chromium with every other host unreachable, shows the API's
operations. The same page from a plain FastAPI app, whose Swagger UI loads from a CDN, shows none: the network is
really closed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI

from browser import chromium_command, rendered_dom
from intervention_engine.bootstrap import build_engine
from intervention_engine.clock import VirtualClock
from intervention_engine.engine import InterventionEngine
from intervention_engine.service import TokenRegistry, create_app
from intervention_engine.settings import Settings
from served_app import served

from http_service import TOKENS


@pytest.fixture
def chromium(tmp_path: Path) -> list[str]:
    return chromium_command(tmp_path / "profile")


@pytest.fixture
def engine() -> Iterator[InterventionEngine]:
    built = build_engine(Settings(backend="memory"), clock=VirtualClock(dt.date(2020, 1, 1)))
    yield built
    built.close()


def test_docs_render_the_operations_with_the_network_closed(chromium: list[str], engine: InterventionEngine) -> None:
    tokens = TokenRegistry(Settings(backend="memory", tokens=TOKENS).api_tokens())  # type: ignore[arg-type]
    with served(create_app(engine, tokens=tokens)) as url:
        dom = rendered_dom(chromium, f"{url}/docs", offline=True)
    assert 'class="swagger-ui' in dom
    assert 'data-path="/councils/{council}"' in dom
    assert 'data-path="/exports/{table}"' in dom
    assert "intervention_engine" in dom


def test_a_cdn_page_renders_nothing_with_the_network_closed(chromium: list[str]) -> None:
    plain = FastAPI(title="plain")

    @plain.get("/hello")
    def hello() -> str:
        return "hello"

    with served(plain) as url:
        dom = rendered_dom(chromium, f"{url}/docs", offline=True)
    assert 'id="swagger-ui"' in dom  # the page itself loaded ...
    assert 'data-path="/hello"' not in dom  # ... but Swagger UI, from the CDN, did not
