/* test_team_barrier.c — the spinning barrier of a training team (src/util/team_barrier.h). */
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "test.h"
#include "util/team_barrier.h"

/* Threads write their slot, meet, and each must then see every slot written in that
 * round; they meet again before the next round's writes.  Without the meetings (or
 * with a meeting that lets a thread through early) a reader sees an old round.  Six
 * threads on this 2-core machine: the waits outlast the spins and yield the core. */
TEST(team_barrier_holds_every_thread_until_all_arrive)
{
#ifdef _OPENMP
    enum { THREADS = 6, ROUNDS = 1000 };
    static team_barrier meet;
    team_barrier_init(&meet, 1); /* spinning first, as if the threads fitted */
    static volatile int slot[THREADS];
    memset((void *)slot, 0, sizeof slot);
    int stale = 0, team = 0;
    #pragma omp parallel num_threads(THREADS) reduction(+ : stale)
    {
        const int tid = omp_get_thread_num(), nth = omp_get_num_threads();
        if (tid == 0) team = nth;
        for (int round = 1; round <= ROUNDS; round++) {
            slot[tid] = round;
            team_barrier_wait(&meet, nth);
            for (int k = 0; k < nth; k++) stale += slot[k] != round;
            team_barrier_wait(&meet, nth);
        }
    }
    CHECK_INT(team, THREADS);
    CHECK_INT(stale, 0);
#endif
}

/* At every meeting exactly one thread leads, while the others are held: what it
 * writes before the release is what every thread then reads. */
TEST(team_barrier_has_one_leader_per_meeting_and_holds_the_others)
{
#ifdef _OPENMP
    enum { THREADS = 4, ROUNDS = 1000 };
    static team_barrier meet;
    team_barrier_init(&meet, 0); /* yielding from the start */
    static int leaders, value;
    leaders = value = 0;
    int stale = 0;
    #pragma omp parallel num_threads(THREADS) reduction(+ : stale)
    {
        const int nth = omp_get_num_threads();
        for (int round = 1; round <= ROUNDS; round++) {
            if (team_barrier_wait_or_lead(&meet, nth)) {
                leaders++; /* plain data: only the leader runs here */
                value = round;
                team_barrier_release(&meet);
            }
            stale += value != round;
            team_barrier_wait(&meet, nth);
        }
    }
    CHECK_INT(leaders, ROUNDS);
    CHECK_INT(stale, 0);
#endif
}

/* One thread alone passes straight through, as often as it likes. */
TEST(team_barrier_of_one_thread_never_waits)
{
    team_barrier meet;
    team_barrier_init(&meet, 1);
    for (int k = 0; k < 1000; k++) team_barrier_wait(&meet, 1);
    CHECK_INT(atomic_load(&meet.generation), 1000);
    CHECK_INT(atomic_load(&meet.arrived), 0);
}
