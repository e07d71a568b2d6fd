"""docs/store.md lists every table of the schema with every column."""

from __future__ import annotations

import re
from pathlib import Path

from fimonitor.store import schema as S

DOC = Path(__file__).resolve().parents[2] / "docs" / "store.md"


def test_every_table_and_column_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    for table in (*S.DATA_TABLES, S.schema_version):
        m = re.search(rf"^### `{table.name}`.*?(?=^### |^## |\Z)", text, re.M | re.S)
        assert m, f"docs/store.md has no section for {table.name}"
        section = m.group(0)
        for col in table.columns:
            if col.name == "id":
                continue
            assert f"`{col.name}`" in section, f"{table.name}.{col.name} is not documented"
