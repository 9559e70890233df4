/* big_array.h — memory for large arrays read a few cache lines at a time, at scattered
 * places: a dataset's features, one example per training step in shuffled order.
 *
 * With 4 KiB pages nearly every example's first read misses the TLB, and inside a
 * virtual machine a miss walks two page tables; the software prefetch of the next
 * example's inputs does not help across a missing translation.  A 2 MiB page holds ~670
 * MNIST images.  So such arrays start on a 2 MiB boundary, are a whole number of 2 MiB,
 * and are offered to the kernel's transparent huge pages before they are first written
 * (Linux with THP in "madvise" or "always" mode, Debian's default; elsewhere they are
 * ordinary memory).  On this project's 2-core VM: float-twin training 73k -> 129k
 * examples/s, 2pcm3t1c 28k -> 35k (docs/performance.md, step 36). */
#ifndef MT_UTIL_BIG_ARRAY_H
#define MT_UTIL_BIG_ARRAY_H

#include <stddef.h>

/* Arrays smaller than this are plain malloc memory. */
#define BIG_ARRAY_PAGE ((size_t)2 << 20)

/* `bytes` bytes (uninitialised), or NULL when out of memory (or bytes = 0).  Release
 * with free(). */
void *big_array_alloc(size_t bytes);

#endif
