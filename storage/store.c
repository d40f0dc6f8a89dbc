/* The LMDB store: environment, transactions, map growth and the apply path.
 *
 * Choices (the key layout is in store_internal.h):
 * - Env flags MDB_NOSUBDIR | MDB_NOTLS, plus MDB_NOMETASYNC unless options.sync: the Raft log is
 *   the durable record, so losing the last commit to an OS crash only means replaying it (the
 *   applied index is in the same transaction). NOTLS lets a thread hold several read
 *   transactions and lets a snapshot be begun on one thread and walked on another.
 * - One named database with prefixed binary keys and JSON values (records.c), so batches and
 *   snapshots move opaque pairs and need no per-type code.
 * - A batch is validated as a whole before its first write (batch.c); what only the stored state
 *   can reveal (a name already taken) fails during the writes. Either way the batch must leave no
 *   trace, and in a write transaction shared by several batches the earlier ones must stay. LMDB
 *   nested transactions would do that, but each one mallocs ~3 MB (dirty and free-page lists).
 *   Failures are rare, so a write transaction instead keeps the steps it applied and, on a
 *   failure, aborts and replays them (rebuild()). The same replay serves MDB_MAP_FULL: abort,
 *   grow the map, replay, retry the step.
 * - mdb_env_set_mapsize() needs every transaction of the process ended. Every transaction
 *   passes a gate (a mutex, a count and a condition variable); growth closes the gate, waits up
 *   to grow_wait_ms for the count to drop to zero, and gives up with CFS_EMAPFULL and a message
 *   saying so. Not a rwlock: a read transaction may end on another thread than the one that
 *   began it, which a rwlock forbids. The map grows by doubling, by at most 1 GiB a step, up to
 *   max_map_size.
 * - The applied index is cached in an atomic after each commit so store_applied_index() costs
 *   nothing; write transactions read it from LMDB. */
#define LOG_TAG "store"

#include "storage/store_internal.h"

#include "common/errors.h"
#include "common/log.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MIB               (1024u * 1024u)
#define GROW_STEP_MAX     (1ull << 30)
#define DEFAULT_MAP_SIZE  (64ull * MIB)
#define DEFAULT_MAX_MAP   (64ull << 30)
#define DEFAULT_GROW_WAIT 5000u

void store_options_default(struct store_options *o)
{
    memset(o, 0, sizeof(*o));
    o->map_size = DEFAULT_MAP_SIZE;
    o->max_map_size = DEFAULT_MAX_MAP;
    o->grow_wait_ms = DEFAULT_GROW_WAIT;
}

int store_lmdb_rv(int rc)
{
    switch (rc) {
    case 0:
        return 0;
    case MDB_NOTFOUND:
        return CFS_ENOTFOUND;
    case MDB_KEYEXIST:
        return CFS_EEXIST;
    case MDB_MAP_FULL:
        return CFS_EMAPFULL;
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_PANIC:
    case MDB_INVALID:
    case MDB_VERSION_MISMATCH:
        return CFS_ECORRUPT;
    case MDB_BAD_VALSIZE:
        return -EINVAL;
    case MDB_READERS_FULL:
        return -EAGAIN;
    default:
        return rc > 0 ? -rc : -EIO;
    }
}

int store_lmdb_fail(int rc, char *errmsg, const char *what)
{
    errors_set(errmsg, "%s: %s", what, mdb_strerror(rc));
    return store_lmdb_rv(rc);
}

static void gate_enter(struct store *s)
{
    pthread_mutex_lock(&s->gate_mu);
    while (s->gate_growing) {
        pthread_cond_wait(&s->gate_cv, &s->gate_mu);
    }
    s->gate_active++;
    pthread_mutex_unlock(&s->gate_mu);
}

static void gate_leave(struct store *s)
{
    pthread_mutex_lock(&s->gate_mu);
    s->gate_active--;
    if (s->gate_active == 0 && s->gate_growing) {
        pthread_cond_broadcast(&s->gate_cv);
    }
    pthread_mutex_unlock(&s->gate_mu);
}

static uint64_t env_map_size(MDB_env *env)
{
    MDB_envinfo info;

    return mdb_env_info(env, &info) == 0 ? (uint64_t)info.me_mapsize : 0;
}

/* Close the gate and wait for open transactions to end; false when they did not in time. */
static bool gate_close(struct store *s)
{
    struct timespec deadline;
    int rc = 0;

    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += s->grow_wait_ms / 1000;
    deadline.tv_nsec += (long)(s->grow_wait_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    s->gate_growing = true;
    while (s->gate_active > 0 && rc != ETIMEDOUT) {
        rc = pthread_cond_timedwait(&s->gate_cv, &s->gate_mu, &deadline);
    }
    return s->gate_active == 0;
}

/* Grow the map one step; the caller must have no transaction open. */
static int grow_map(struct store *s, char *errmsg)
{
    uint64_t cur = atomic_load(&s->map_size);
    uint64_t next = cur + (cur < GROW_STEP_MAX ? cur : GROW_STEP_MAX);
    unsigned open_txns;
    int rc = 0;
    int rv = 0;

    if (cur >= s->max_map_size) {
        errors_set(errmsg,
                   "LMDB map is full at its limit of %" PRIu64 " KiB; raise max_map_size "
                   "(maxMapSize) or delete records",
                   cur >> 10);
        return CFS_EMAPFULL;
    }
    if (next > s->max_map_size) {
        next = s->max_map_size;
    }
    pthread_mutex_lock(&s->gate_mu);
    if (gate_close(s)) {
        rc = mdb_env_set_mapsize(s->env, (size_t)next);
        if (rc == 0) {
            atomic_store(&s->map_size, env_map_size(s->env));
        }
    }
    open_txns = s->gate_active;
    s->gate_growing = false;
    pthread_cond_broadcast(&s->gate_cv);
    pthread_mutex_unlock(&s->gate_mu);
    if (open_txns > 0) {
        errors_set(errmsg,
                   "LMDB map is full at %" PRIu64 " KiB and cannot grow: %u transactions stayed "
                   "open for %u ms; end long read transactions (snapshot exports) and retry",
                   cur >> 10, open_txns, s->grow_wait_ms);
        rv = CFS_EMAPFULL;
    } else if (rc != 0) {
        rv = store_lmdb_fail(rc, errmsg, "mdb_env_set_mapsize");
    } else {
        log_info("LMDB map grown from %" PRIu64 " to %" PRIu64 " KiB", cur >> 10,
                 atomic_load(&s->map_size) >> 10);
    }
    return rv;
}

int store_meta_get(MDB_txn *txn, MDB_dbi dbi, const char *name, uint64_t *out, char *errmsg)
{
    struct store_key key;
    MDB_val k, v;
    int rc;

    store_key_meta(&key, name);
    k = store_key_val(&key);
    rc = mdb_get(txn, dbi, &k, &v);
    if (rc == MDB_NOTFOUND) {
        return CFS_ENOTFOUND;
    }
    if (rc != 0) {
        return store_lmdb_fail(rc, errmsg, "mdb_get");
    }
    if (v.mv_size != 8) {
        errors_set(errmsg, "meta value %s has %zu bytes, want 8", name, v.mv_size);
        return CFS_ECORRUPT;
    }
    *out = store_be64_get(v.mv_data);
    return 0;
}

int store_meta_put(MDB_txn *txn, MDB_dbi dbi, const char *name, uint64_t value, char *errmsg)
{
    struct store_key key;
    uint8_t be[8];
    MDB_val k, v = {sizeof(be), be};
    int rc;

    store_key_meta(&key, name);
    k = store_key_val(&key);
    store_be64_put(be, value);
    rc = mdb_put(txn, dbi, &k, &v, 0);
    return rc != 0 ? store_lmdb_fail(rc, errmsg, "mdb_put") : 0;
}

/* Check the schema of an opened store, stamping a new one. */
static int schema_check(struct store *s, MDB_txn *txn, char *errmsg)
{
    MDB_stat st;
    uint64_t version;
    int rc;
    int rv = store_meta_get(txn, s->dbi, STORE_META_SCHEMA, &version, errmsg);

    if (rv == CFS_ENOTFOUND) {
        rc = mdb_stat(txn, s->dbi, &st);
        if (rc != 0) {
            return store_lmdb_fail(rc, errmsg, "mdb_stat");
        }
        if (st.ms_entries > 0) {
            errors_set(errmsg, "%zu entries but no schema version", st.ms_entries);
            return CFS_ESCHEMA;
        }
        rv = store_meta_put(txn, s->dbi, STORE_META_SCHEMA, STORE_SCHEMA_VERSION, errmsg);
        return rv == 0 ? store_meta_put(txn, s->dbi, STORE_META_APPLIED, 0, errmsg) : rv;
    }
    if (rv == 0 && version != STORE_SCHEMA_VERSION) {
        errors_set(errmsg,
                   "schema version %" PRIu64 ", this binary uses %d; open it with a matching "
                   "binary or migrate it",
                   version, STORE_SCHEMA_VERSION);
        return CFS_ESCHEMA;
    }
    return rv;
}

/* Open the named database and check or stamp the schema, reading the applied index. */
static int open_db(struct store *s, char *errmsg)
{
    MDB_txn *txn = NULL;
    uint64_t applied = 0;
    int rc = mdb_txn_begin(s->env, NULL, 0, &txn);
    int rv;

    if (rc != 0) {
        return store_lmdb_fail(rc, errmsg, "mdb_txn_begin");
    }
    rc = mdb_dbi_open(txn, STORE_DBI_NAME, MDB_CREATE, &s->dbi);
    if (rc != 0) {
        rv = store_lmdb_fail(rc, errmsg, "mdb_dbi_open");
        goto out;
    }
    rv = schema_check(s, txn, errmsg);
    if (rv == 0) {
        rv = store_meta_get(txn, s->dbi, STORE_META_APPLIED, &applied, errmsg);
        rv = rv == CFS_ENOTFOUND ? 0 : rv;
    }
    if (rv != 0) {
        goto out;
    }
    rc = mdb_txn_commit(txn);
    txn = NULL;
    if (rc != 0) {
        rv = store_lmdb_fail(rc, errmsg, "mdb_txn_commit");
        goto out;
    }
    atomic_store(&s->applied, applied);
out:
    if (txn != NULL) {
        mdb_txn_abort(txn);
    }
    return rv;
}

static int open_env(struct store *s, const char *path, const struct store_options *o, char *errmsg)
{
    unsigned flags = MDB_NOSUBDIR | MDB_NOTLS | (o->sync ? 0 : MDB_NOMETASYNC);
    MDB_envinfo info;
    int dead = 0;
    int rc = mdb_env_create(&s->env);

    if (rc != 0) {
        return store_lmdb_fail(rc, errmsg, "mdb_env_create");
    }
    rc = mdb_env_set_maxdbs(s->env, 1);
    if (rc == 0) {
        rc = mdb_env_open(s->env, path, flags, 0644);
    }
    if (rc != 0) {
        return store_lmdb_fail(rc, errmsg, "mdb_env_open");
    }
    /* The map size is set after opening: given before, a size below the one the file was grown
     * to makes LMDB shrink the map to the pages in use, so the first write would grow it again.
     * A new file (only its two meta pages) takes the configured size. */
    rc = mdb_env_info(s->env, &info);
    if (rc == 0 && (info.me_last_pgno <= 1 || info.me_mapsize < o->map_size)) {
        rc = mdb_env_set_mapsize(s->env, (size_t)o->map_size);
    }
    if (rc != 0) {
        return store_lmdb_fail(rc, errmsg, "mdb_env_set_mapsize");
    }
    if (mdb_env_get_maxkeysize(s->env) < STORE_KEY_MAX) {
        errors_set(errmsg, "LMDB keys are limited to %d bytes, the store needs %d",
                   mdb_env_get_maxkeysize(s->env), STORE_KEY_MAX);
        return -EINVAL;
    }
    /* Reader slots of a killed process would pin old pages until cleared. */
    mdb_reader_check(s->env, &dead);
    if (dead > 0) {
        log_warn("%s: cleared %d reader slots of dead processes", path, dead);
    }
    atomic_store(&s->map_size, env_map_size(s->env));
    return 0;
}

static int init_gate(struct store *s)
{
    pthread_condattr_t attr;
    int rc = pthread_condattr_init(&attr);

    if (rc != 0) {
        return -rc;
    }
    rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    if (rc == 0) {
        rc = pthread_cond_init(&s->gate_cv, &attr);
    }
    pthread_condattr_destroy(&attr);
    if (rc != 0) {
        return -rc;
    }
    rc = pthread_mutex_init(&s->gate_mu, NULL);
    if (rc != 0) {
        pthread_cond_destroy(&s->gate_cv);
        return -rc;
    }
    return 0;
}

int store_open(const char *path, const struct store_options *opts, struct store **out, char *errmsg)
{
    struct store_options o;
    struct store *s;
    uint64_t page;
    int rv;

    if (opts != NULL) {
        o = *opts;
    } else {
        store_options_default(&o);
    }
    page = (uint64_t)sysconf(_SC_PAGESIZE);
    o.map_size = (o.map_size + page - 1) / page * page;
    o.max_map_size = o.max_map_size / page * page;
    if (o.map_size == 0 || o.max_map_size < o.map_size) {
        errors_set(errmsg, "store %s: map size %" PRIu64 " is 0 or over max_map_size %" PRIu64,
                   path, o.map_size, o.max_map_size);
        return -EINVAL;
    }
    s = calloc(1, sizeof(*s));
    if (s == NULL) {
        errors_set(errmsg, "store %s: out of memory", path);
        return -ENOMEM;
    }
    s->max_map_size = o.max_map_size;
    s->grow_wait_ms = o.grow_wait_ms;
    rv = init_gate(s);
    if (rv != 0) {
        errors_set(errmsg, "store %s: %s", path, errors_strerror(rv));
        free(s);
        return rv;
    }
    rv = open_env(s, path, &o, errmsg);
    if (rv == 0) {
        rv = open_db(s, errmsg);
    }
    if (rv != 0) {
        errors_prefix(errmsg, "store %s", path);
        store_close(s);
        return rv;
    }
    *out = s;
    return 0;
}

void store_close(struct store *s)
{
    if (s == NULL) {
        return;
    }
    if (s->env != NULL) {
        mdb_env_close(s->env);
    }
    pthread_cond_destroy(&s->gate_cv);
    pthread_mutex_destroy(&s->gate_mu);
    free(s);
}

uint64_t store_applied_index(struct store *s)
{
    return atomic_load(&s->applied);
}

uint64_t store_map_size(struct store *s)
{
    return atomic_load(&s->map_size);
}

/* End w's LMDB transaction (if it still has one) and leave the gate. */
static void txn_stop(struct store_txn *t)
{
    if (t->txn != NULL) {
        mdb_txn_abort(t->txn);
        t->txn = NULL;
    }
    if (t->in_gate) {
        gate_leave(t->s);
        t->in_gate = false;
    }
}

static void txn_free(struct store_txn *t)
{
    txn_stop(t);
    if (t->owns_batches) {
        for (size_t i = 0; i < t->nlog; i++) {
            store_batch_free((struct store_batch *)t->log[i].b);
        }
    }
    free(t->log);
    free(t);
}

static int txn_start(struct store_txn *t, char *errmsg)
{
    int rc;
    int rv;

    gate_enter(t->s);
    t->in_gate = true;
    rc = mdb_txn_begin(t->s->env, NULL, t->write ? 0 : MDB_RDONLY, &t->txn);
    if (rc != 0) {
        t->txn = NULL;
        txn_stop(t);
        return store_lmdb_fail(rc, errmsg, "mdb_txn_begin");
    }
    if (!t->write) {
        return 0;
    }
    t->applied = 0;
    rv = store_meta_get(t->txn, t->s->dbi, STORE_META_APPLIED, &t->applied, errmsg);
    if (rv != 0 && rv != CFS_ENOTFOUND) {
        txn_stop(t);
        return rv;
    }
    return 0;
}

static int txn_new(struct store *s, bool write, struct store_txn **out, char *errmsg)
{
    struct store_txn *t = calloc(1, sizeof(*t));
    int rv;

    if (t == NULL) {
        errors_set(errmsg, "out of memory");
        return -ENOMEM;
    }
    t->s = s;
    t->write = write;
    t->owns_batches = write;
    rv = txn_start(t, errmsg);
    if (rv != 0) {
        free(t);
        return rv;
    }
    *out = t;
    return 0;
}

int store_read_begin(struct store *s, struct store_txn **out)
{
    return txn_new(s, false, out, NULL);
}

void store_txn_end(struct store_txn *t)
{
    if (t != NULL) {
        txn_free(t);
    }
}

static int run_step(struct store_txn *w, const struct store_logged *step, bool *wrote, char *errmsg)
{
    if (step->b != NULL) {
        return store_batch_exec(w->s, w->txn, step->b, step->index, wrote, errmsg);
    }
    *wrote = true;
    return store_snapshot_load(w->s, w->txn, step->snap, step->snap_len, errmsg);
}

/* Start w's LMDB transaction afresh and replay its log, so that a failed step leaves no trace
 * and a grown map gets the same content. With grow set the map first grows one step; when it
 * cannot, the transaction is still rebuilt at the old size and the growth error returned. Any
 * other failure leaves w dead: the caller can only abort it. */
static int rebuild(struct store_txn *w, bool grow, char *errmsg)
{
    int grow_rv = 0;
    int rv;
    bool wrote;

    for (;;) {
        txn_stop(w);
        if (grow) {
            grow_rv = grow_map(w->s, errmsg);
        }
        rv = txn_start(w, errmsg);
        for (size_t i = 0; rv == 0 && i < w->nlog; i++) {
            rv = run_step(w, &w->log[i], &wrote, errmsg);
            w->applied = rv == 0 ? w->log[i].index : w->applied;
        }
        if (rv != CFS_EMAPFULL || grow_rv != 0) {
            break;
        }
        grow = true;
    }
    if (rv != 0) {
        txn_stop(w);
        w->dead = rv;
        return rv;
    }
    return grow_rv;
}

/* Run step in w unless its index is at or below w's applied index (*skipped). On success the step
 * joins w's log, so what it points to must live until w ends. */
static int txn_step(struct store_txn *w, const struct store_logged *step, bool *skipped,
                    char *errmsg)
{
    bool wrote = false;
    int rv;

    if (w->dead != 0) {
        errors_set(errmsg, "write transaction was lost to an earlier error (%s); abort it",
                   errors_strerror(w->dead));
        return w->dead;
    }
    if (step->index <= w->applied) {
        *skipped = true;
        return 0;
    }
    if (w->nlog == w->caplog) {
        size_t cap = w->caplog > 0 ? w->caplog * 2 : 16;
        struct store_logged *log = realloc(w->log, cap * sizeof(*log));
        if (log == NULL) {
            errors_set(errmsg, "out of memory");
            return -ENOMEM;
        }
        w->log = log;
        w->caplog = cap;
    }
    for (;;) {
        rv = run_step(w, step, &wrote, errmsg);
        if (rv != CFS_EMAPFULL) {
            break;
        }
        rv = rebuild(w, true, errmsg);
        if (rv != 0) {
            return rv;
        }
    }
    if (rv != 0) {
        char lost[ERRMSG_SIZE] = "";
        if (wrote && rebuild(w, false, lost) != 0) {
            log_error("rolling back a failed step lost the write transaction: %s", lost);
        }
        return rv;
    }
    w->log[w->nlog++] = *step;
    w->applied = step->index;
    *skipped = false;
    return 0;
}

int store_write_begin(struct store *s, struct store_txn **out, char *errmsg)
{
    return txn_new(s, true, out, errmsg);
}

int store_write_apply(struct store_txn *w, struct store_batch *b, uint64_t index, bool *skipped,
                      char *errmsg)
{
    struct store_logged step = {b, NULL, 0, index};
    bool skip = false;
    int rv = txn_step(w, &step, &skip, errmsg);

    if (rv != 0 || skip) {
        store_batch_free(b);
    }
    if (rv == 0 && skipped != NULL) {
        *skipped = skip;
    }
    return rv;
}

int store_write_commit(struct store_txn *w, char *errmsg)
{
    int rc;
    int rv = w->dead;

    if (rv != 0) {
        errors_set(errmsg, "write transaction was lost to an earlier error (%s)",
                   errors_strerror(rv));
        goto out;
    }
    for (;;) {
        rc = mdb_txn_commit(w->txn);
        w->txn = NULL; /* freed by mdb_txn_commit even when it fails */
        if (rc != MDB_MAP_FULL) {
            break;
        }
        rv = rebuild(w, true, errmsg);
        if (rv != 0) {
            goto out;
        }
    }
    if (rc != 0) {
        rv = store_lmdb_fail(rc, errmsg, "mdb_txn_commit");
        goto out;
    }
    atomic_store(&w->s->applied, w->applied);
out:
    txn_free(w);
    return rv;
}

void store_write_abort(struct store_txn *w)
{
    store_txn_end(w);
}

int store_run_once(struct store *s, const struct store_logged *step, bool *skipped, char *errmsg)
{
    struct store_txn *w;
    bool skip = false;
    int rv = txn_new(s, true, &w, errmsg);

    if (rv != 0) {
        return rv;
    }
    w->owns_batches = false;
    rv = txn_step(w, step, &skip, errmsg);
    if (rv == 0 && !skip) {
        rv = store_write_commit(w, errmsg);
    } else {
        store_write_abort(w);
    }
    if (rv == 0 && skipped != NULL) {
        *skipped = skip;
    }
    return rv;
}

int store_apply(struct store *s, const struct store_batch *b, uint64_t index, bool *skipped,
                char *errmsg)
{
    struct store_logged step = {b, NULL, 0, index};

    return store_run_once(s, &step, skipped, errmsg);
}
