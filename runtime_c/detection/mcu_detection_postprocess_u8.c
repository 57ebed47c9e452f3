/* mcu_detection_postprocess_u8.c - TFLite_Detection_PostProcess with uint8 box encodings and anchors
 * and/or uint8 class predictions (LiteRT's quantized path; TFLM takes float32 only). Each value is
 * dequantized as ((float)q - zero_point) * scale in float, then the float path runs (see mcu_detection.h). */
#include <stddef.h>

#include "mcu_detection.h"

static void mcu_det_dequant4(const uint8_t *q, float scale, int32_t zero_point, float out[4])
{
    for (int k = 0; k < 4; k++) {
        out[k] = ((float)q[k] - (float)zero_point) * scale;
    }
}

void mcu_detection_postprocess_u8(const mcu_detection_params_t *p, const void *boxes, const void *scores,
                                  const void *anchors, float *out_boxes, float *out_classes,
                                  float *out_scores, float *out_num, void *scratch)
{
    uint8_t *s = (uint8_t *)scratch;
    float *decoded = (float *)(void *)(s + p->scratch.decoded);
    const float *f = (const float *)scores;
    if (p->scores_u8) {
        float *deq = (float *)(void *)(s + p->scratch.scores);
        const uint8_t *q = (const uint8_t *)scores;
        const int32_t n = p->num_boxes * p->num_scores;
        for (int32_t i = 0; i < n; i++) {
            deq[i] = ((float)q[i] - (float)p->score_zero_point) * p->score_scale;
        }
        f = deq;
    }
    const uint8_t *need = mcu_detection_candidates(p, f, s);
    for (int32_t a = 0; a < p->num_boxes; a++) {
        if (!need[a]) {
            continue;
        }
        const size_t at = (size_t)a * (size_t)p->box_stride;
        if (p->boxes_u8) {
            float enc[4], anchor[4];
            mcu_det_dequant4((const uint8_t *)boxes + at, p->box_scale, p->box_zero_point, enc);
            mcu_det_dequant4((const uint8_t *)anchors + 4 * (size_t)a, p->anchor_scale, p->anchor_zero_point, anchor);
            mcu_detection_decode_one(p, enc, anchor, decoded + 4 * (size_t)a);
        } else {
            mcu_detection_decode_one(p, (const float *)boxes + at, (const float *)anchors + 4 * (size_t)a,
                                     decoded + 4 * (size_t)a);
        }
    }
    mcu_detection_select(p, f, out_boxes, out_classes, out_scores, out_num, s);
}
