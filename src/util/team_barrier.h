/* team_barrier.h — a meeting point for the threads of one parallel region that
 * spins instead of sleeping.
 *
 * Why not `#pragma omp barrier`: a training step on two threads lasts ~15 µs and its
 * threads meet at least once (network.c).  libgomp's barrier makes a futex system call
 * at every meeting, to wake threads that may be asleep, even when none is.  Measured
 * with rdtsc on our 2-vCPU VM (2pcm3t1c steps), a meeting cost each thread ~400–1,000
 * cycles with libgomp's barrier and ~250–700 with this one; and a team kept from one
 * example to the next saves starting and ending a parallel region for each (~2,000
 * cycles).  A waiting thread spins a while, then yields its core at every check, so a
 * team with more threads than cores (or run under valgrind, which runs one thread at a
 * time) still moves on; a team known to have more threads than cores yields at once.
 *
 * Memory: everything a thread wrote before it arrives is visible to every thread
 * after it leaves (the arrival is a release, the wait an acquire), as for an OpenMP
 * barrier. */
#ifndef MT_UTIL_TEAM_BARRIER_H
#define MT_UTIL_TEAM_BARRIER_H

#include <stdatomic.h>
#include <threads.h>

/* Checks a waiting thread makes before it starts yielding its core: with a pause of
 * ~65 cycles each (AMD Zen), ~17,000 cycles, several times the longest wait of a
 * training step. */
#define TEAM_BARRIER_SPINS 256

/* What a thread waiting for another of its team does between two checks, having made
 * `checks` so far: a pause while it spins (fewer than `spins` checks), then it yields
 * its core at every check.  (Callers stop counting at `spins`: a wait may be long.) */
static inline void team_wait_step(int checks, int spins)
{
    if (checks < spins) {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause(); /* tells the core this is a spin loop */
#endif
    } else {
        thrd_yield();
    }
}

typedef struct team_barrier {
    _Alignas(64) atomic_int arrived; /* threads at the current meeting so far */
    atomic_uint generation;          /* meetings completed (mod 2^32): a waiting thread watches it */
    int spins;                       /* checks before yielding */
} team_barrier;

/* A barrier whose waiting threads spin (threads_fit: the team has a core for each
 * thread) or yield from the start (more threads than cores: the thread waited for
 * needs the core a spinning one would hold). */
static inline void team_barrier_init(team_barrier *b, int threads_fit)
{
    atomic_init(&b->arrived, 0);
    atomic_init(&b->generation, 0u);
    b->spins = threads_fit ? TEAM_BARRIER_SPINS : 0;
}

/* Wait until all n threads of the team have called this (every thread must, with the
 * same n, the same number of times), except the last to arrive: it returns 1 at once
 * and the others stay held until it calls team_barrier_release, so it can do work
 * that needs every other thread stopped (they return 0). */
static inline int team_barrier_wait_or_lead(team_barrier *b, int n)
{
    /* read before arriving: it cannot change until this thread has arrived */
    const unsigned generation = atomic_load_explicit(&b->generation, memory_order_relaxed);
    if (atomic_fetch_add_explicit(&b->arrived, 1, memory_order_acq_rel) == n - 1) return 1;
    for (int checks = 0; atomic_load_explicit(&b->generation, memory_order_acquire) == generation;
         checks += checks < b->spins)
        team_wait_step(checks, b->spins);
    return 0;
}

/* Let the threads held by team_barrier_wait_or_lead go (called by the thread it
 * returned 1 to). */
static inline void team_barrier_release(team_barrier *b)
{
    const unsigned generation = atomic_load_explicit(&b->generation, memory_order_relaxed);
    /* reset first, then release: a thread let go may arrive at the next meeting at once */
    atomic_store_explicit(&b->arrived, 0, memory_order_relaxed);
    atomic_store_explicit(&b->generation, generation + 1u, memory_order_release);
}

/* Wait until all n threads of the team have called this. */
static inline void team_barrier_wait(team_barrier *b, int n)
{
    if (team_barrier_wait_or_lead(b, n)) team_barrier_release(b);
}

#endif
