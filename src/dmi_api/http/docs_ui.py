"""The interactive docs (/docs, /redoc), their assets served by the app: no CDN, works offline."""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

# Swagger UI's and ReDoc's built bundles ship in the `fastapi-offline` package (a dependency).
_ASSETS_PACKAGE = ("fastapi_offline", "static")
ASSETS_PATH = "/docs/assets"
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


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

    def assets(request: Request) -> str:
        return f"{request.scope.get('root_path', '')}{ASSETS_PATH}"

    def openapi_url(request: Request) -> str:
        return f"{request.scope.get('root_path', '')}{app.openapi_url}"

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        """Swagger UI: Authorize with client credentials, then try the operations."""
        base = assets(request)
        return _with_policy(
            get_swagger_ui_html(
                openapi_url=openapi_url(request),
                title=f"{app.title} - Swagger UI",
                swagger_js_url=f"{base}/swagger-ui-bundle.js",
                swagger_css_url=f"{base}/swagger-ui.css",
                swagger_favicon_url=f"{base}/favicon.png",
                oauth2_redirect_url=None,  # client credentials never redirect
                # Swagger UI would show a badge from validator.swagger.io on a non-local host.
                swagger_ui_parameters={"validatorUrl": None},
            )
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        """ReDoc: the reference, read-only."""
        base = assets(request)
        return _with_policy(
            get_redoc_html(
                openapi_url=openapi_url(request),
                title=f"{app.title} - ReDoc",
                redoc_js_url=f"{base}/redoc.standalone.js",
                redoc_favicon_url=f"{base}/favicon.png",
                with_google_fonts=False,
            )
        )
