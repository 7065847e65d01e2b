"""The application factory."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import APIRoute

from dmi_api import __version__
from dmi_api.auth.signing_keys import KeyRing
from dmi_api.config import Settings, get_settings
from dmi_api.db import EngineReadiness, create_engine, create_sessionmaker
from dmi_api.direct.bound_db import DirectDb, PoolSource, ServerReadiness
from dmi_api.http.content_coding import ContentEncodingMiddleware
from dmi_api.http.docs_ui import install_docs_ui
from dmi_api.http.fhir_outcomes import FhirOutcomeMiddleware
from dmi_api.http.fhir_pages import FhirPageMiddleware
from dmi_api.http.handlers import install_exception_handlers
from dmi_api.http.literal_paths import refuse_other_methods
from dmi_api.http.middleware import BodyLimitMiddleware, RequestContextMiddleware
from dmi_api.http.openapi import install_openapi
from dmi_api.http.request_shape import HeadAsGetMiddleware, HeaderLimitMiddleware
from dmi_api.http.responses import FastJSONResponse
from dmi_api.pagination import CursorCodec
from dmi_api.rate_limits.stores import quota_leases
from dmi_api.route_limits import RouteLimits
from dmi_api.routers import (
    assessments,
    audit_events,
    children,
    clients,
    clinic_settings,
    due,
    events,
    exercises,
    exports,
    fhir,
    fhir_exports,
    fhir_resources,
    health,
    insights,
    milestones,
    oauth,
    practitioners,
    prescriptions,
    session_batches,
    session_records,
    webhook_endpoints,
)
from dmi_api.stores import build_stores
from dmi_api.webhooks.safe_transport import delivery_client
from dmi_api.workers.attempts import WebhookWork
from dmi_api.workers.embedded import run_embedded
from dmi_api.workers.embedded_due import run_embedded_due
from dmi_api.workers.embedded_exports import run_embedded_exports

API_DESCRIPTION = (
    "REST API for pediatric therapy clinics practising Dynamic Movement Intervention (DMI) and "
    "DIRFloortime. Errors are RFC 9457 problem documents (`application/problem+json`)."
)


def operation_id(route: APIRoute) -> str:
    """Stable operation ids of the form `{tag}-{name}`."""
    tag = route.tags[0] if route.tags else "default"
    return f"{tag}-{route.name}"


@asynccontextmanager
async def _embedded_webhooks(app: FastAPI) -> AsyncIterator[None]:
    """On SQLite the server delivers webhooks, runs bulk exports and announces what fell due
    itself (`workers.embedded`, `workers.embedded_exports`, `workers.embedded_due`); on
    PostgreSQL `dmi-api worker` processes do."""
    settings: Settings = app.state.settings
    if app.state.engine.dialect.name != "sqlite":
        yield
        return
    client = delivery_client(
        allow_loopback=settings.webhook_allow_loopback,
        timeout_seconds=settings.webhook_timeout_seconds,
    )
    work = WebhookWork.for_settings(settings, app.state.sessionmaker, client)
    stop = asyncio.Event()
    task = asyncio.create_task(run_embedded(work, settings.event_retention_days, stop))
    exports = asyncio.create_task(run_embedded_exports(app.state.sessionmaker, settings, stop))
    due = asyncio.create_task(run_embedded_due(app.state.sessionmaker, stop))
    try:
        yield
    finally:
        stop.set()
        await task
        await exports
        await due
        await client.aclose()


# What a browser (a web client, a hybrid app's web view) may send and read, beyond what CORS
# allows of itself: every request header the API reads, every response header it answers with.
CORS_REQUEST_HEADERS = [
    *("Authorization", "Content-Type", "Content-Encoding", "Idempotency-Key", "X-Request-ID"),
    *("If-Match", "If-None-Match", "If-Modified-Since", "Prefer", "Range"),
]
CORS_RESPONSE_HEADERS = [
    *("X-Request-ID", "Location", "Content-Location", "Link", "Retry-After", "ETag"),
    *("Last-Modified", "Idempotent-Replayed", "RateLimit", "RateLimit-Policy", "X-Progress"),
    *("WWW-Authenticate", "Accept-Encoding", "Content-Range", "Accept-Ranges"),
]


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the ASGI app; the engine is created here and disposed on shutdown."""
    settings = settings or get_settings()
    engine = create_engine(settings)
    direct = (
        DirectDb(PoolSource(settings)) if settings.direct_reads and not settings.is_sqlite else None
    )
    readiness = EngineReadiness(settings) if settings.is_sqlite else ServerReadiness(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # What exists now (modules, routes, schemas) lives as long as the process: take it out
        # of the cyclic collector's sight, so that its full collections stay short (tail latency).
        gc.collect()
        gc.freeze()
        if _app.state.direct is not None:
            _app.state.direct.open()  # closed by a previous shutdown of this app, if any
        async with _embedded_webhooks(_app):
            yield
        if _app.state.direct is not None:
            await _app.state.direct.close()
        await readiness.close()
        await _app.state.quota_leases.close()
        await engine.dispose()

    app = FastAPI(
        title="dmi-api",
        version=__version__,
        description=API_DESCRIPTION,
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
        default_response_class=FastJSONResponse,
        docs_url=None,  # installed below with local assets
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.direct = direct
    app.state.stores = build_stores(direct)  # the path of each served operation, chosen once
    app.state.readiness = readiness
    app.state.sessionmaker = create_sessionmaker(engine)
    app.state.route_limits = RouteLimits.share_of(
        settings.db_pool_size + settings.db_max_overflow,
        settings.db_route_pool_share,
        settings.db_pool_timeout_seconds,
    )
    app.state.quota_leases = quota_leases(settings)
    app.state.keyring = KeyRing(settings, lambda: app.state.sessionmaker)
    app.state.cursor_codec = CursorCodec(settings.secret_key.get_secret_value())

    install_exception_handlers(app, retry_after_seconds=settings.db_retry_after_seconds)
    # Busiest first: a request's route is found by trying the routes in this order, at a cost
    # per route tried (measured: 16% of a child read's CPU when children came sixth).
    modules = (
        children,
        session_records,
        insights,
        due,
        assessments,
        prescriptions,
        milestones,
        exercises,
        practitioners,
        clinic_settings,
        clients,
        session_batches,
        audit_events,
        events,
        webhook_endpoints,
        exports,
        fhir_exports,  # before fhir: `/Patient/$export` is not `/Patient/{id}`
        fhir,
        fhir_resources,
        oauth,
        health,
    )
    refuse_other_methods([module.router for module in modules])
    for module in modules:
        app.include_router(module.router)
    install_openapi(app)
    install_docs_ui(app)

    # Added innermost first: HEAD-as-GET, the body limit and the content coding sit inside the
    # header limit, inside CORS, inside request context, so that every answer (413s, 415s,
    # 431s and CORS preflights included) carries the request id.
    # Innermost: a FHIR search's page token opened into its query before routing.
    app.add_middleware(FhirPageMiddleware)
    app.add_middleware(HeadAsGetMiddleware)
    app.add_middleware(BodyLimitMiddleware, max_body_bytes=settings.max_body_bytes)
    # Outside the body limit, which so counts a gzip body's decompressed bytes.
    app.add_middleware(ContentEncodingMiddleware, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(HeaderLimitMiddleware)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=CORS_REQUEST_HEADERS,
            expose_headers=CORS_RESPONSE_HEADERS,
            max_age=600,
        )
    app.add_middleware(
        RequestContextMiddleware, retry_after_seconds=settings.db_retry_after_seconds
    )
    # Outermost: every problem of a `/fhir/` request, the last-resort 500 included, is
    # answered as an OperationOutcome.
    app.add_middleware(FhirOutcomeMiddleware)
    return app
