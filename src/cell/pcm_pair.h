/* pcm_pair.h — a differential pair of PCM devices and its closed-loop programming.
 *
 * The pair stores D = G+ - G- (µS).  Programming is program-and-verify (PAPER.md §4,
 * patent): RESET both devices, then repeat { read both (with read noise), compare
 * the read difference with the target, stop if within tolerance, else one SET pulse
 * on G+ (to raise D) or G- (to lower D) } until within tolerance or the pulse budget
 * is spent.  Overshoot is corrected by the other device, so both directions are
 * reachable with SET pulses alone. */
#ifndef MT_CELL_PCM_PAIR_H
#define MT_CELL_PCM_PAIR_H

#include <stdint.h>

#include "device/pcm.h"

typedef struct pair_program_result {
    int set_pulses;      /* SET pulses applied */
    int resets;          /* RESET pulses applied */
    int reads;           /* verify reads of the pair */
    int success;         /* the last read was within tolerance */
    float read_diff_uS;  /* the last verify read of G+ - G- */
} pair_program_result;

/* Program the pair (*g_plus, *g_minus) to G+ - G- = target_uS within tol_uS using at
 * most budget SET pulses.  stuck: bit 0 = G+ stuck, bit 1 = G- stuck (those devices
 * ignore pulses).  Random draws: stream `key`, indices [index << 20, (index + 1) << 20). */
pair_program_result pcm_pair_program(const pcm_model *m, float *g_plus, float *g_minus,
                                     float g_max_plus, float g_max_minus, unsigned stuck,
                                     float target_uS, float tol_uS, int budget, uint64_t key,
                                     uint64_t index);

#endif
