/* big_array.c — see big_array.h. */
#define _DEFAULT_SOURCE /* madvise and MADV_HUGEPAGE (Linux) */
#include "util/big_array.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

void *big_array_alloc(size_t bytes)
{
    if (bytes == 0) return NULL;
    if (bytes < BIG_ARRAY_PAGE) return malloc(bytes);
    if (bytes > SIZE_MAX - BIG_ARRAY_PAGE) return NULL;
    const size_t whole = (bytes + BIG_ARRAY_PAGE - 1) / BIG_ARRAY_PAGE * BIG_ARRAY_PAGE;
    void *p = aligned_alloc(BIG_ARRAY_PAGE, whole);
#ifdef MADV_HUGEPAGE
    /* advice only: a kernel without THP refuses it, and the memory is still good */
    if (p) (void)madvise(p, whole, MADV_HUGEPAGE);
#endif
    return p;
}
