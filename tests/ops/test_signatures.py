"""The type-scheme machinery every handler shares: Sig matching, the support rule's message, lowering dispatch."""
import pytest

from mcugen.ir import Operator, Tensor
from mcugen.ops.base import OpHandler, Sig
from mcugen.quant import activation_range, type_range


def _op(*types, out="int8"):
    ins = [None if t is None else Tensor(f"t{i}", (1, 4), t) for i, t in enumerate(types)]
    return Operator("FAKE", ins, [Tensor("y", (1, 4), out)])


class _Fake(OpHandler):
    ops = ()
    signatures = (
        Sig("s8", (("int8",), ("int8",), ("int32",)), (("int8",),), optional=(2,)),
        Sig("s16", (("int16",), ("int8",), ("int64", "int32")), (("int16",),), optional=(2,)),
    )

    def lower_s16(self, op, ctx):
        return "lowered s16"


def test_scheme_from_types():
    h = _Fake()
    assert h.scheme(_op("int8", "int8", "int32")) == "s8"
    assert h.scheme(_op("int8", "int8", None)) == "s8"
    assert h.scheme(_op("int16", "int8", "int64", out="int16")) == "s16"
    assert h.scheme(_op("int16", "int8", "int64", out="int8")) is None
    assert h.scheme(_op("float32", "int8")) is None


def test_signature_rule_lists_what_is_supported():
    h = _Fake()
    assert h.rule_type_signature(_op("int8", "int8")) is None
    msg = h.rule_type_signature(_op("float32", "float32", out="float32"))
    assert "(float32, float32 -> float32) is not supported" in msg
    assert "s8 (int8, int8, int32? -> int8)" in msg and "s16 (int16, int8, int64|int32? -> int16)" in msg


def test_lower_dispatches_by_scheme():
    h = _Fake()
    assert h.lower(_op("int16", "int8", out="int16"), None) == "lowered s16"
    with pytest.raises(NotImplementedError):
        h.lower(_op("int8", "int8"), None)


def test_ranges_follow_the_type():
    assert type_range("int8") == (-128, 127)
    assert type_range("int16") == (-32768, 32767)
    assert activation_range("NONE", 0.1, 0, "int16") == (-32768, 32767)
    assert activation_range("RELU6", 0.001, 0, "int16") == (0, 6000)
    assert activation_range("RELU6", 0.001, 0, "int8") == (0, 127)
