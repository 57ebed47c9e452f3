"""The reference: TFLM's own interpreter (pip tflite-micro)."""
