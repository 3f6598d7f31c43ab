"""The default rollback target: the champion before the current one, replayed from the
champion's moves as the events record them (``api.coaching.service.earlier_champion``)."""

from __future__ import annotations

import pytest

from api.coaching.service import earlier_champion


@pytest.mark.parametrize(
    ("history", "current", "expected"),
    [
        ([], 1, None),  # an alias set without events: nothing earlier
        ([("promoted", 1)], 1, None),
        ([("promoted", 1), ("promoted", 2)], 2, 1),
        ([("promoted", 1), ("promoted", 2), ("promoted", 3)], 3, 2),
        # after rolling back 3 → 2, the next rollback goes to 1, not back to 3
        ([("promoted", 1), ("promoted", 2), ("promoted", 3), ("rolled_back", 2)], 2, 1),
        (
            [
                ("promoted", 1),
                ("promoted", 2),
                ("promoted", 3),
                ("rolled_back", 2),
                ("rolled_back", 1),
            ],
            1,
            None,
        ),  # fmt: skip
        # promoting an old version again: the one it replaced is the earlier champion
        ([("promoted", 1), ("promoted", 2), ("promoted", 1)], 1, 2),
        # a rollback to a version never champion counts as a move to it
        ([("promoted", 1), ("promoted", 2), ("rolled_back", 5)], 5, 2),
        # a rollback to a version twice in the stack goes back to its latest place
        (
            [
                ("promoted", 1),
                ("promoted", 2),
                ("promoted", 1),
                ("promoted", 3),
                ("rolled_back", 1),
            ],
            1,
            2,
        ),  # fmt: skip
        # the alias moved after the last event (not through the API): it is current
        ([("promoted", 1), ("promoted", 2)], 4, 2),
        # the same version promoted twice in a row is one move
        ([("promoted", 1), ("promoted", 2), ("promoted", 2)], 2, 1),
    ],
)
def test_earlier_champion(history, current, expected):
    assert earlier_champion(history, current) == expected
