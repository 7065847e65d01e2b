"""The failed-authentication counts are forgotten once they can no longer matter: a stranger
presenting made-up client ids leaves a row for each, which the daily upkeep removes."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlmodel import col

from dmi_api.auth import throttle
from dmi_api.config import Settings
from dmi_api.models import AuthThrottle
from dmi_api.models.columns import utcnow


def test_no_window_the_settings_allow_outlasts_the_pruning() -> None:
    field = Settings.model_fields["auth_failure_window_seconds"]
    longest = next(rule.le for rule in field.metadata if getattr(rule, "le", None) is not None)
    assert timedelta(seconds=longest) <= throttle.LONGEST_WINDOW


async def test_prune_forgets_old_counts_and_keeps_locks_in_force(
    db_connection: AsyncConnection,
) -> None:
    now = utcnow()
    old = now - throttle.LONGEST_WINDOW - timedelta(minutes=1)
    rows = {
        "old-unlocked": (old, None),
        "old-lock-ended": (old, now - timedelta(seconds=1)),
        "old-still-locked": (old, now + timedelta(minutes=5)),
        "recent": (now - timedelta(hours=1), None),
    }
    async with AsyncSession(bind=db_connection) as db:
        db.add_all(
            AuthThrottle(client_key=key, failures=3, window_started_at=began, locked_until=lock)
            for key, (began, lock) in rows.items()
        )
        await db.flush()
        assert await throttle.prune(db, now) >= 2
        mine = col(AuthThrottle.client_key).in_(rows)
        kept = (await db.execute(select(col(AuthThrottle.client_key)).where(mine))).scalars()
        assert sorted(kept) == ["old-still-locked", "recent"]
