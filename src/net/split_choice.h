/* split_choice.h — whether a run of examples splits the first layer between threads,
 * chosen by timing both ways on the host at hand (train.layer_split = auto).
 *
 * Why not always split: the threads of a team meet at least once per example and
 * exchange the first layer's partial sums and the errors (network.c), and each
 * exchange costs about one round trip of a cache line between their cores.  Where that is ~90 ns, 2pcm3t1c trains ~1.7x faster on 2 threads than
 * on 1; on VMs where it is ~500 ns (`memtrain bench` prints it), 2 threads train the
 * float network at ~0.7x one thread and infer at ~0.6x, while 2pcm3t1c still gains a
 * little.  Neither the host's round trip nor the layer's size predicts the outcome
 * well enough, so the network times a window of examples each way now and then and
 * runs the faster way until the next timing.  Results never depend on the choice: a
 * step's results do not depend on how its rows are split.
 *
 * Cost of the timing: SPLIT_PROBE_EXAMPLES examples run the slower way every
 * SPLIT_REPROBE_EXAMPLES (< 2 % of a run when one way is twice as slow). */
#ifndef MT_NET_SPLIT_CHOICE_H
#define MT_NET_SPLIT_CHOICE_H

/* Examples timed each way: a few ms of training, far longer than starting a team. */
#define SPLIT_PROBE_EXAMPLES 512
/* Examples run the chosen way before the next timing: pulse rates, and with them the
 * balance, change as training goes on. */
#define SPLIT_REPROBE_EXAMPLES 30000

typedef struct split_choice {
    int team;          /* the way chosen: 1 a team of threads shares the first layer, 0 one thread */
    long until_probe;  /* examples to run that way before timing both again (<= 0: at the next chance) */
} split_choice;

/* A network's first choice: a team (as train.layer_split = always), timed at the first
 * run of at least 2 SPLIT_PROBE_EXAMPLES examples. */
static inline split_choice split_choice_start(void)
{
    return (split_choice){1, 0};
}

/* The next stretch of a run at example k (the run ends before k1), as c plans it:
 * returns 1 for a timing — one thread on [k, k + SPLIT_PROBE_EXAMPLES), then a team up
 * to *end — or 0 for the chosen way on [k, *end).  avoid: the first example at or after
 * k whose step a timing window must not hold, if one would (else -1); a timing due then
 * waits until after it. */
static inline int split_choice_next(const split_choice *c, long k, long k1, long avoid, long *end)
{
    if (c->until_probe <= 0 && k1 - k >= 2 * SPLIT_PROBE_EXAMPLES && avoid < 0) {
        *end = k + 2 * SPLIT_PROBE_EXAMPLES;
        return 1;
    }
    *end = c->until_probe > 0 && c->until_probe < k1 - k ? k + c->until_probe : k1;
    if (c->until_probe <= 0 && avoid >= 0 && avoid < k1) *end = avoid + 1;
    return 0;
}

/* Record that n examples ran the chosen way. */
static inline void split_choice_ran(split_choice *c, long n)
{
    c->until_probe -= n;
}

/* Record a timing: solo_s and team_s seconds for SPLIT_PROBE_EXAMPLES examples each. */
static inline void split_choice_timed(split_choice *c, double solo_s, double team_s)
{
    c->team = team_s < solo_s;
    c->until_probe = SPLIT_REPROBE_EXAMPLES;
}

#endif
