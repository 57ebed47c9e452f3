/* mcu_detection_postprocess_f32.c - TFLite_Detection_PostProcess, float32 inputs, and the decoding
 * and selection steps the uint8 entry point shares (see mcu_detection.h). */
#include <math.h>
#include <stddef.h>

#include "mcu_detection.h"

/* Scores of one NMS pass: score of anchor a is base[a * stride]. */
typedef struct {
    const float *base;
    int32_t stride;
} mcu_det_scores_t;

static float mcu_det_score(const mcu_det_scores_t *s, int32_t a)
{
    return s->base[(size_t)a * (size_t)s->stride];
}

/* a comes before b: higher score, or the same score and the lower index. */
static int mcu_det_before(const mcu_det_scores_t *s, int32_t a, int32_t b)
{
    const float sa = mcu_det_score(s, a), sb = mcu_det_score(s, b);
    return sa > sb || (sa == sb && a < b);
}

static void mcu_det_sift(const mcu_det_scores_t *s, int32_t *v, int32_t root, int32_t n)
{
    for (;;) {
        int32_t child = 2 * root + 1;
        if (child >= n) {
            return;
        }
        /* a max-heap under "before": its top is the element that comes last */
        if (child + 1 < n && mcu_det_before(s, v[child], v[child + 1])) {
            child++;
        }
        if (!mcu_det_before(s, v[root], v[child])) {
            return;
        }
        const int32_t t = v[root];
        v[root] = v[child];
        v[child] = t;
        root = child;
    }
}

/* Heapsort into "before" order. The order is total over distinct indices, so the result equals
 * TFLM's stable sort of the candidates by decreasing score. */
static void mcu_det_sort(const mcu_det_scores_t *s, int32_t *v, int32_t n)
{
    for (int32_t i = n / 2 - 1; i >= 0; i--) {
        mcu_det_sift(s, v, i, n);
    }
    for (int32_t end = n - 1; end > 0; end--) {
        const int32_t t = v[0];
        v[0] = v[end];
        v[end] = t;
        mcu_det_sift(s, v, 0, end);
    }
}

static float mcu_det_fmax(float a, float b) { return a < b ? b : a; }
static float mcu_det_fmin(float a, float b) { return b < a ? b : a; }

static float mcu_det_iou(const float *bi, const float *bj)
{
    const float area_i = (bi[2] - bi[0]) * (bi[3] - bi[1]);
    const float area_j = (bj[2] - bj[0]) * (bj[3] - bj[1]);
    if (area_i <= 0.0f || area_j <= 0.0f) {
        return 0.0f;
    }
    const float ymin = mcu_det_fmax(bi[0], bj[0]);
    const float xmin = mcu_det_fmax(bi[1], bj[1]);
    const float ymax = mcu_det_fmin(bi[2], bj[2]);
    const float xmax = mcu_det_fmin(bi[3], bj[3]);
    const float inter = mcu_det_fmax(ymax - ymin, 0.0f) * mcu_det_fmax(xmax - xmin, 0.0f);
    const float uni = area_i + area_j - inter;
    return inter / uni;
}

/* One NMS pass; returns the number of anchors written to selected (at most max_out). */
static int32_t mcu_det_nms(const mcu_detection_params_t *p, const float *decoded, const mcu_det_scores_t *s,
                           int32_t max_out, int32_t *keep, uint8_t *active, int32_t *selected)
{
    int32_t kept = 0;
    for (int32_t a = 0; a < p->num_boxes; a++) {
        if (mcu_det_score(s, a) >= p->score_threshold) {
            keep[kept++] = a;
        }
    }
    mcu_det_sort(s, keep, kept);
    const int32_t limit = kept < max_out ? kept : max_out;
    for (int32_t i = 0; i < kept; i++) {
        active[i] = 1;
    }
    int32_t count = 0;
    for (int32_t i = 0; i < kept && count < limit; i++) {
        if (!active[i]) {
            continue;
        }
        selected[count++] = keep[i];
        active[i] = 0;
        const float *bi = decoded + 4 * (size_t)keep[i];
        for (int32_t j = i + 1; j < kept; j++) {
            if (active[j] && mcu_det_iou(bi, decoded + 4 * (size_t)keep[j]) > p->iou_threshold) {
                active[j] = 0;
            }
        }
    }
    return count;
}

static void mcu_det_row(float *out_boxes, float *out_classes, float *out_scores, int32_t row,
                        const float *box, int32_t cls, float score)
{
    for (int k = 0; k < 4; k++) {
        out_boxes[4 * row + k] = box[k];
    }
    out_classes[row] = (float)cls;
    out_scores[row] = score;
}

/* The class after `prev` in "before" order among the anchor's class scores (prev < 0: the first). */
static int32_t mcu_det_next_class(const float *s, int32_t n, int32_t prev)
{
    int32_t best = -1;
    for (int32_t c = 0; c < n; c++) {
        if (prev >= 0 && !(s[c] < s[prev] || (s[c] == s[prev] && c > prev))) {
            continue;  /* not after prev */
        }
        if (best < 0 || s[c] > s[best]) {
            best = c;  /* ties keep the lower class index */
        }
    }
    return best;
}

static void mcu_det_fast(const mcu_detection_params_t *p, const float *scores, const float *decoded,
                         float *out_boxes, float *out_classes, float *out_scores, float *out_num,
                         uint8_t *scratch)
{
    const mcu_detection_scratch_t *L = &p->scratch;
    float *max_scores = (float *)(void *)(scratch + L->max_scores);
    int32_t *selected = (int32_t *)(void *)(scratch + L->selected);
    const int32_t per_anchor = p->max_classes_per_detection;
    const int32_t ncls = per_anchor < p->num_classes ? per_anchor : p->num_classes;
    const mcu_det_scores_t ms = { max_scores, 1 };
    const int32_t count = mcu_det_nms(p, decoded, &ms, p->max_detections, (int32_t *)(void *)(scratch + L->keep),
                                      scratch + L->active, selected);
    for (int32_t i = 0; i < count; i++) {
        const int32_t a = selected[i];
        const float *s = scores + (size_t)a * (size_t)p->num_scores + p->label_offset;
        int32_t cls = -1;
        for (int32_t col = 0; col < ncls; col++) {
            cls = mcu_det_next_class(s, p->num_classes, cls);
            mcu_det_row(out_boxes, out_classes, out_scores, i * per_anchor + col, decoded + 4 * (size_t)a, cls, s[cls]);
        }
    }
    *out_num = (float)count;
}

static void mcu_det_regular(const mcu_detection_params_t *p, const float *scores, const float *decoded,
                            float *out_boxes, float *out_classes, float *out_scores, float *out_num,
                            uint8_t *scratch)
{
    const mcu_detection_scratch_t *L = &p->scratch;
    const int32_t m = p->max_detections;
    int32_t *selected = (int32_t *)(void *)(scratch + L->selected);
    int32_t *anchor = (int32_t *)(void *)(scratch + L->list);
    int32_t *cls = anchor + m;
    float *score = (float *)(void *)(cls + m);
    int32_t *t_anchor = (int32_t *)(void *)(score + m);
    int32_t *t_cls = t_anchor + m;
    float *t_score = (float *)(void *)(t_cls + m);
    int32_t size = 0;
    for (int32_t c = 0; c < p->num_classes; c++) {
        const mcu_det_scores_t cs = { scores + p->label_offset + c, p->num_scores };
        const int32_t count = mcu_det_nms(p, decoded, &cs, p->detections_per_class,
                                          (int32_t *)(void *)(scratch + L->keep), scratch + L->active, selected);
        /* merge the list (earlier classes: first on ties) with this class's selection (decreasing) */
        int32_t i = 0, j = 0, n = 0;
        while (n < m && (i < size || j < count)) {
            const float sj = j < count ? mcu_det_score(&cs, selected[j]) : 0.0f;
            if (i < size && (j >= count || score[i] >= sj)) {
                t_anchor[n] = anchor[i];
                t_cls[n] = cls[i];
                t_score[n] = score[i];
                i++;
            } else {
                t_anchor[n] = selected[j];
                t_cls[n] = c;
                t_score[n] = sj;
                j++;
            }
            n++;
        }
        for (int32_t k = 0; k < n; k++) {
            anchor[k] = t_anchor[k];
            cls[k] = t_cls[k];
            score[k] = t_score[k];
        }
        size = n;
    }
    for (int32_t k = 0; k < size; k++) {
        mcu_det_row(out_boxes, out_classes, out_scores, k, decoded + 4 * (size_t)anchor[k], cls[k], score[k]);
    }
    *out_num = (float)size;
}

void mcu_detection_decode_one(const mcu_detection_params_t *p, const float enc[4], const float anchor[4],
                              float box[4])
{
    const double ay = anchor[0], ax = anchor[1], ah = anchor[2], aw = anchor[3];
    const float yc = (float)((double)enc[0] / (double)p->y_scale * ah + ay);
    const float xc = (float)((double)enc[1] / (double)p->x_scale * aw + ax);
    const float hh = (float)(0.5 * exp((double)enc[2] / (double)p->h_scale) * ah);
    const float hw = (float)(0.5 * exp((double)enc[3] / (double)p->w_scale) * aw);
    box[0] = yc - hh;
    box[1] = xc - hw;
    box[2] = yc + hh;
    box[3] = xc + hw;
}

uint8_t *mcu_detection_candidates(const mcu_detection_params_t *p, const float *scores, uint8_t *scratch)
{
    uint8_t *need = scratch + p->scratch.active;
    float *max_scores = (float *)(void *)(scratch + p->scratch.max_scores);
    for (int32_t a = 0; a < p->num_boxes; a++) {
        const float *s = scores + (size_t)a * (size_t)p->num_scores + p->label_offset;
        if (p->use_regular_nms) {
            int32_t c = 0;
            while (c < p->num_classes && !(s[c] >= p->score_threshold)) {
                c++;
            }
            need[a] = (uint8_t)(c < p->num_classes);
        } else {
            max_scores[a] = s[mcu_det_next_class(s, p->num_classes, -1)];
            need[a] = (uint8_t)(max_scores[a] >= p->score_threshold);
        }
    }
    return need;
}

void mcu_detection_select(const mcu_detection_params_t *p, const float *scores, float *out_boxes,
                          float *out_classes, float *out_scores, float *out_num, uint8_t *scratch)
{
    const float *decoded = (const float *)(const void *)(scratch + p->scratch.decoded);
    for (int32_t r = 0; r < p->num_rows; r++) {
        const float zero[4] = { 0.0f, 0.0f, 0.0f, 0.0f };
        mcu_det_row(out_boxes, out_classes, out_scores, r, zero, 0, 0.0f);
    }
    if (p->use_regular_nms) {
        mcu_det_regular(p, scores, decoded, out_boxes, out_classes, out_scores, out_num, scratch);
    } else {
        mcu_det_fast(p, scores, decoded, out_boxes, out_classes, out_scores, out_num, scratch);
    }
}

void mcu_detection_postprocess_f32(const mcu_detection_params_t *p, const float *boxes, const float *scores,
                                   const float *anchors, float *out_boxes, float *out_classes,
                                   float *out_scores, float *out_num, void *scratch)
{
    uint8_t *s = (uint8_t *)scratch;
    float *decoded = (float *)(void *)(s + p->scratch.decoded);
    const uint8_t *need = mcu_detection_candidates(p, scores, s);
    for (int32_t a = 0; a < p->num_boxes; a++) {
        if (!need[a]) {
            continue;
        }
        mcu_detection_decode_one(p, boxes + (size_t)a * (size_t)p->box_stride, anchors + 4 * (size_t)a,
                                 decoded + 4 * (size_t)a);
    }
    mcu_detection_select(p, scores, out_boxes, out_classes, out_scores, out_num, s);
}
