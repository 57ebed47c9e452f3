/*
 * mcu_detection.h - the TFLite_Detection_PostProcess custom operator of SSD detectors.
 *
 * Inputs: box encodings [1, N, S] (S >= 4: y, x, h, w first), class predictions [1, N, K]
 * (K = num_classes, or num_classes + 1 with a background column 0 that is skipped), anchors [N, 4]
 * (y, x, h, w; constant). Outputs (float32): boxes [1, D, 4] (ymin, xmin, ymax, xmax), classes [1, D],
 * scores [1, D], number of detections [1], with D = max_detections * max_classes_per_detection.
 *
 * 1. Decoding, as TFLM and LiteRT compute it (in double, rounded to float):
 *      yc = y / y_scale * ah + ay            xc = x / x_scale * aw + ax
 *      hh = 0.5 * exp(h / h_scale) * ah      hw = 0.5 * exp(w / w_scale) * aw
 *      box = (yc - hh, xc - hw, yc + hh, xc + hw)   (float subtractions and additions)
 * 2. Non-maximum suppression over one score per anchor (fast mode: the anchor's best class score;
 *    regular mode: each class in turn): the anchors whose score >= score_threshold are sorted by
 *    score, decreasing, ties by the lower anchor index (the order of TFLM's stable merge sort); each
 *    anchor in that order is selected unless an already selected one overlaps it with
 *    IoU > iou_threshold; at most max_out anchors are selected. IoU is computed in float exactly as
 *    the references do (0 when either box has no area).
 * 3. Fast mode (use_regular_nms 0): each selected anchor i gives rows i*mpd .. i*mpd + c - 1
 *    (mpd = max_classes_per_detection, c = min(mpd, num_classes)): its best classes, decreasing
 *    score, ties by the lower class index; num = the selected anchor count (LiteRT's layout: TFLM's
 *    kernel writes rows past its output when mpd > 1).
 *    Regular mode: per class, NMS selects up to detections_per_class anchors; they are merged with
 *    the best max_detections found so far (decreasing score, ties: earlier classes first, then NMS
 *    order); num = the list's size.
 *    Every row past the written ones is zero (the references leave them unwritten).
 * Only anchors that reach score_threshold in some pass are decoded (the others can never be
 * selected; TFLM decodes and validates all of them, which changes nothing but its failure on
 * degenerate boxes).
 * No recursion, no allocation: the caller gives scratch laid out by mcu_detection_scratch_t (byte
 * offsets, multiples of 4, computed at build time).
 */
#ifndef MCU_DETECTION_H
#define MCU_DETECTION_H

#include <stdint.h>

typedef struct {
    int32_t decoded;      /* float[4 * N]: decoded boxes */
    int32_t scores;       /* float[N * K]: dequantized class predictions (quantized scores only) */
    int32_t keep;         /* int32[N]: candidate anchors of one NMS pass */
    int32_t active;       /* uint8[N]: the candidate mask, then the candidates not yet suppressed */
    int32_t max_scores;   /* float[N]: fast mode, best class score per anchor (absent in regular mode) */
    int32_t selected;     /* int32[max_out]: anchors selected by one NMS pass */
    int32_t list;         /* regular mode: int32 anchor[M], int32 cls[M], float score[M], twice (M = max_detections) */
} mcu_detection_scratch_t;

typedef struct {
    int32_t num_boxes;                  /* N */
    int32_t box_stride;                 /* S: values per anchor in the box encodings */
    int32_t num_classes;                /* classes without background */
    int32_t num_scores;                 /* K: values per anchor in the class predictions */
    int32_t label_offset;               /* K - num_classes (0 or 1) */
    int32_t max_detections;
    int32_t max_classes_per_detection;  /* fast mode */
    int32_t detections_per_class;       /* regular mode */
    int32_t use_regular_nms;
    int32_t num_rows;                   /* D: rows of the box, class and score outputs */
    float score_threshold;
    float iou_threshold;                /* in (0, 1] */
    float y_scale, x_scale, h_scale, w_scale;
    /* quantized inputs (mcu_detection_postprocess_u8 only): q -> ((float)q - zero_point) * scale */
    int32_t boxes_u8;                   /* box encodings and anchors are uint8 */
    float box_scale;
    int32_t box_zero_point;
    float anchor_scale;
    int32_t anchor_zero_point;
    int32_t scores_u8;                  /* class predictions are uint8 */
    float score_scale;
    int32_t score_zero_point;
    mcu_detection_scratch_t scratch;
} mcu_detection_params_t;

/* All inputs float32. */
void mcu_detection_postprocess_f32(const mcu_detection_params_t *p, const float *boxes, const float *scores,
                                   const float *anchors, float *out_boxes, float *out_classes,
                                   float *out_scores, float *out_num, void *scratch);

/* Box encodings with anchors, and/or class predictions, uint8 (the flags in p say which; the other
 * pointers are float). */
void mcu_detection_postprocess_u8(const mcu_detection_params_t *p, const void *boxes, const void *scores,
                                  const void *anchors, float *out_boxes, float *out_classes,
                                  float *out_scores, float *out_num, void *scratch);

/* Shared by both entry points (mcu_detection_postprocess_f32.c): the candidate mask (anchors with a
 * score >= score_threshold in some NMS pass; only they are decoded, the others are never read) and,
 * in fast mode, each anchor's best class score; then NMS and the outputs. */
uint8_t *mcu_detection_candidates(const mcu_detection_params_t *p, const float *scores, uint8_t *scratch);
void mcu_detection_decode_one(const mcu_detection_params_t *p, const float enc[4], const float anchor[4],
                              float box[4]);
void mcu_detection_select(const mcu_detection_params_t *p, const float *scores, float *out_boxes,
                          float *out_classes, float *out_scores, float *out_num, uint8_t *scratch);

#endif /* MCU_DETECTION_H */
