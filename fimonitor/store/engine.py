"""Opening the history database: URL checks, engines, schema migrations, write transactions.

:func:`open_store` validates a URL and opens the database *before* any pack is built: a bad
URL, a directory or unreadable/corrupt file, a server that refuses the connection or a driver
that is not installed is a :class:`~fimonitor.errors.StoreError` whose message is one line
(no ``[SQL: …]`` and no link to SQLAlchemy's background pages).

Writers serialise on one lock per database: SQLite write transactions start with
``BEGIN IMMEDIATE`` (the second writer waits up to ``busy_timeout``), PostgreSQL ones take a
transaction-level advisory lock keyed by the current schema. So two processes recording the
same ``(portfolio, as-of)`` both succeed and leave one snapshot, and two processes opening a
new database apply each migration once.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from fimonitor.errors import InputError, StoreError
from fimonitor.store import migrations as M
from fimonitor.store import schema as S

log = logging.getLogger(__name__)

__all__ = [
    "Store",
    "default_url",
    "ensure_schema",
    "open_store",
    "schema_version_of",
    "sqlite_file",
]

SQLITE_TIMEOUT_S = 60.0
_WRITE_FLAG = "fimonitor_write"
_DRIVER_HINTS = {
    "psycopg": "psycopg[binary]",
    "psycopg2": "psycopg2-binary",
    "asyncpg": "asyncpg",
    "pymysql": "PyMySQL",
}


def default_url(out_dir: str | Path = "outputs") -> str:
    """``sqlite:///OUT/fimonitor.sqlite`` for an output folder."""
    return f"sqlite:///{(Path(out_dir) / 'fimonitor.sqlite').as_posix()}"


def now() -> dt.datetime:
    """UTC now without tz and microseconds (the ``recorded_at`` stamps)."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


def one_line(exc: BaseException) -> str:
    """Return the driver's message of a database error: first line, no SQLAlchemy extras."""
    inner = getattr(exc, "orig", None) or exc
    text = str(inner).strip().splitlines()
    first = text[0] if text else type(inner).__name__
    return first.split(" [SQL:")[0].split("(Background on this error")[0].strip()


def _parse_url(url: str) -> sa.URL:
    try:
        return sa.make_url(url)
    except ArgumentError as exc:
        raise StoreError(
            f"--db {url!r} is not a SQLAlchemy URL "
            "(expected e.g. sqlite:///outputs/fimonitor.sqlite or postgresql+psycopg://host/db)"
        ) from exc


def _sqlite_path(url: sa.URL) -> Path | None:
    if not url.drivername.startswith("sqlite"):
        return None
    db = url.database
    if not db or db == ":memory:" or db.startswith("file:"):
        return None
    return Path(db)


def sqlite_file(url: str) -> Path | None:
    """The SQLite file a database URL names, as written (relative paths stay relative).

    None for a server database, ``:memory:`` or a ``file:`` URI; a malformed URL is a
    :class:`~fimonitor.errors.StoreError`.
    """
    return _sqlite_path(_parse_url(url))


def _check_sqlite_path(path: Path, create: bool) -> None:
    if path.is_dir():
        raise StoreError(f"history database {path} is a directory, not a SQLite file")
    if not path.exists():
        if not create:
            raise InputError(f"no history database at {path} (run `fimonitor pack` first)")
        parent = path.parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the folder of history database {path}: {exc}") from exc
        if not os.access(parent, os.W_OK | os.X_OK):
            raise StoreError(f"cannot create history database {path}: folder is not writable")
    elif create and not os.access(path, os.W_OK):
        raise StoreError(f"history database {path} is read-only")


def _install_sqlite_hooks(engine: sa.Engine) -> None:
    """Driver-level transactions so that writers can start with ``BEGIN IMMEDIATE``."""

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_conn, _record) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {int(SQLITE_TIMEOUT_S * 1000)}")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(conn) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.get(_WRITE_FLAG) else "BEGIN")


@dataclass
class Store:
    """An open history database: its URL and a SQLAlchemy engine (close it when done)."""

    url: str
    engine: sa.Engine

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql`` (or another SQLAlchemy dialect name)."""
        return self.engine.dialect.name

    def close(self) -> None:
        """Release the engine's connections."""
        self.engine.dispose()

    def __enter__(self) -> Store:
        """Use the store as a context manager (closed on exit)."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Close the store."""
        self.close()

    @contextmanager
    def write(self) -> Iterator[sa.Connection]:
        """One write transaction holding the database's writer lock; commits on success."""
        with self.engine.connect() as conn:
            conn.info[_WRITE_FLAG] = True
            try:
                with conn.begin():
                    if self.dialect == "postgresql":
                        conn.execute(
                            sa.text(
                                "SELECT pg_advisory_xact_lock("
                                "hashtext('fimonitor:' || current_schema()))"
                            )
                        )
                    yield conn
            finally:
                conn.info.pop(_WRITE_FLAG, None)

    def describe(self) -> str:
        """Return the URL with any password hidden."""
        return sa.make_url(self.url).render_as_string(hide_password=True)


def open_store(url: str | Store, *, create: bool = True) -> Store:
    """Validate ``url``, connect, and bring the schema up to date.

    Parameters
    ----------
    url : str or Store
        SQLAlchemy URL (``sqlite:///path``, ``postgresql+psycopg://user@host:port/db``…);
        a :class:`Store` is returned as is.
    create : bool
        Create a missing SQLite file (and its folder). With False a missing SQLite file is
        an :class:`~fimonitor.errors.InputError` and nothing is created (read-only
        commands). Either way an older schema is migrated in place.

    Returns
    -------
    Store
        Close it (or use it as a context manager) when done.

    Raises
    ------
    StoreError
        Bad URL, a directory, a read-only or corrupt file, an unreachable server, a driver
        that is not installed, or a database from a newer fimonitor. One line.
    """
    if isinstance(url, Store):
        return url
    parsed = _parse_url(url)
    shown = parsed.render_as_string(hide_password=True)
    path = _sqlite_path(parsed)
    if path is not None:
        _check_sqlite_path(path, create)
    try:
        kwargs = {"connect_args": {"timeout": SQLITE_TIMEOUT_S}} if path is not None else {}
        engine = sa.create_engine(parsed, **kwargs)
    except NoSuchModuleError as exc:
        raise StoreError(f"--db {shown}: unknown database kind {parsed.drivername!r}") from exc
    except ImportError as exc:
        driver = parsed.get_driver_name()
        hint = _DRIVER_HINTS.get(driver, driver)
        raise StoreError(
            f"--db {shown}: the database driver {driver!r} is not installed (pip install {hint})"
        ) from exc
    except (ArgumentError, SQLAlchemyError) as exc:
        raise StoreError(f"--db {shown}: {one_line(exc)}") from exc
    if engine.dialect.name == "sqlite":
        _install_sqlite_hooks(engine)
    store = Store(url=url, engine=engine)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
            if path is not None:  # a corrupt or foreign file fails here, not mid-pack
                conn.exec_driver_sql("PRAGMA schema_version").scalar()
        ensure_schema(store)  # read-only commands upgrade an older database too
    except SQLAlchemyError as exc:
        store.close()
        raise StoreError(f"cannot open the history database {shown}: {one_line(exc)}") from exc
    except BaseException:
        store.close()
        raise
    return store


def schema_version_of(conn_or_engine: sa.Engine | sa.Connection) -> int:
    """Return the highest applied migration (0 for an empty database)."""
    if not sa.inspect(conn_or_engine).has_table(S.schema_version.name):
        return 0
    stmt = sa.select(sa.func.max(S.schema_version.c.version))
    if isinstance(conn_or_engine, sa.Connection):
        v = conn_or_engine.execute(stmt).scalar()
    else:
        with conn_or_engine.connect() as conn:
            v = conn.execute(stmt).scalar()
    return int(v or 0)


def check_version(store: Store) -> int:
    """Return the schema version; one newer than this code is a StoreError."""
    current = schema_version_of(store.engine)
    if current > M.SCHEMA_VERSION:
        raise StoreError(
            f"the history database has schema version {current}, newer than this fimonitor "
            f"understands ({M.SCHEMA_VERSION}); upgrade fimonitor"
        )
    return current


def ensure_schema(store: Store | sa.Engine) -> int:
    """Create or migrate the schema to :data:`fimonitor.store.migrations.SCHEMA_VERSION`.

    Each pending migration runs in its own write transaction together with its
    ``schema_version`` row, after re-reading the version under the writer lock (so concurrent
    processes apply it once). Returns the version now in place.
    """
    if isinstance(store, sa.Engine):  # 0.1 callers passed an engine
        store = Store(url=store.url.render_as_string(hide_password=False), engine=store)
    try:
        current = check_version(store)
        for version, description, migrate in M.MIGRATIONS:
            if version <= current:
                continue
            with store.write() as conn:
                if schema_version_of(conn) >= version:  # applied meanwhile by another process
                    current = version
                    continue
                S.schema_version.create(conn, checkfirst=True)
                migrate(conn)
                conn.execute(
                    S.schema_version.insert().values(
                        version=version, description=description, applied_at=now()
                    )
                )
            log.info("history database migrated to schema version %d", version)
            current = version
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot prepare the history database: {one_line(exc)}") from exc
    return current
