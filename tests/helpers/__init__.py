"""Test helpers shared by the test modules (import ``helpers.x``, never ``conftest``).

- :mod:`helpers.tiny`: the hand-made tiny book (``write_tiny_book`` and its tables).
- :mod:`helpers.report`: a synthetic, self-consistent ``Pack`` for the report tests.
- :mod:`helpers.rebalance`: small hand-made and seeded-random positions frames.
- :mod:`helpers.webhook`: a JSON webhook on 127.0.0.1 and the loopback-only guard.
- :mod:`helpers.fixtures`: session-scoped fixtures (one rendered demo pack, one rendered
  synthetic report, a no-render switch), registered by ``tests/conftest.py``.
"""
