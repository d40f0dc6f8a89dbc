/* Error codes and messages.
 *
 * Two families live here:
 * - internal return codes: 0 on success, a negative errno value, or one of the CFS_E* codes below
 *   (our own range, below -1000); errors_strerror() names any of them;
 * - the CubeFS v3.5 API codes carried in the HTTP envelope {"code","msg","data"} (API_*), with the
 *   message text CubeFS uses, from errors_api_message().
 *
 * Functions that can fail in ways a user must see also fill an errmsg buffer of ERRMSG_SIZE bytes;
 * callers add context in front with errors_prefix(). */
#ifndef CFS_COMMON_ERRORS_H
#define CFS_COMMON_ERRORS_H

#include <stddef.h>

#define ERRMSG_SIZE 256

enum {
    CFS_ERR_BASE = -1000,
    CFS_ENOTFOUND = -1001, /* no such record or entity */
    CFS_EEXIST = -1002,    /* already exists */
    CFS_ETRUNC = -1003,    /* input ends before the structure it announces */
    CFS_EMAGIC = -1004,    /* bad packet magic */
    CFS_ETOOBIG = -1005,   /* a length field is over the configured bound */
    CFS_EBADJSON = -1006,  /* text is not valid JSON */
    CFS_ETYPE = -1007,     /* a JSON value has the wrong type or range */
    CFS_EMISSING = -1008,  /* a required key is missing */
    CFS_ECORRUPT = -1009,  /* stored or received data fails its checks */
    CFS_EMAPFULL = -1010,  /* the LMDB map is full and could not grow */
    CFS_ESCHEMA = -1011,   /* stored data has a schema version we do not know */
    CFS_ETIMEDOUT = -1012, /* a deadline passed */
    CFS_ECLOSED = -1013,   /* the peer closed the connection */
    CFS_EREMOTE = -1014,   /* the peer answered with an error result */
    CFS_ECANCELED = -1015, /* the operation was canceled (shutdown) */
    CFS_ENOLEADER = -1016, /* no Raft leader is known */
    CFS_ENOTLEADER = -1017 /* this master is not the Raft leader */
};

/* CubeFS v3.5 ("HEAD") envelope codes; the numbering differs from v2.5.2. */
enum api_code {
    API_SUCCESS = 0,
    API_INTERNAL_ERROR = 1,
    API_PARAM_ERROR = 2,
    API_INVALID_CFG = 3,
    API_PERSISTENCE_BY_RAFT = 4,
    API_MARSHAL_DATA = 5,
    API_UNMARSHAL_DATA = 6,
    API_VOL_NOT_EXISTS = 7,
    API_VOL_HAS_DELETED = 8,
    API_VOL_NOT_DELETE = 9,
    API_META_PARTITION_NOT_EXISTS = 10,
    API_DATA_PARTITION_NOT_EXISTS = 11,
    API_DATA_NODE_NOT_EXISTS = 12,
    API_META_NODE_NOT_EXISTS = 13,
    API_DUPLICATE_VOL = 14,
    API_ACTIVE_DATA_NODES_TOO_LESS = 15,
    API_ACTIVE_META_NODES_TOO_LESS = 16,
    API_INVALID_MP_START = 17,
    API_NO_AVAIL_DATA_PARTITION = 18,
    API_RESHUFFLE_ARRAY = 19,
    API_ILLEGAL_DATA_REPLICA = 20,
    API_MISSING_REPLICA = 21,
    API_HAS_ONE_MISSING_REPLICA = 22,
    API_NO_DATA_NODE_TO_WRITE = 23,
    API_NO_META_NODE_TO_WRITE = 24,
    API_CANNOT_BE_OFFLINE = 25,
    API_NO_DATA_NODE_TO_CREATE_DATA_PARTITION = 26,
    API_NO_ZONE_TO_CREATE_DATA_PARTITION = 27,
    API_NO_NODE_SET_TO_CREATE_DATA_PARTITION = 28,
    API_NO_NODE_SET_TO_CREATE_META_PARTITION = 29,
    API_NO_META_NODE_TO_CREATE_META_PARTITION = 30,
    API_ILLEGAL_META_REPLICA = 31,
    API_NO_ENOUGH_REPLICA = 32,
    API_NO_LEADER = 33,
    API_VOL_AUTH_KEY_NOT_MATCH = 34,
    API_AUTH_KEY_STORE_ERROR = 35,
    API_AUTH_API_ACCESS_GEN_RESP_ERROR = 36,
    API_AUTH_RAFT_NODE_GEN_RESP_ERROR = 37,
    API_AUTH_OS_CAPS_OP_GEN_RESP_ERROR = 38,
    API_AUTH_REQ_REDIRECT_ERROR = 39,
    API_ACCESS_KEY_NOT_EXISTS = 40,
    API_INVALID_TICKET = 41,
    API_INVALID_CLIENT_ID_KEY = 42,
    API_EXPIRED_TICKET = 43,
    API_MASTER_API_GEN_RESP_ERROR = 44,
    API_DUPLICATE_USER_ID = 45,
    API_USER_NOT_EXISTS = 46,
    API_READ_BODY_ERROR = 47,
    API_VOL_POLICY_NOT_EXISTS = 48,
    API_DUPLICATE_ACCESS_KEY = 49,
    API_HAVE_NO_POLICY = 50,
    API_NO_ZONE_TO_CREATE_META_PARTITION = 51,
    API_ZONE_NOT_EXISTS = 52,
    API_OWN_VOL_EXISTS = 53,
    API_SUPER_ADMIN_EXISTS = 54,
    API_INVALID_USER_ID = 55,
    API_INVALID_USER_TYPE = 56,
    API_NO_PERMISSION = 57,
    API_TOKEN_NOT_EXIST = 58,
    API_INVALID_ACCESS_KEY = 59,
    API_INVALID_SECRET_KEY = 60,
    API_IS_OWNER = 61,
    API_ZONE_NUM_ERROR = 62,
    API_VERSION_OP_ERROR = 63,
    API_NODE_SET_NOT_EXISTS = 64,
    API_CODE_COUNT = 65
};

/* Text for a return code: errno text for negative errno values, our own text for CFS_E*. */
const char *errors_strerror(int rv);

/* CubeFS message for an API code ("vol not exists"); "unknown error" outside the table. */
const char *errors_api_message(int code);

/* CubeFS Go name for an API code ("VolNotExists"). */
const char *errors_api_name(int code);

/* printf into errmsg (ERRMSG_SIZE bytes); a NULL errmsg is ignored. */
void errors_set(char *errmsg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Put "<context>: " in front of what errmsg already holds, so callers add what they know. */
void errors_prefix(char *errmsg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
