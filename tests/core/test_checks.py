"""Tests for nnviz.core.checks: each check returns the normalised value or raises an error that
names the parameter, the value given and what is allowed."""

from __future__ import annotations

import numpy as np
import pytest

from nnviz.core.checks import check_choice, check_int, check_number, check_sequence, check_widths


def test_check_choice_lower_cases_and_strips_and_names_the_choices() -> None:
    assert check_choice("optimizer", " Adam ", ("sgd", "adam")) == "adam"
    with pytest.raises(ValueError, match=r"optimizer='rmsprop' is not supported; .*'sgd', 'adam'"):
        check_choice("optimizer", "rmsprop", ("sgd", "adam"))
    with pytest.raises(TypeError, match=r"optimizer must be a string, .*got 3 of type int"):
        check_choice("optimizer", 3, ("sgd", "adam"))


def test_check_int_takes_numpy_integers_and_refuses_bools_and_floats() -> None:
    assert check_int("seed", np.int64(7), minimum=0) == 7
    assert type(check_int("seed", np.int64(7))) is int
    for value in (True, 2.0, "2"):
        with pytest.raises(TypeError, match=r"seed must be an integer"):
            check_int("seed", value)
    with pytest.raises(ValueError, match=r"n=11 is out of range; allowed: 1 to 10"):
        check_int("n", 11, minimum=1, maximum=10)
    with pytest.raises(ValueError, match=r"n=0 is out of range; allowed: >= 1"):
        check_int("n", 0, minimum=1)
    with pytest.raises(ValueError, match=r"n=5 is out of range; allowed: <= 4"):
        check_int("n", 5, maximum=4)


def test_check_number_bounds_finiteness_and_a_strict_minimum() -> None:
    assert check_number("lr", np.float32(0.5), minimum=0.0) == 0.5
    assert check_number("lr", 0, minimum=0.0) == 0.0
    with pytest.raises(ValueError, match=r"lr=0 is out of range; allowed: > 0"):
        check_number("lr", 0.0, minimum=0, strict_minimum=True)
    with pytest.raises(ValueError, match=r"noise=0\.6 is out of range; allowed: >= 0 and <= 0\.5"):
        check_number("noise", 0.6, minimum=0, maximum=0.5)
    with pytest.raises(ValueError, match=r"lr=nan is not a finite number"):
        check_number("lr", float("nan"))
    with pytest.raises(TypeError, match=r"lr must be a number; got '0\.1' of type str"):
        check_number("lr", "0.1")


def test_check_sequence_refuses_strings_and_empty_lists_unless_allowed() -> None:
    assert check_sequence("sizes", [2, 3], "[2, 3]") == (2, 3)
    assert check_sequence("sizes", [], "[2, 3]", empty=True) == ()
    with pytest.raises(
        TypeError, match=r"sizes must be a non-empty list such as \[2, 3\]; got \[\]"
    ):
        check_sequence("sizes", [], "[2, 3]")
    with pytest.raises(TypeError, match=r"sizes must be a list such as \[2, 3\]; got '23'"):
        check_sequence("sizes", "23", "[2, 3]", empty=True)


def test_check_widths_bounds_each_width_and_the_number_of_layers() -> None:
    assert check_widths("hidden", [8, np.int64(4)], maximum=8, max_layers=2) == (8, 4)
    assert check_widths("hidden", ()) == ()
    with pytest.raises(ValueError, match=r"hidden\[1\]=9 is out of range; allowed: 1 to 8"):
        check_widths("hidden", (8, 9), maximum=8)
    with pytest.raises(ValueError, match=r"hidden=\[1, 1, 1\] has 3 hidden layers, .*0 to 2"):
        check_widths("hidden", [1, 1, 1], max_layers=2)
    with pytest.raises(TypeError, match=r"hidden\[0\] must be an integer; got 2\.0"):
        check_widths("hidden", [2.0])
