/* Users: /user/create, /user/info, /user/list, /user/transferVol (CubeFS v3.5 shapes).
 *
 * A user is one store record (id, access key, secret key, type, creation time, description).
 * What a user owns is not stored with the user: own_vols lists the volumes whose Owner is the
 * user, so the volume records are the one truth of ownership and transferring a volume is one
 * change of its Owner. authorized_vols stays {} (no per-volume grants). The password CubeFS
 * accepts at creation is not kept: nothing here authenticates with it.
 *
 * Creation and transfer run on a worker: checks against the store (for CubeFS's exact messages),
 * then one Raft command whose preconditions (user id free, access key free / volume still there)
 * settle any race with a concurrent request. */
#define LOG_TAG "api"

#include "common/clock.h"
#include "common/digest.h"
#include "common/log.h"
#include "master/api/api_internal.h"
#include "master/api/params.h"
#include "master/core/locks.h"
#include "master/core/master.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ACCESS_KEY_LEN 16
#define SECRET_KEY_LEN 32
#define KEY_ATTEMPTS   8 /* fresh access keys drawn before giving up on a free one */
#define LOCK_WAIT_MS   5000

/* --- views ----------------------------------------------------------------------------------- */

struct user_policy {
    char (*own_vols)[STORE_NAME_SIZE];
    uint32_t nown;
};

static const struct jc_field user_policy_fields[] = {
    JC_HARR(struct user_policy, own_vols, nown, "own_vols", JC_STR, NULL, 0),
    JC_CONST("authorized_vols", JC_EMIT_EMPTY_OBJECT),
    JC_END,
};

/* UserInfo. */
struct user_view {
    struct store_user u;
    struct user_policy policy;
    char create_time[24];
};

static const struct jc_field user_view_fields[] = {
    JC_F(struct user_view, u.user_id, "user_id", JC_STR, 0),
    JC_F(struct user_view, u.access_key, "access_key", JC_STR, 0),
    JC_F(struct user_view, u.secret_key, "secret_key", JC_STR, 0),
    JC_OBJ(struct user_view, policy, "policy", user_policy_fields, 0),
    JC_F(struct user_view, u.user_type, "user_type", JC_U8, 0),
    JC_F(struct user_view, create_time, "create_time", JC_STR, 0),
    JC_F(struct user_view, u.description, "description", JC_STR, 0),
    JC_CONST("EMPTY", JC_EMIT_FALSE),
    JC_END,
};

struct owned_vol {
    char owner[STORE_NAME_SIZE];
    char name[STORE_NAME_SIZE];
};

/* Volumes and their owners, in creation (id) order, volumes being deleted left out. */
struct owned {
    struct owned_vol *vols;
    size_t n, cap;
};

static void owned_free(struct owned *o)
{
    free(o->vols);
    memset(o, 0, sizeof(*o));
}

static int owned_cb(const struct store_vol *v, void *arg)
{
    struct owned *o = arg;

    if (v->status == VOL_STATUS_MARK_DELETE) {
        return 0;
    }
    if (o->n == o->cap) {
        size_t cap = o->cap > 0 ? o->cap * 2 : 16;
        struct owned_vol *grown = realloc(o->vols, cap * sizeof(*grown));
        if (grown == NULL) {
            return -ENOMEM;
        }
        o->vols = grown;
        o->cap = cap;
    }
    memcpy(o->vols[o->n].owner, v->owner, STORE_NAME_SIZE);
    memcpy(o->vols[o->n].name, v->name, STORE_NAME_SIZE);
    o->n++;
    return 0;
}

static int owned_load(struct store_txn *t, struct owned *o)
{
    int rv = store_foreach_vol(t, owned_cb, o);

    if (rv != 0) {
        owned_free(o);
    }
    return rv;
}

/* The UserInfo of u, or NULL when out of memory. */
static json_t *user_json(const struct store_user *u, const struct owned *o)
{
    struct user_view v;
    json_t *j = NULL;

    memset(&v, 0, sizeof(v));
    v.u = *u;
    clock_format_wall(u->create_time, v.create_time, sizeof(v.create_time));
    v.policy.own_vols = malloc((o->n > 0 ? o->n : 1) * sizeof(*v.policy.own_vols));
    if (v.policy.own_vols != NULL) {
        for (size_t i = 0; i < o->n; i++) {
            if (strcmp(o->vols[i].owner, u->user_id) == 0) {
                memcpy(v.policy.own_vols[v.policy.nown++], o->vols[i].name, STORE_NAME_SIZE);
            }
        }
        j = jc_encode(user_view_fields, &v);
    }
    jc_free(user_view_fields, &v);
    return j;
}

/* The UserInfo of user id from a fresh read: 0 with *out, CFS_ENOTFOUND, or an error. */
static int load_user_json(struct master *m, const char *id, json_t **out)
{
    struct owned o = {0};
    struct store_user u;
    struct store_txn *t;
    int rv = store_read_begin(m->store, &t);

    if (rv != 0) {
        return rv;
    }
    rv = store_get_user(t, id, &u);
    if (rv == 0) {
        rv = owned_load(t, &o);
    }
    store_txn_end(t);
    if (rv == 0) {
        *out = user_json(&u, &o);
        rv = *out != NULL ? 0 : -ENOMEM;
    }
    owned_free(&o);
    return rv;
}

/* --- /user/info, /user/list ------------------------------------------------------------------ */

static void user_info(struct http_req *r, void *arg)
{
    const char *id;
    json_t *info = NULL;
    int rv;

    if (params_str(r, "user", true, &id) != 0) {
        return;
    }
    rv = load_user_json(arg, id, &info);
    if (rv == CFS_ENOTFOUND) {
        http_req_reply_error(r, API_USER_NOT_EXISTS, "%s", errors_api_message(API_USER_NOT_EXISTS));
    } else if (rv != 0) {
        http_req_reply_error(r, API_INTERNAL_ERROR, "reading user %s: %s", id, errors_strerror(rv));
    } else {
        http_req_reply_ok(r, info);
    }
}

struct list_walk {
    const char *keywords;
    const struct owned *owned;
    json_t *list;
};

static int list_cb(const struct store_user *u, void *arg)
{
    struct list_walk *w = arg;

    if (strstr(u->user_id, w->keywords) == NULL) {
        return 0;
    }
    return json_array_append_new(w->list, user_json(u, w->owned)) == 0 ? 0 : -ENOMEM;
}

/* Users whose id contains keywords (all without it), by id. */
static void user_list(struct http_req *r, void *arg)
{
    struct master *m = arg;
    struct list_walk w = {"", NULL, json_array()};
    struct owned o = {0};
    struct store_txn *t;
    int rv;

    if (params_str(r, "keywords", false, &w.keywords) != 0) {
        json_decref(w.list);
        return;
    }
    rv = w.list != NULL ? store_read_begin(m->store, &t) : -ENOMEM;
    if (rv == 0) {
        rv = owned_load(t, &o);
        w.owned = &o;
        if (rv == 0) {
            rv = store_foreach_user(t, list_cb, &w);
        }
        store_txn_end(t);
    }
    owned_free(&o);
    if (rv != 0) {
        json_decref(w.list);
        http_req_reply_error(r, API_INTERNAL_ERROR, "listing users: %s", errors_strerror(rv));
        return;
    }
    http_req_reply_ok(r, w.list);
}

/* --- /user/create ---------------------------------------------------------------------------- */

/* UserCreateParam, as cfs-cli posts it. */
struct create_params {
    char id[STORE_NAME_SIZE];
    char pwd[STORE_TEXT_SIZE];
    char ak[STORE_KEY_SIZE];
    char sk[STORE_KEY_SIZE];
    int64_t type;
    char description[STORE_TEXT_SIZE];
};

static const struct jc_field create_params_fields[] = {
    JC_F(struct create_params, id, "id", JC_STR, 0),
    JC_F(struct create_params, pwd, "pwd", JC_STR, 0),
    JC_F(struct create_params, ak, "ak", JC_STR, 0),
    JC_F(struct create_params, sk, "sk", JC_STR, 0),
    JC_F(struct create_params, type, "type", JC_I64, 0),
    JC_F(struct create_params, description, "description", JC_STR, 0),
    JC_END,
};

static bool all_alnum(const char *s, size_t len)
{
    size_t i = 0;

    while (s[i] != '\0' && isalnum((unsigned char)s[i])) {
        i++;
    }
    return i == len && s[i] == '\0';
}

struct create_op {
    struct api_op op; /* first */
    struct store_user user;
    bool fresh_key; /* the access key is ours to draw */
};

/* Draw an access key no user holds (t: a read transaction). */
static int fresh_access_key(struct store_txn *t, char *ak)
{
    struct store_user other;

    for (int i = 0; i < KEY_ATTEMPTS; i++) {
        int rv = digest_random_key(ak, ACCESS_KEY_LEN);
        if (rv != 0) {
            return rv;
        }
        rv = store_get_user_by_ak(t, ak, &other);
        if (rv != 0) {
            return rv == CFS_ENOTFOUND ? 0 : rv;
        }
    }
    return -EAGAIN;
}

/* 0 when the user may be created, else the API code (op answered). */
static int check_new_user(struct create_op *c)
{
    struct store_user other;
    struct store_txn *t;
    int rv = store_read_begin(c->op.m->store, &t);

    if (rv == 0) {
        rv = store_get_user(t, c->user.user_id, &other);
        if (rv == 0) {
            rv = API_DUPLICATE_USER_ID;
        } else if (rv == CFS_ENOTFOUND && c->fresh_key) {
            rv = fresh_access_key(t, c->user.access_key);
        } else if (rv == CFS_ENOTFOUND) {
            rv = store_get_user_by_ak(t, c->user.access_key, &other);
            rv = rv == 0 ? API_DUPLICATE_ACCESS_KEY : rv == CFS_ENOTFOUND ? 0 : rv;
        }
        store_txn_end(t);
    }
    if (rv > 0) {
        api_op_fail(&c->op, rv, "%s", errors_api_message(rv));
    } else if (rv < 0) {
        api_op_fail(&c->op, API_INTERNAL_ERROR, "creating user %s: %s", c->user.user_id,
                    errors_strerror(rv));
    }
    return rv;
}

static void create_run(struct api_op *op)
{
    struct create_op *c = (struct create_op *)op;
    char errmsg[ERRMSG_SIZE] = "";
    struct fsm_cmd cmd = {0};
    struct fsm_result res;
    json_t *info = NULL;
    int rv;

    if (check_new_user(c) != 0) {
        return;
    }
    c->user.create_time = clock_wall_s();
    rv = c->user.secret_key[0] == '\0' ? digest_random_key(c->user.secret_key, SECRET_KEY_LEN) : 0;
    cmd.batch = rv == 0 ? store_batch_new() : NULL;
    if (rv == 0) {
        rv = cmd.batch != NULL ? store_batch_put_user(cmd.batch, &c->user) : -ENOMEM;
    }
    if (rv == 0) {
        rv = fsm_cmd_check(&cmd, FSM_CHECK_USER_FREE, 0, c->user.user_id);
    }
    if (rv == 0) {
        rv = fsm_cmd_check(&cmd, FSM_CHECK_ACCESS_KEY_FREE, 0, c->user.access_key);
    }
    if (rv != 0) {
        api_op_fail(op, API_INTERNAL_ERROR, "creating user %s: %s", c->user.user_id,
                    errors_strerror(rv));
    } else if (master_propose(op->m, &cmd, &res, errmsg) != 0) {
        api_op_fail(op, API_PERSISTENCE_BY_RAFT, "%s", errmsg);
    } else if (res.code != API_SUCCESS) {
        api_op_fail(op, res.code, "%s", res.msg);
    } else if ((rv = load_user_json(op->m, c->user.user_id, &info)) != 0) {
        api_op_fail(op, API_INTERNAL_ERROR, "user %s created, reading it back: %s", c->user.user_id,
                    errors_strerror(rv));
    } else {
        log_info("created user %s (type %u)", c->user.user_id, c->user.user_type);
        api_op_ok(op, info);
    }
    fsm_cmd_clear(&cmd);
}

/* The body's rules, in CubeFS's order; 0 or the API code to answer with. */
static int validate_create(const struct create_params *p)
{
    if (!params_valid_owner(p->id)) {
        return API_INVALID_USER_ID;
    }
    /* The root user is the system's own; a request may create admins and normal users. */
    if (p->type != USER_TYPE_ADMIN && p->type != USER_TYPE_NORMAL) {
        return API_INVALID_USER_TYPE;
    }
    if (p->ak[0] != '\0' && !all_alnum(p->ak, ACCESS_KEY_LEN)) {
        return API_INVALID_ACCESS_KEY;
    }
    if (p->sk[0] != '\0' && !all_alnum(p->sk, SECRET_KEY_LEN)) {
        return API_INVALID_SECRET_KEY;
    }
    return 0;
}

static void user_create(struct http_req *r, void *arg)
{
    char errmsg[ERRMSG_SIZE] = "";
    struct create_params p;
    struct create_op *c;
    const char *body;
    size_t len;
    int code;

    memset(&p, 0, sizeof(p));
    body = http_req_body(r, &len);
    if (jc_decode_text(body, len, create_params_fields, &p, errmsg) != 0) {
        http_req_reply_error(r, API_PARAM_ERROR, "%s", errmsg);
        return;
    }
    code = validate_create(&p);
    if (code != 0) {
        http_req_reply_error(r, code, "%s", errors_api_message(code));
        return;
    }
    c = api_op_new(arg, r, sizeof(*c), create_run);
    if (c == NULL) {
        return;
    }
    snprintf(c->user.user_id, sizeof(c->user.user_id), "%s", p.id);
    snprintf(c->user.secret_key, sizeof(c->user.secret_key), "%s", p.sk);
    snprintf(c->user.access_key, sizeof(c->user.access_key), "%s", p.ak);
    snprintf(c->user.description, sizeof(c->user.description), "%s", p.description);
    c->user.user_type = (uint8_t)p.type;
    c->fresh_key = p.ak[0] == '\0';
    api_op_submit(&c->op);
}

/* --- /user/transferVol ----------------------------------------------------------------------- */

/* UserTransferVolParam. */
struct transfer_params {
    char volume[STORE_NAME_SIZE];
    char user_src[STORE_NAME_SIZE];
    char user_dst[STORE_NAME_SIZE];
    bool force;
};

static const struct jc_field transfer_params_fields[] = {
    JC_F(struct transfer_params, volume, "volume", JC_STR, 0),
    JC_F(struct transfer_params, user_src, "user_src", JC_STR, 0),
    JC_F(struct transfer_params, user_dst, "user_dst", JC_STR, 0),
    JC_F(struct transfer_params, force, "force", JC_BOOL, 0),
    JC_END,
};

struct transfer_op {
    struct api_op op; /* first */
    struct transfer_params p;
};

/* Read the volume and check the transfer (CubeFS's order: the volume, its owner, the target);
 * 0 with *vol, or the API code (op answered). */
static int check_transfer(struct transfer_op *x, struct store_vol *vol)
{
    struct store_user dst;
    struct store_txn *t;
    int rv = store_read_begin(x->op.m->store, &t);

    if (rv == 0) {
        rv = store_get_vol_by_name(t, x->p.volume, vol);
        if (rv == CFS_ENOTFOUND || (rv == 0 && vol->status == VOL_STATUS_MARK_DELETE)) {
            rv = API_VOL_NOT_EXISTS;
        } else if (rv == 0 && !x->p.force && strcmp(vol->owner, x->p.user_src) != 0) {
            rv = API_HAVE_NO_POLICY;
        } else if (rv == 0) {
            rv = store_get_user(t, x->p.user_dst, &dst);
            rv = rv == CFS_ENOTFOUND ? API_USER_NOT_EXISTS : rv;
        }
        store_txn_end(t);
    }
    if (rv == API_HAVE_NO_POLICY) {
        api_op_fail(&x->op, rv, "%s: vol %s is owned by %s, not %s", errors_api_message(rv),
                    x->p.volume, vol->owner, x->p.user_src);
    } else if (rv > 0) {
        api_op_fail(&x->op, rv, "%s", errors_api_message(rv));
    } else if (rv < 0) {
        api_op_fail(&x->op, API_INTERNAL_ERROR, "transferring vol %s: %s", x->p.volume,
                    errors_strerror(rv));
    }
    return rv;
}

static void transfer_locked(struct transfer_op *x)
{
    struct api_op *op = &x->op;
    char errmsg[ERRMSG_SIZE] = "";
    struct fsm_cmd cmd = {0};
    struct fsm_result res = {0};
    struct store_vol vol;
    json_t *info = NULL;
    int rv;

    if (check_transfer(x, &vol) != 0) {
        return;
    }
    snprintf(vol.owner, sizeof(vol.owner), "%s", x->p.user_dst);
    cmd.batch = store_batch_new();
    rv = cmd.batch != NULL ? store_batch_put_vol(cmd.batch, &vol) : -ENOMEM;
    if (rv == 0) {
        rv = fsm_cmd_check(&cmd, FSM_CHECK_VOL_EXISTS, vol.id, "");
    }
    if (rv != 0) {
        api_op_fail(op, API_INTERNAL_ERROR, "transferring vol %s: %s", vol.name,
                    errors_strerror(rv));
    } else if (master_propose(op->m, &cmd, &res, errmsg) != 0) {
        api_op_fail(op, API_PERSISTENCE_BY_RAFT, "%s", errmsg);
    } else if (res.code != API_SUCCESS) {
        api_op_fail(op, res.code, "%s", res.msg);
    } else if ((rv = load_user_json(op->m, x->p.user_dst, &info)) != 0) {
        api_op_fail(op, API_INTERNAL_ERROR, "vol %s transferred, reading user %s: %s", vol.name,
                    x->p.user_dst, errors_strerror(rv));
    } else {
        log_info("vol %s transferred from %s to %s%s", vol.name, x->p.user_src, x->p.user_dst,
                 x->p.force ? " (forced)" : "");
        api_op_ok(op, info);
    }
    fsm_cmd_clear(&cmd);
}

/* Under the volume's lock, so no other change of the volume record interleaves. */
static void transfer_run(struct api_op *op)
{
    struct transfer_op *x = (struct transfer_op *)op;
    char errmsg[ERRMSG_SIZE] = "";
    char key[STORE_NAME_SIZE + 8];

    snprintf(key, sizeof(key), "vol:%s", x->p.volume);
    if (locks_acquire(op->m->locks, key, "transferVol", LOCK_WAIT_MS, errmsg) != 0) {
        api_op_fail(op, API_INTERNAL_ERROR, "%s", errmsg);
        return;
    }
    transfer_locked(x);
    locks_release(op->m->locks, key);
}

static void user_transfer(struct http_req *r, void *arg)
{
    char errmsg[ERRMSG_SIZE] = "";
    struct transfer_params p;
    struct transfer_op *x;
    const char *body;
    size_t len;

    memset(&p, 0, sizeof(p));
    body = http_req_body(r, &len);
    if (jc_decode_text(body, len, transfer_params_fields, &p, errmsg) != 0) {
        http_req_reply_error(r, API_PARAM_ERROR, "%s", errmsg);
        return;
    }
    if (p.volume[0] == '\0' || p.user_dst[0] == '\0') {
        http_req_reply_error(r, API_PARAM_ERROR, "parameter %s not found",
                             p.volume[0] == '\0' ? "volume" : "user_dst");
        return;
    }
    if (!params_valid_vol_name(p.volume)) {
        http_req_reply_error(r, API_VOL_NOT_EXISTS, "%s", errors_api_message(API_VOL_NOT_EXISTS));
        return;
    }
    x = api_op_new(arg, r, sizeof(*x), transfer_run);
    if (x != NULL) {
        x->p = p;
        api_op_submit(&x->op);
    }
}

static const struct http_route routes[] = {
    {"/user/create", HTTP_POST, 0, user_create},
    {"/user/info", HTTP_GET, 0, user_info},
    {"/user/list", HTTP_GET, 0, user_list},
    {"/user/transferVol", HTTP_POST, 0, user_transfer},
};

const struct api_group api_user_group = {routes, sizeof(routes) / sizeof(routes[0]), NULL, NULL};
