/* Helpers for system tests of several masters (tests/system/test_multimaster*.c): the masters'
 * /raftNode/status and a check that they hold identical state, and a writer thread that creates
 * volumes and data partitions against all masters in turn and records every ID the answers and
 * views gave.
 *
 * The writer thread never touches CUnit: its outcome is read by the test thread under its lock. */
#ifndef CFS_TESTS_MASTERS_H
#define CFS_TESTS_MASTERS_H

#include "tests/support/cluster_env.h"

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The data of master i's /raftNode/status (NULL when it does not answer). */
json_t *mm_status(struct cenv *e, size_t i);

/* Every running master reports the same applied index and store CRC, and leader says who leads;
 * (-1 when they disagree). */
bool mm_same_state(struct cenv *e, int *leader);

/* Poll mm_same_state. */
bool mm_wait_same_state(struct cenv *e, uint32_t timeout_ms);

/* Index of a running master other than skip that reports a ready leader other than skip and
 * whose leader is ready, or -1 after timeout_ms. */
int mm_wait_new_leader(struct cenv *e, int skip, uint32_t timeout_ms);

/* Occurrences of needle in a file (0 when it cannot be read). */
size_t mm_count_in_file(const char *path, const char *needle);

/* --- the writer ------------------------------------------------------------------------------- */

#define MM_MAX_VOLS  256
#define MM_MAX_PARTS 64

struct mm_vol {
    char name[32];
    uint64_t id;
    size_t ndps, nmps;
    uint64_t dps[MM_MAX_PARTS];
    uint64_t mps[MM_MAX_PARTS];
};

struct mm_writer {
    char addrs[CENV_MAX_MASTERS][64]; /* masters to rotate over */
    size_t naddrs;
    char prefix[16];
    pthread_t thread;
    pthread_mutex_t lock;
    volatile bool stop; /* seen between operations: the one under way finishes */
    /* Under lock. */
    bool pause;  /* asked: no new operation starts */
    bool paused; /* the writer saw pause between operations */
    size_t nvols;
    struct mm_vol vols[MM_MAX_VOLS];
    uint64_t successes, failures;
    uint64_t last_success_ms; /* monotonic */
    char last_error[512];
};

/* Start writing: volumes named <prefix><n> and data partitions for them, one operation at a
 * time, each sent to the next master in turn (redirects followed). */
int mm_writer_start(struct mm_writer *w, struct cenv *e, const char *prefix);
void mm_writer_stop(struct mm_writer *w);

/* Hold the writer between operations (returns once the one under way has finished), so the
 * masters can be compared at one applied index; resume lets it go on. */
void mm_writer_pause(struct mm_writer *w);
void mm_writer_resume(struct mm_writer *w);

/* Successes so far and the time of the last one. */
uint64_t mm_writer_successes(struct mm_writer *w, uint64_t *last_ms);

/* Wait until the writer has had a success after since_ms (monotonic). */
bool mm_writer_wait_success(struct mm_writer *w, uint64_t since_ms, uint32_t timeout_ms);

/* After stop: every recorded volume and partition exists with its IDs (through any master),
 * and no volume, data partition or meta partition ID is used twice. Prints what is wrong. */
bool mm_writer_verify(struct mm_writer *w);

#endif
