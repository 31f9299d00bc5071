from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from masthead.lib.lru import LRU


def test_it_drops_the_least_recently_used_when_full():
    memo = LRU(3)
    for key in "abc":
        memo.put(key, key.upper())
    assert memo.get("a") == "A"  # a is now the most recently used
    memo.put("b", "B2")  # and now b

    memo.put("d", "D")

    assert list(memo) == ["a", "b", "d"]
    assert "c" not in memo
    assert memo.get("c") is None
    assert memo.get("b") == "B2"
    assert len(memo) == 3


def test_it_discards_what_matches_and_clears():
    memo = LRU(10)
    for key in ("x:1", "x:2", "y:1"):
        memo.put(key, 0)
    memo.discard(lambda key: key.startswith("x:"))
    assert list(memo) == ["y:1"]
    memo.clear()
    assert len(memo) == 0


def test_it_holds_at_least_one_entry():
    with pytest.raises(ValueError, match="at least one"):
        LRU(0)


@given(
    size=st.integers(1, 5),
    steps=st.lists(st.tuples(st.sampled_from(["get", "put"]), st.integers(0, 8), st.integers()), max_size=60),
)
def test_it_behaves_as_a_list_kept_in_order_of_use(size, steps):
    memo: LRU[int, int] = LRU(size)
    model: list[tuple[int, int]] = []  # least recently used first
    for operation, key, value in steps:
        found = next((entry for entry in model if entry[0] == key), None)
        if operation == "get":
            assert memo.get(key) == (found[1] if found else None)
            if found:
                model.remove(found)
                model.append(found)
        else:
            memo.put(key, value)
            if found:
                model.remove(found)
            elif len(model) == size:
                model.pop(0)
            model.append((key, value))
        assert list(memo) == [entry[0] for entry in model]
        assert len(memo) <= size
