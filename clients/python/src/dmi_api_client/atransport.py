"""The asynchronous transport: tokens, retries and errors around `httpx.AsyncClient`."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpx

from dmi_api_client.errors import api_error
from dmi_api_client.flow import Attempts, Step, request_kwargs
from dmi_api_client.requests import ApiRequest
from dmi_api_client.retry import RetryPolicy
from dmi_api_client.tokens import TokenCache


class AsyncTransport:
    """Sends `ApiRequest`s with a fresh token, retrying as `policy` says; raises `ApiError`
    for every answer that is not 2xx."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        tokens: TokenCache,
        policy: RetryPolicy,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.http, self.tokens, self.policy, self.sleep = http, tokens, policy, sleep
        self._lock = asyncio.Lock()

    async def authorization(self) -> str:
        """The current token's header value, fetching a new token when it is due."""
        async with self._lock:
            if self.tokens.needs_token():
                await self._fetch_token()
            return self.tokens.authorization()

    async def _fetch_token(self) -> None:
        attempts = Attempts(ApiRequest("POST", self.tokens.token_url), self.policy, for_token=True)
        while True:
            attempts.count += 1
            token_request = self.tokens.request()  # a new assertion (jti) for every attempt
            step: Step
            try:
                response = await self.http.post(
                    token_request.url, data=token_request.form, headers=token_request.headers
                )
            except httpx.TransportError as error:
                if (step := attempts.after_error(error)).final:
                    raise
            else:
                if (step := attempts.after_response(response)).final:
                    self.tokens.accept(response)
                    return
            await self.sleep(step.wait or 0.0)

    async def send(self, request: ApiRequest, *, stream: bool = False) -> httpx.Response:
        """The 2xx answer to `request` (with `stream`, its body still to be read and closed)."""
        attempts = Attempts(request, self.policy)
        while True:
            attempts.count += 1
            authorization = await self.authorization()
            step: Step
            try:
                response = await self.http.send(
                    self.http.build_request(**request_kwargs(request, authorization)),
                    stream=stream,
                )
            except httpx.TransportError as error:
                if (step := attempts.after_error(error)).final:
                    raise
            else:
                step = attempts.after_response(response)
                if step.final and response.is_success:
                    return response
                await response.aread()
                await response.aclose()
                if step.final:
                    raise api_error(response)
                if step.reauthorize:
                    self.tokens.discard(authorization)
            await self.sleep(step.wait or 0.0)
