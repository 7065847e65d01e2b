"""Where the quota counters live: Redis when `DMI_REDIS_URL` is set, else this process."""

from __future__ import annotations

import logging

from limits.aio.storage import MemoryStorage, RedisStorage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from redis.asyncio import ConnectionPool

from dmi_api.config import Settings
from dmi_api.rate_limits.leases import QuotaLeases

logger = logging.getLogger(__name__)

KEY_PREFIX = "dmi-rate"


def quota_leases(settings: Settings) -> QuotaLeases:
    """The app's quota keeper on the configured storage (store errors wrapped as the `limits`
    library's `StorageError`); `close()` it at shutdown."""
    url = settings.redis_url_value
    if url is None:
        if not settings.is_sqlite or settings.workers > 1:
            logger.warning(
                "rate limits are counted per process: set DMI_REDIS_URL when several "
                "workers or replicas serve the API"
            )
        return QuotaLeases(SlidingWindowCounterRateLimiter(MemoryStorage(wrap_exceptions=True)))
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
    return QuotaLeases(SlidingWindowCounterRateLimiter(storage), close=pool.aclose)
