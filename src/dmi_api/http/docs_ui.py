"""The interactive docs (/docs, /redoc), their assets served by the app: no CDN, works offline."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable, Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

# Swagger UI's and ReDoc's built bundles ship in the `fastapi-offline` package (a dependency).
_ASSETS_PACKAGE = ("fastapi_offline", "static")
ASSETS_PATH = "/docs/assets"
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)
_SWAGGER_ASSETS = {
    "swagger_js_url": "swagger-ui-bundle.js",
    "swagger_css_url": "swagger-ui.css",
    "swagger_favicon_url": "favicon.png",
}
_REDOC_ASSETS = {"redoc_js_url": "redoc.standalone.js", "redoc_favicon_url": "favicon.png"}


def docs_csp(html: str) -> str:
    """The docs pages' policy: everything from this origin only; the page's own inline start-up
    script is allowed by its hash. Styles allow inline because both UIs set them at run time
    (ReDoc's styled-components inserts <style> elements)."""
    hashes = "".join(
        f" 'sha256-{base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()}'"
        for script in _INLINE_SCRIPT.findall(html)
    )
    return (
        "default-src 'none'; "
        f"script-src 'self'{hashes}; "
        "style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; "
        "font-src 'self' data:; "
        "connect-src 'self'; "
        "worker-src 'self' blob:; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )


def _with_policy(response: HTMLResponse) -> HTMLResponse:
    response.headers["content-security-policy"] = docs_csp(bytes(response.body).decode())
    return response


def install_docs_ui(app: FastAPI) -> None:
    """Serve /docs and /redoc from local assets (create the app with docs_url=redoc_url=None)."""
    app.mount(ASSETS_PATH, StaticFiles(packages=[_ASSETS_PACKAGE]), name="docs-assets")

    def page(
        request: Request,
        render: Callable[..., HTMLResponse],
        name: str,
        assets: Mapping[str, str],
        **options: Any,
    ) -> HTMLResponse:
        """`render`'s page with the OpenAPI document and `assets` under the app's root path."""
        root = request.scope.get("root_path", "")
        urls = {member: f"{root}{ASSETS_PATH}/{file}" for member, file in assets.items()}
        title = f"{app.title} - {name}"
        return _with_policy(
            render(openapi_url=f"{root}{app.openapi_url}", title=title, **urls, **options)
        )

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        """Swagger UI: Authorize with client credentials, then try the operations."""
        # No OAuth2 redirect: client credentials never redirect. No validator: Swagger UI would
        # show a badge from validator.swagger.io on a non-local host.
        options = {"oauth2_redirect_url": None, "swagger_ui_parameters": {"validatorUrl": None}}
        return page(request, get_swagger_ui_html, "Swagger UI", _SWAGGER_ASSETS, **options)

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        """ReDoc: the reference, read-only."""
        return page(request, get_redoc_html, "ReDoc", _REDOC_ASSETS, with_google_fonts=False)
