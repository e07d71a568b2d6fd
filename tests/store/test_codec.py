"""The frame-to-rows conversion, against hand-made cases (the correlation codec: analytics)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from fimonitor.errors import InputError
from fimonitor.store import codec


def test_frame_rows_kinds() -> None:
    df = pd.DataFrame(
        {
            "x": [1.5, "2", np.nan],
            "t": ["a", np.nan, 3],
            "d": ["2025-06-02", None, pd.Timestamp("2025-06-03")],
            "b": [True, "false", "yes"],
            "i": [1.4, np.nan, 2.6],
        }
    )
    spec = [
        ("x", "x", "float", True),
        ("key", "t", "key", True),
        ("text", "t", "str", False),
        ("d", "d", "date", False),
        ("b", "b", "bool", True),
        ("i", "i", "int", True),
        ("absent", "zz", "float", False),
    ]
    rows = codec.frame_rows(df, spec, {"portfolio_id": "p"}, "frame")
    assert rows[0] == {
        "x": 1.5,
        "key": "a",
        "text": "a",
        "d": dt.date(2025, 6, 2),
        "b": True,
        "i": 1,
        "absent": None,
        "portfolio_id": "p",
    }
    assert rows[1]["x"] == 2.0 and rows[1]["key"] == "" and rows[1]["text"] is None
    assert rows[2]["x"] is None and rows[2]["text"] == "3" and rows[2]["b"] is True
    assert all(type(r["x"]) in (float, type(None)) for r in rows)
    with pytest.raises(InputError, match=r"frame is missing column\(s\) x"):
        codec.frame_rows(df.drop(columns="x"), spec, {}, "frame")
    with pytest.raises(InputError, match="frame: row 2: t is blank"):
        codec.frame_rows(df, [("text", "t", "str", True)], {}, "frame")
    with pytest.raises(InputError, match=r"frame\.d: not a date: 'soon'"):
        codec.frame_rows(df.assign(d="soon"), spec, {}, "frame")


def test_insert_rows_stores_what_sqlalchemy_stores(tmp_path, monkeypatch) -> None:
    """The direct SQLite path (plain tuples) and SQLAlchemy's executemany store the same rows."""
    import sqlalchemy as sa

    meta = sa.MetaData()
    table = sa.Table(
        "t",
        meta,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("day", sa.Date),
        sa.Column("stamp", sa.DateTime),
        sa.Column("value", sa.Float),
        sa.Column("flag", sa.Boolean),
        sa.Column("note", sa.Text),
    )
    stamp = dt.datetime(2026, 11, 30, 18, 3, 4, 5)
    rows = [
        {
            "name": f"Ünïcode «{i}» 債券",
            "day": dt.date(2024, 1, 1 + i % 28),
            "stamp": stamp,
            "value": None if i % 3 == 0 else float(i) / 7,
            "flag": i % 2 == 0,
            "note": None if i % 5 else 'a, "quoted"\nline',
        }
        for i in range(30)
    ]

    def stored(direct_above: int) -> list[tuple]:
        monkeypatch.setattr(codec, "DIRECT_INSERT_ROWS", direct_above)
        engine = sa.create_engine(f"sqlite:///{tmp_path / f'{direct_above}.sqlite'}")
        meta.create_all(engine)
        with engine.begin() as conn:
            codec.insert_rows(conn, table, rows)
            codec.insert_rows(conn, table, [])
        with engine.connect() as conn:  # raw text as stored, with SQLite's own value types
            out = conn.exec_driver_sql(
                "SELECT id, name, day, typeof(day), stamp, value, typeof(value), flag, "
                "typeof(flag), note FROM t ORDER BY id"
            ).all()
        engine.dispose()
        return [tuple(r) for r in out]

    direct, via_sqlalchemy = stored(0), stored(10**9)
    assert direct == via_sqlalchemy
    assert len(direct) == 30 and direct[0][2:4] == ("2024-01-01", "text")
    assert direct[1][5:9] == (1 / 7, "real", 0, "integer")


def test_insert_rows_takes_values_by_name(tmp_path, monkeypatch) -> None:
    """The direct path reads each value by its column name, whatever a row's key order."""
    import sqlalchemy as sa

    monkeypatch.setattr(codec, "DIRECT_INSERT_ROWS", 0)
    meta = sa.MetaData()
    table = sa.Table("t", meta, sa.Column("a", sa.Integer), sa.Column("b", sa.Text))
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'r.sqlite'}")
    meta.create_all(engine)
    with engine.begin() as conn:
        codec.insert_rows(conn, table, [{"a": 1, "b": "x"}, {"b": None, "a": 2}])
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT a, b FROM t ORDER BY a").all() == [(1, "x"), (2, None)]
    engine.dispose()
