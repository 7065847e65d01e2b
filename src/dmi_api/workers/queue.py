"""`dmi-api worker`: webhook work and bulk exports as pgqueuer jobs on the app's PostgreSQL
database. Any number of workers may run: each job is picked by one (FOR UPDATE SKIP LOCKED),
NOTIFY wakes them at commit, a job whose worker died (its heartbeat stops) is picked again."""

from __future__ import annotations

import asyncio
import logging
import math
import signal
import uuid
from datetime import datetime, timedelta

import asyncpg  # type: ignore[import-untyped]
from pgqueuer import PgQueuer, RetryRequested
from pgqueuer.models import Job, Schedule
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from dmi_api.auth import throttle
from dmi_api.config import Settings
from dmi_api.db import check_schema_revision, create_engine, create_sessionmaker
from dmi_api.direct.export_rows import SnapshotRows
from dmi_api.models.columns import utcnow
from dmi_api.services import bulk_exports, due_notices, idempotency
from dmi_api.services.export_runner import ExportRun
from dmi_api.webhooks.safe_transport import delivery_client
from dmi_api.workers.attempts import WebhookWork
from dmi_api.workers.stopping import unless_stopped

logger = logging.getLogger("dmi_api.worker")

DELIVER = "webhook_deliver"  # payload: "<clinic id> <delivery id>" (the migration's triggers)
DISPATCH = "webhook_dispatch"  # payload: the clinic id
RECOVER = "webhook_recover"  # no payload: a sweep after the dispatcher's claims' leases end
EXPORT = "bulk_export"  # payload: "<clinic id> <export id>" (the migration's trigger)
PRUNE_EXPORTS_AT = "*/10 * * * *"
SWEEP_EVERY = "* * * * *"
PRUNE_AT = "17 3 * * *"
DUE_EVERY = "7 * * * *"  # what fell due, announced hourly (`assessment.due`)
# How soon a dispatch looks again while a transaction it may have missed is still running.
DISPATCH_AGAIN = timedelta(milliseconds=50)
UPKEEP_CONNECTIONS = 2  # the long-work pool's connections beside the running exports' own
# An export whose row could not be read or written (the database out of reach, a restart) is
# run again from the start after each of these pauses (seconds; its job requeued meanwhile), then
# its job fails (and the export is queued again by `bulk_exports.requeue_stalled` once the
# database answers).
EXPORT_RETRY_PAUSES = (1.0, 5.0, 25.0)


def asyncpg_dsn(sqlalchemy_url: str) -> str:
    """The app's SQLAlchemy URL for asyncpg itself (no `+asyncpg` driver suffix)."""
    return make_url(sqlalchemy_url).set(drivername="postgresql").render_as_string(False)


def _handed_back() -> RetryRequested:
    """A job given back to the queue by a stopping worker: due again at once, for any worker."""
    return RetryRequested(timedelta(0), "the worker is stopping")


async def _run_export(run: ExportRun, job: Job, stopping: asyncio.Event) -> None:
    """`run.run()`; while its row is out of reach, its job is queued again after the next of
    `EXPORT_RETRY_PAUSES` (pgqueuer's retry: the slot is free meanwhile, a stopping worker does
    not wait for it, any worker may take it), and it starts over. Without the retries the row
    would stay queued or running, its job gone: its client's next export refused until then.
    A worker that begins to stop (`stopping`) hands the export back the same way, due at once:
    it starts over on another worker instead of holding up the stop (or being killed)."""
    try:
        if not await unless_stopped(run.run(), stopping):
            raise _handed_back()
    except (SQLAlchemyError, OSError) as error:
        if job.attempts >= len(EXPORT_RETRY_PAUSES):
            raise
        pause = EXPORT_RETRY_PAUSES[job.attempts]
        logger.warning(
            "export's row out of reach; run again in %s s",
            pause,
            extra={"exc_type": type(error).__name__},  # the type only: no values
        )
        raise RetryRequested(timedelta(seconds=pause), "the export's row out of reach") from None


async def _check_schema(settings: Settings) -> None:
    """`SchemaBehindError` unless the database is migrated to this version: the job tables are
    our migrations' (pgqueuer's own advice, `pgq install`, would make them beside them)."""
    conn = await asyncpg.connect(asyncpg_dsn(settings.database_url_value))
    try:
        revision = await conn.fetchval("SELECT version_num FROM alembic_version")
    except (asyncpg.UndefinedTableError, asyncpg.InsufficientPrivilegeError):
        revision = None  # not migrated, or before the grant of its revision to this role
    finally:
        await conn.close()
    check_schema_revision(revision)


async def run_worker(
    settings: Settings,
    *,
    concurrency: int = 10,
    stop: asyncio.Event | None = None,
    grace_seconds: float | None = None,
) -> None:
    """Run the jobs until `stop` is set, or (without `stop`) SIGTERM or SIGINT arrives; then
    stop (`_drain`): claim nothing more, hand the running exports back to the queue, and let
    the calls in flight end and be recorded for at most `grace_seconds` (None: a claim's
    lease; `dmi-api worker`: `cli.GRACEFUL_SHUTDOWN_SECONDS`, within a container's stop grace
    period)."""
    if settings.is_sqlite:
        raise RuntimeError("the worker needs PostgreSQL; `dmi-api serve` delivers on SQLite")
    await _check_schema(settings)
    engine = create_engine(settings)
    # Long work: each running export holds one connection for its whole run, and the upkeep
    # jobs (sweeps, pruning, the due look-up) keep UPKEEP_CONNECTIONS of their own beside them.
    upkeep_engine = create_engine(
        settings,
        long_running=True,
        long_pool_size=settings.export_concurrency + UPKEEP_CONNECTIONS,
    )
    client = delivery_client(
        allow_loopback=settings.webhook_allow_loopback,
        timeout_seconds=settings.webhook_timeout_seconds,
    )
    work = WebhookWork.for_settings(settings, create_sessionmaker(engine), client)
    # Work long by nature (upkeep, exports) runs on the engine with the long statement timeout.
    upkeep = create_sessionmaker(upkeep_engine)
    work.upkeep_sessionmaker = upkeep
    connection = await asyncpg.connect(asyncpg_dsn(settings.database_url_value))
    queue = PgQueuer.from_asyncpg_connection(connection)

    async def recover_after(lease_until: datetime) -> None:
        # One sweep per second in which leases end (the dedupe key), after they have ended.
        second = math.ceil(lease_until.timestamp())
        delay = timedelta(seconds=second + 1 - utcnow().timestamp())
        await queue.qm.queries.enqueue(
            RECOVER, None, execute_after=delay, dedupe_key=f"{RECOVER}:{second}", on_conflict="skip"
        )

    work.on_claimed = recover_after

    @queue.entrypoint(DELIVER)
    async def deliver(job: Job) -> None:
        # Attempted in the background (`WebhookWork.offer`): a delivery waiting for its clinic's
        # calls (`DMI_WEBHOOK_CLINIC_CALLS`) holds no job slot that another clinic's job needs.
        clinic_id, delivery_id = (job.payload or b"").decode().split()
        if not work.offer(uuid.UUID(clinic_id), uuid.UUID(delivery_id)) and work.closing:
            raise _handed_back()  # picked as this worker began to stop

    @queue.entrypoint(DISPATCH)
    async def dispatch(job: Job) -> None:
        if await work.dispatch(uuid.UUID((job.payload or b"").decode())):
            await queue.qm.queries.enqueue(DISPATCH, job.payload, execute_after=DISPATCH_AGAIN)

    @queue.entrypoint(RECOVER)
    async def recover(_job: Job) -> None:
        await work.sweep()

    @queue.schedule("webhook_sweep", SWEEP_EVERY)
    async def sweep(_schedule: Schedule) -> None:
        await work.sweep()

    # At most `export_concurrency` at once here: the others stay queued for a worker with room
    # (a job that waited for a connection past the pool's timeout would fail instead).
    @queue.entrypoint(EXPORT, concurrency_limit=settings.export_concurrency)
    async def export(job: Job) -> None:
        # A job whose worker died (its heartbeat stopped) is picked again and starts over.
        clinic_id, export_id = (job.payload or b"").decode().split()
        run = ExportRun(
            upkeep,
            settings,
            uuid.UUID(clinic_id),
            uuid.UUID(export_id),
            reader=SnapshotRows(settings),
        )
        await _run_export(run, job, queue.shutdown)

    @queue.schedule("bulk_export_prune", PRUNE_EXPORTS_AT)
    async def prune_exports(_schedule: Schedule) -> None:
        async with upkeep() as db, db.begin():
            await bulk_exports.requeue_stalled(db)
            await bulk_exports.prune(db, settings)

    @queue.schedule("assessment_due", DUE_EVERY)
    async def announce_due(_schedule: Schedule) -> None:
        await due_notices.announce_all(upkeep)

    @queue.schedule("webhook_prune", PRUNE_AT)
    async def prune(_schedule: Schedule) -> None:
        await work.prune(settings.event_retention_days)

    @queue.schedule("auth_throttle_prune", PRUNE_AT)
    async def prune_throttle(_schedule: Schedule) -> None:
        async with upkeep() as db, db.begin():
            await throttle.prune(db)

    @queue.schedule("idempotency_key_prune", PRUNE_AT)
    async def prune_idempotency_keys(_schedule: Schedule) -> None:
        async with upkeep() as db, db.begin():
            await idempotency.prune(db)

    grace = work.lease.total_seconds() if grace_seconds is None else grace_seconds
    stopping = _StopSignals(queue.shutdown, grace, stop)
    batch = max(1, concurrency // 2)
    runner = asyncio.create_task(
        queue.run(
            batch_size=batch,
            max_concurrent_tasks=max(concurrency, 2 * batch),
            dequeue_timeout=timedelta(seconds=30),
        )
    )
    try:
        logger.info("webhook worker started (concurrency %d)", max(concurrency, 2 * batch))
        await stopping.wait_for(runner)
        await _drain(runner, work, grace)
    finally:
        stopping.close()
        if not runner.done():
            runner.cancel()
            await asyncio.wait({runner})
        await connection.close()
        await work.settle()  # after a failure of the queue: its calls in flight, for a lease
        await client.aclose()
        await engine.dispose()
        await upkeep_engine.dispose()
    if not runner.cancelled():  # cancelled: cut short past the grace period, by `finally`
        try:
            runner.result()  # the queue's own failure, if it failed
        except (asyncpg.InterfaceError, asyncpg.InternalClientError) as exc:
            # The job library's bare connection was lost ('connection is closed'): the
            # database's failure (`dmi-api worker` says so in one line), not the worker's.
            raise ConnectionError(f"{type(exc).__name__}: {exc}") from exc


async def _drain(runner: asyncio.Task[None], work: WebhookWork, grace_seconds: float) -> None:
    """Once the queue is stopping (pgqueuer's `shutdown`: it dequeues nothing more, and the
    running exports hand themselves back): claim nothing more, record the calls in flight, and
    wait for the queue's running jobs, all within `grace_seconds`; what is left then is
    cancelled by the caller (its claims are attempted again when their leases end)."""
    if runner.done():
        return
    loop = asyncio.get_running_loop()
    deadline = loop.time() + grace_seconds
    dropped = await work.settle(within=grace_seconds)
    await asyncio.wait({runner}, timeout=max(0.0, deadline - loop.time()))
    if dropped or not runner.done():
        logger.warning(
            "stopped after the %s s grace period with calls or jobs unfinished: attempted "
            "again when their claims' leases end",
            grace_seconds,
        )


class _StopSignals:
    """What stops the worker: `stop`, or else SIGTERM and SIGINT (handled by the loop while it
    runs, one log line): each sets the queue's `shutdown` (pgqueuer's own stop)."""

    def __init__(
        self, shutdown: asyncio.Event, grace_seconds: float, stop: asyncio.Event | None
    ) -> None:
        self.shutdown, self.grace_seconds = shutdown, grace_seconds
        self._loop = asyncio.get_running_loop()
        self._signals: tuple[signal.Signals, ...] = ()
        self._forward: asyncio.Task[None] | None = None
        if stop is not None:
            self._forward = asyncio.create_task(self._forwarded(stop))
            return
        self._signals = (signal.SIGTERM, signal.SIGINT)
        for signum in self._signals:
            self._loop.add_signal_handler(signum, self._received, signum)

    async def _forwarded(self, stop: asyncio.Event) -> None:
        await stop.wait()
        self.shutdown.set()

    def _received(self, signum: signal.Signals) -> None:
        if self.shutdown.is_set():
            return
        logger.info(
            "worker stopping on %s: no new jobs; running exports queued again for another "
            "worker; deliveries in flight get up to %s s",
            signum.name,
            self.grace_seconds,
        )
        self.shutdown.set()

    async def wait_for(self, runner: asyncio.Task[None]) -> None:
        """Until the queue is told to stop, or has stopped by itself (failed)."""
        waiter = asyncio.create_task(self.shutdown.wait())
        try:
            await asyncio.wait({runner, waiter}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()

    def close(self) -> None:
        """The signals back to their defaults."""
        for signum in self._signals:
            self._loop.remove_signal_handler(signum)
        if self._forward is not None:
            self._forward.cancel()
