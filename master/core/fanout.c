#include "master/core/fanout.h"

#include <pthread.h>
#include <stdbool.h>

struct slot {
    void (*fn)(void *job);
    void *job;
};

static void *slot_main(void *arg)
{
    struct slot *s = arg;

    s->fn(s->job);
    return NULL;
}

void fanout_run(void (*fn)(void *job), void *jobs, size_t stride, size_t n)
{
    pthread_t threads[FANOUT_MAX];
    struct slot slots[FANOUT_MAX];
    bool started[FANOUT_MAX] = {false};

    if (n > FANOUT_MAX) {
        n = FANOUT_MAX;
    }
    for (size_t i = 1; i < n; i++) {
        slots[i].fn = fn;
        slots[i].job = (char *)jobs + i * stride;
        started[i] = pthread_create(&threads[i], NULL, slot_main, &slots[i]) == 0;
        if (!started[i]) {
            fn(slots[i].job);
        }
    }
    if (n > 0) {
        fn(jobs);
    }
    for (size_t i = 1; i < n; i++) {
        if (started[i]) {
            pthread_join(threads[i], NULL);
        }
    }
}
