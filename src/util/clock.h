/* clock.h — wall-clock seconds for timing runs (not simulated time). */
#ifndef MT_UTIL_CLOCK_H
#define MT_UTIL_CLOCK_H

#include <time.h>

/* Seconds on a monotonic clock (CLOCK_MONOTONIC: unaffected by changes of the date). */
static inline double clock_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

#endif
