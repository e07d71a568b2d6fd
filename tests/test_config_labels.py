"""``labels: {groups: …}`` in the rules file: display names of group codes on the pages."""

from __future__ import annotations

import pytest

from fimonitor.config import parse_config
from fimonitor.errors import ConfigError
from fimonitor.report import format as fmt


def test_group_labels_parsed_and_used():
    cfg = parse_config({"labels": {"groups": {"HY_credit": "HY bonds"}}})
    assert dict(cfg.group_labels) == {"hy_credit": "HY bonds"}
    assert fmt.group_label("hy_credit", dict(cfg.group_labels)) == "HY bonds"
    assert fmt.group_label("mbs", dict(cfg.group_labels)) == "MBS"  # built-in default
    assert dict(parse_config({}).group_labels) == {}


@pytest.mark.parametrize(
    "raw", [{"labels": ["x"]}, {"labels": {"tickers": {}}}, {"labels": {"groups": ["a"]}}]
)
def test_bad_labels_are_config_errors(raw):
    with pytest.raises(ConfigError):
        parse_config(raw)
