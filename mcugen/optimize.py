"""--optimize balanced: per layer, the speed layout (int16 weight copies, pre-extended depthwise weights,
FULLY_CONNECTED's pair words) or the size layout (weights int8 only), chosen by instructions saved per byte
of flash spent, within the board's flash.

A layer whose speed layout costs no extra flash always takes it. If the whole model built for speed fits
the board's flash, every layer takes speed (on mcugen's QEMU boards, 4 MB of flash, balanced is speed);
otherwise the layers are taken for speed in decreasing order of estimated instructions saved per extra
byte while the measured flash stays within the board's, and the rest keep the size layout.

The estimate: MACs x (instructions per MAC of the size kernel - of the speed kernel), from the figures
below, measured on cortex-m4 with `mcugen bench MODEL --board cortex-m4 --optimize speed|size` (per-layer
tables of kws_ref_model, micro_speech_quantized, str_ww_ref_model and ad01_int8; one entry on cortex-m3).
Only the ranking depends on them; the flash limit is checked on the measured library.
"""
from __future__ import annotations

#: (kernel under speed, kernel under size) -> (instructions per MAC under speed, under size), cortex-m4
MEASURED_IPM = {
    ("conv_1x1_s8", "conv_1x1_s8"): (0.95, 1.07),                 # kws layers 2-8 (int16 weight copy)
    ("conv_im2col_s8", "conv_im2col_s8"): (1.30, 1.43),           # kws layer 0
    ("conv_1x1_k8_s8", "conv_1x1_s8"): (1.76, 2.91),              # person_detect layer 2 (8 input channels)
    ("depthwise_conv_3x3_s8", "depthwise_conv_s8"): (3.80, 34.63),  # kws layers 1-7 (3x3, multiplier 1)
    ("depthwise_conv_s8", "depthwise_conv_s8"): (3.25, 24.91),    # micro_speech layer 1 (multiplier 8), before
    ("depthwise_conv_1ch_s8", "depthwise_conv_s8"): (1.46, 24.91),  # micro_speech layer 1 (one input channel)
    # FULLY_CONNECTED's pair words (2 bytes a weight, one SMLAL per two MACs) against the SMLAD row pairs of
    # int8 weights: ad01_int8, all ten layers (253,739 against 347,879 instructions for 264,192 MACs)
    ("conv_1x1_pairs_s8", "fully_connected_s8"): (0.96, 1.32),
    # the same on a core without DSP, measured on cortex-m3 (its rows4 loop under size; 253,839 against
    # 736,473; also its 1x1 convolutions, which take the FULLY_CONNECTED kernel under size)
    ("conv_1x1_s8", "fully_connected_s8"): (0.96, 2.79),
}
#: a layout not in the table: assume it saves a tenth of an instruction per MAC
DEFAULT_SAVING_PER_MAC = 0.1


def saving(speed_row: dict, size_row: dict) -> float:
    """Estimated instructions per inference the speed layout of one layer saves (report rows)."""
    ipm = MEASURED_IPM.get((speed_row["kernel"], size_row["kernel"]))
    per_mac = (ipm[1] - ipm[0]) if ipm else DEFAULT_SAVING_PER_MAC
    return max(per_mac, 0.0) * speed_row["macs"]


def ranking(speed_rows: list[dict], size_rows: list[dict]) -> tuple[set[int], list[tuple[float, int, int]]]:
    """(steps whose speed layout is free, [(instructions saved per byte, step, extra bytes)] best first)."""
    free, costly = set(), []
    for a, b in zip(speed_rows, size_rows):
        extra = a["weight_bytes"] - b["weight_bytes"]
        if extra <= 0:
            free.add(a["step"])
        else:
            costly.append((saving(a, b) / extra, a["step"], extra))
    costly.sort(key=lambda t: (-t[0], t[1]))
    return free, costly


__all__ = ["MEASURED_IPM", "ranking", "saving"]
