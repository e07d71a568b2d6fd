"""Store fixtures: every store test runs on SQLite and on PostgreSQL.

PostgreSQL runs when ``FIMONITOR_TEST_PG_URL`` names a server (``.ci/pg-cluster start DIR``
prints one); each test gets its own schema (dropped afterwards) through the URL's
``options=-csearch_path=...``. Without the variable the PostgreSQL cases are skipped, unless
``FIMONITOR_REQUIRE_PG=1`` (set by ``.ci/run``), which makes them fail instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

PG_URL = os.environ.get("FIMONITOR_TEST_PG_URL", "")
REQUIRE_PG = os.environ.get("FIMONITOR_REQUIRE_PG", "") == "1"


def pg_schema_url() -> Iterator[str]:
    """A URL whose connections use a fresh PostgreSQL schema; the schema is dropped after."""
    if not PG_URL:
        if REQUIRE_PG:
            pytest.fail("FIMONITOR_REQUIRE_PG=1 but FIMONITOR_TEST_PG_URL is not set")
        pytest.skip("PostgreSQL store tests need FIMONITOR_TEST_PG_URL (.ci/pg-cluster start DIR)")
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = sa.create_engine(PG_URL)
    try:
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        url = sa.make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path) -> Iterator[str]:
    """A URL of an empty history database, on each back end."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'new_folder' / 'h.sqlite'}"
    else:
        yield from pg_schema_url()
