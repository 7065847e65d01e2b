"""Charging an authenticated request to its client's quota (429 past it), and a token request
to its source address's."""

from __future__ import annotations

from starlette.requests import Request

from dmi_api.auth.principal import Principal
from dmi_api.auth.throttle import source_of
from dmi_api.errors import TooManyRequestsError
from dmi_api.http.middleware import route_template
from dmi_api.rate_limits.costs import cost_of
from dmi_api.rate_limits.leases import QuotaLeases
from dmi_api.rate_limits.verdicts import Verdict
from dmi_api.request_context import current_client_ip


async def charge_request(request: Request, principal: Principal) -> None:
    """Take this request's cost from its client's quota; the verdict's headers go on the
    response (`RequestContextMiddleware`), and past the quota it is a 429."""
    leases: QuotaLeases = request.app.state.quota_leases
    quota = principal.rate_limit or request.app.state.settings.rate_limit_per_minute
    # A quota smaller than a heavy request's cost still admits one such request a window.
    cost = min(quota, cost_of(request.method, route_template(request.scope)))
    verdict = await leases.charge(str(principal.client_id), quota, cost)
    request.state.rate_limit = verdict
    if not verdict.allowed:
        raise TooManyRequestsError(
            "This client's rate limit is used up: see the RateLimit header, and retry after "
            "Retry-After seconds.",
            retry_after_seconds=verdict.reset_seconds,
        )


async def charge_token_request(request: Request) -> Verdict:
    """Count a token request against its source address's `DMI_TOKEN_REQUESTS_PER_MINUTE`
    (an IPv6 peer by its /64), before any secret is checked: each check costs a slow hash."""
    leases: QuotaLeases = request.app.state.quota_leases
    quota = request.app.state.settings.token_requests_per_minute
    return await leases.charge(f"token-from {source_of(current_client_ip())}", quota, 1)
