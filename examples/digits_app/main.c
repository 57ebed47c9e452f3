/*
 * A small application that links a model compiled by mcugen: it classifies ten handwritten digits held in
 * C arrays (digit_samples.h) and prints each result over semihosting. Build and run it in QEMU with
 * `make run` in this folder (see README.md).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "digits.h"
#include "digit_samples.h"

int main(void)
{
    if (digits_init(NULL) != 0) {
        printf("digits_init failed\n");
        return 1;
    }
    if (digits_input_bytes(0) != sizeof digit_samples[0]) {
        printf("the samples do not match the model's input (%u bytes, the model takes %u)\n",
               (unsigned)sizeof digit_samples[0], (unsigned)digits_input_bytes(0));
        return 1;
    }
    int correct = 0;
    for (int s = 0; s < DIGIT_SAMPLES; s++) {
        memcpy(digits_input(0), digit_samples[s], sizeof digit_samples[s]);
        if (digits_invoke() != 0) {
            printf("digits_invoke failed\n");
            return 1;
        }
        const DIGITS_OUTPUT0_TYPE *scores = (const DIGITS_OUTPUT0_TYPE *)digits_output(0);
        int best = 0;
        for (int c = 1; c < DIGITS_OUTPUT0_SIZE; c++) {
            if (scores[c] > scores[best]) {
                best = c;
            }
        }
        correct += best == digit_labels[s];
        printf("digit %d: class %d (label %d, score %d)\n", s, best, digit_labels[s], scores[best]);
    }
    printf("%d of %d correct\n", correct, DIGIT_SAMPLES);
    return correct * 10 >= DIGIT_SAMPLES * 8 ? 0 : 2; /* at least 80 % right, or the run fails */
}
