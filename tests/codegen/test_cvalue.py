"""Layer parameters are data; codegen/cvalue.py is where they become C initialisers."""
import numpy as np
import pytest

from mcugen.codegen.cvalue import c_value


def test_scalars():
    assert c_value(5) == "5"
    assert c_value(np.int16(-3)) == "-3"
    assert c_value(True) == "1"
    assert c_value(-(1 << 31)) == "INT32_MIN"
    assert c_value(1 << 40) == "INT64_C(1099511627776)"
    assert c_value(0.5) == "0.5f"
    assert c_value(np.float32(2.0)) == "2.0f"
    assert c_value(float("nan")) == "NAN"
    assert c_value("arena_ptr") == "arena_ptr"


def test_aggregates():
    assert c_value([1, 2, 3]) == "{1, 2, 3}"
    assert c_value(np.array([4, 5])) == "{4, 5}"
    assert c_value({"rank": 2, "shape": [3, 4]}) == "{ .rank = 2, .shape = {3, 4} }"


def test_refuses_what_is_not_data():
    with pytest.raises(TypeError):
        c_value(object())
