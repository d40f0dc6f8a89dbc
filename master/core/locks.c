#include "master/core/locks.h"

#include "common/errors.h"
#include "common/hmap.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct held {
    char holder[128];
};

struct locks {
    pthread_mutex_t mu;
    pthread_cond_t changed; /* broadcast on every release */
    struct hmap *held;      /* key -> struct held */
};

int locks_new(struct locks **out)
{
    struct locks *l = calloc(1, sizeof(*l));

    if (l == NULL || (l->held = hmap_new(true)) == NULL) {
        free(l);
        return -ENOMEM;
    }
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->changed, NULL);
    *out = l;
    return 0;
}

void locks_free(struct locks *l)
{
    size_t pos = 0;
    void *v;

    if (l == NULL) {
        return;
    }
    while (hmap_next(l->held, &pos, NULL, NULL, &v)) {
        free(v);
    }
    hmap_free(l->held);
    pthread_mutex_destroy(&l->mu);
    pthread_cond_destroy(&l->changed);
    free(l);
}

int locks_acquire(struct locks *l, const char *key, const char *holder, uint32_t timeout_ms,
                  char *errmsg)
{
    struct timespec deadline;
    struct held *h;
    int rv = 0;

    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += timeout_ms / 1000;
    deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&l->mu);
    while ((h = hmap_get_str(l->held, key)) != NULL) {
        if (pthread_cond_timedwait(&l->changed, &l->mu, &deadline) == ETIMEDOUT) {
            h = hmap_get_str(l->held, key);
            if (h != NULL) {
                errors_set(errmsg, "%s is busy with another operation (%s)", key, h->holder);
                rv = CFS_ETIMEDOUT;
                goto out;
            }
        }
    }
    h = calloc(1, sizeof(*h));
    if (h == NULL) {
        rv = -ENOMEM;
        goto out;
    }
    snprintf(h->holder, sizeof(h->holder), "%s", holder);
    rv = hmap_put_str(l->held, key, h, NULL);
    if (rv != 0) {
        free(h);
    }
out:
    pthread_mutex_unlock(&l->mu);
    return rv;
}

void locks_release(struct locks *l, const char *key)
{
    pthread_mutex_lock(&l->mu);
    free(hmap_del_str(l->held, key));
    pthread_cond_broadcast(&l->changed);
    pthread_mutex_unlock(&l->mu);
}
