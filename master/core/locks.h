/* Named mutual exclusion for operations: two operations never change the same partition (or
 * register the same node, or create the same volume name) at once. Keys are strings such as
 * "dp:12", "mp:3", "vol:name", "node:addr". Waiting has a deadline so a stuck operation cannot
 * block others forever. Thread-safe; used from worker threads. */
#ifndef CFS_MASTER_CORE_LOCKS_H
#define CFS_MASTER_CORE_LOCKS_H

#include <stdint.h>

struct locks;

int locks_new(struct locks **out);
void locks_free(struct locks *l);

/* 0 once held, or CFS_ETIMEDOUT after timeout_ms (errmsg says who holds it). */
int locks_acquire(struct locks *l, const char *key, const char *holder, uint32_t timeout_ms,
                  char *errmsg);
void locks_release(struct locks *l, const char *key);

#endif
