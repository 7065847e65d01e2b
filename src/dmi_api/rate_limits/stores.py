"""Where the quota counters live: Redis when `DMI_REDIS_URL` is set, else this process."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from limits.aio.storage import MemoryStorage, RedisStorage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from redis.asyncio import ConnectionPool

from dmi_api.config import Settings
from dmi_api.rate_limits.leases import QuotaLeases

logger = logging.getLogger(__name__)

KEY_PREFIX = "dmi-rate"


Closer = Callable[[], Awaitable[None]]


def shared_limiter(settings: Settings) -> tuple[SlidingWindowCounterRateLimiter, Closer | None]:
    """The `limits` sliding window counter on the configured storage (store errors wrapped as
    the library's `StorageError`), and what closes its connections, if anything."""
    url = settings.redis_url_value
    if url is None:
        if not settings.is_sqlite or settings.workers > 1:
            logger.warning(
                "rate limits are counted per process: set DMI_REDIS_URL when several "
                "workers or replicas serve the API"
            )
        return SlidingWindowCounterRateLimiter(MemoryStorage(wrap_exceptions=True)), None
    timeout = settings.redis_timeout_seconds
    # Our own pool, so that shutdown closes its connections.
    pool = ConnectionPool.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
    storage = RedisStorage(
        "async+" + url,
        wrap_exceptions=True,
        implementation="redispy",
        key_prefix=KEY_PREFIX,
        connection_pool=pool,  # type: ignore[arg-type]
    )
    return SlidingWindowCounterRateLimiter(storage), pool.aclose


def quota_leases(settings: Settings) -> QuotaLeases:
    """The app's quota keeper; `close()` it at shutdown."""
    limiter, close = shared_limiter(settings)
    return QuotaLeases(limiter, close=close)
