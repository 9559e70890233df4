/* pcm_pair.h — a differential pair of PCM devices and its closed-loop programming.
 *
 * The pair stores D = G+ - G- (µS).  Programming is program-and-verify (PAPER.md §4,
 * patent): repeat { read both devices (with read noise), compare the read difference
 * with the target, stop if within tolerance, else one SET ramp aimed at the
 * remaining error on G+ (to raise D) or G- (to lower D) } until within tolerance or
 * the pulse budget is spent.  SET only raises conductance, so overshoot is corrected
 * by the other device and both devices creep upward; when the device that must be
 * SET is above `reset_above_uS` both are RESET and programming starts over from 0
 * (the "occasional RESET" of Burr et al. 2015).  `reset_first` RESETs both before
 * starting: programming from scratch. */
#ifndef MT_CELL_PCM_PAIR_H
#define MT_CELL_PCM_PAIR_H

#include <stdint.h>

#include "device/pcm.h"

typedef struct pair_program_options {
    float tol_uS;          /* stop when |read D - target| <= tol */
    int budget;            /* most SET ramps */
    int reset_first;       /* RESET both before programming */
    float reset_above_uS;  /* RESET both when the device to SET is above this */
} pair_program_options;

typedef struct pair_program_result {
    int set_pulses;      /* SET ramps applied */
    int resets;          /* RESET pulses applied */
    int reads;           /* verify reads of the pair (not counting `first_read`) */
    int success;         /* the last read was within tolerance */
    float read_diff_uS;  /* the last verify read of G+ - G- */
} pair_program_result;

/* A read of G+ - G- with independent read noise on each device (draws 2i, 2i+1). */
float pcm_pair_read(const pcm_model *m, float g_plus, float g_minus, uint64_t key, uint64_t i);

/* Program (*g_plus, *g_minus) to G+ - G- = target_uS.  The pair is pair `index` of
 * its tile: G_max of its devices comes from pcm_device_g_max(m, g_max_key, 2 index)
 * (G+) and 2 index + 1 (G-), as pcm_pair_array_create drew them.  first_read, when not NULL and
 * reset_first is off, is a read of the pair the caller has just made: it serves as
 * the first verify.  stuck: bit 0 = G+ stuck, bit 1 = G- stuck (those devices ignore
 * pulses).  Random draws: stream `key`, indices [index << 20, (index + 1) << 20). */
pair_program_result pcm_pair_program(const pcm_model *m, float *g_plus, float *g_minus,
                                     uint64_t g_max_key, unsigned stuck,
                                     float target_uS, const pair_program_options *o,
                                     const float *first_read, uint64_t key, uint64_t index);

#endif
