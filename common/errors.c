#include "common/errors.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct api_entry {
    const char *name;
    const char *message;
};

/* Indexed by code; messages are CubeFS's own (proto/errors.go), so clients that compare text work.
 */
static const struct api_entry api_table[API_CODE_COUNT] = {
    [API_SUCCESS] = {"Success", "success"},
    [API_INTERNAL_ERROR] = {"InternalError", "internal error"},
    [API_PARAM_ERROR] = {"ParamError", "parameter error"},
    [API_INVALID_CFG] = {"InvalidCfg", "bad configuration file"},
    [API_PERSISTENCE_BY_RAFT] = {"PersistenceByRaft", "persistence by raft occurred error"},
    [API_MARSHAL_DATA] = {"MarshalData", "marshal data error"},
    [API_UNMARSHAL_DATA] = {"UnmarshalData", "unmarshal data error"},
    [API_VOL_NOT_EXISTS] = {"VolNotExists", "vol not exists"},
    [API_VOL_HAS_DELETED] = {"VolHasDeleted", "vol has been deleted"},
    [API_VOL_NOT_DELETE] = {"VolNotDelete", "vol was not previously deleted"},
    [API_META_PARTITION_NOT_EXISTS] = {"MetaPartitionNotExists", "meta partition not exists"},
    [API_DATA_PARTITION_NOT_EXISTS] = {"DataPartitionNotExists", "data partition not exists"},
    [API_DATA_NODE_NOT_EXISTS] = {"DataNodeNotExists", "data node not exists"},
    [API_META_NODE_NOT_EXISTS] = {"MetaNodeNotExists", "meta node not exists"},
    [API_DUPLICATE_VOL] = {"DuplicateVol", "duplicate vol"},
    [API_ACTIVE_DATA_NODES_TOO_LESS] = {"ActiveDataNodesTooLess", "no enough active data node"},
    [API_ACTIVE_META_NODES_TOO_LESS] = {"ActiveMetaNodesTooLess", "no enough active meta node"},
    [API_INVALID_MP_START] = {"InvalidMpStart", "invalid meta partition start value"},
    [API_NO_AVAIL_DATA_PARTITION] = {"NoAvailDataPartition", "no available data partition"},
    [API_RESHUFFLE_ARRAY] = {"ReshuffleArray", "the array to be reshuffled is nil"},
    [API_ILLEGAL_DATA_REPLICA] = {"IllegalDataReplica", "data replica is illegal"},
    [API_MISSING_REPLICA] = {"MissingReplica", "a missing data replica is found"},
    [API_HAS_ONE_MISSING_REPLICA] = {"HasOneMissingReplica", "there is a missing replica"},
    [API_NO_DATA_NODE_TO_WRITE] = {"NoDataNodeToWrite",
                                   "No data node available for creating a data partition"},
    [API_NO_META_NODE_TO_WRITE] = {"NoMetaNodeToWrite",
                                   "No meta node available for creating a meta partition"},
    [API_CANNOT_BE_OFFLINE] = {"CannotBeOffLine", "cannot take the data replica offline"},
    [API_NO_DATA_NODE_TO_CREATE_DATA_PARTITION] =
        {"NoDataNodeToCreateDataPartition", "no enough data nodes for creating a data partition"},
    [API_NO_ZONE_TO_CREATE_DATA_PARTITION] = {"NoZoneToCreateDataPartition",
                                              "no zone available for creating a data partition"},
    [API_NO_NODE_SET_TO_CREATE_DATA_PARTITION] =
        {"NoNodeSetToCreateDataPartition", "no node set available for creating a data partition"},
    [API_NO_NODE_SET_TO_CREATE_META_PARTITION] =
        {"NoNodeSetToCreateMetaPartition", "no node set available for creating a meta partition"},
    [API_NO_META_NODE_TO_CREATE_META_PARTITION] =
        {"NoMetaNodeToCreateMetaPartition", "no enough meta nodes for creating a meta partition"},
    [API_ILLEGAL_META_REPLICA] = {"IllegalMetaReplica", "illegal meta replica"},
    [API_NO_ENOUGH_REPLICA] = {"NoEnoughReplica", "no enough replicas"},
    [API_NO_LEADER] = {"NoLeader", "no leader"},
    [API_VOL_AUTH_KEY_NOT_MATCH] = {"VolAuthKeyNotMatch",
                                    "client and server auth key do not match"},
    [API_AUTH_KEY_STORE_ERROR] = {"AuthKeyStoreError", "auth keystore error"},
    [API_AUTH_API_ACCESS_GEN_RESP_ERROR] = {"AuthAPIAccessGenRespError",
                                            "auth API access response error"},
    [API_AUTH_RAFT_NODE_GEN_RESP_ERROR] = {"AuthRaftNodeGenRespError",
                                           "auth raft node response error"},
    [API_AUTH_OS_CAPS_OP_GEN_RESP_ERROR] = {"AuthOSCapsOpGenRespError",
                                            "auth Object Storage Node API response error"},
    [API_AUTH_REQ_REDIRECT_ERROR] = {"AuthReqRedirectError", "auth request redirect error"},
    [API_ACCESS_KEY_NOT_EXISTS] = {"AccessKeyNotExists", "access key not exists"},
    [API_INVALID_TICKET] = {"InvalidTicket", "invalid ticket"},
    [API_INVALID_CLIENT_ID_KEY] = {"InvalidClientIDKey", "invalid clientIDKey"},
    [API_EXPIRED_TICKET] = {"ExpiredTicket", "expired ticket"},
    [API_MASTER_API_GEN_RESP_ERROR] = {"MasterAPIGenRespError",
                                       "master API generate response error"},
    [API_DUPLICATE_USER_ID] = {"DuplicateUserID", "duplicate user id"},
    [API_USER_NOT_EXISTS] = {"UserNotExists", "user not exists"},
    [API_READ_BODY_ERROR] = {"ReadBodyError", "read request body failed"},
    [API_VOL_POLICY_NOT_EXISTS] = {"VolPolicyNotExists", "vol policy not exists"},
    [API_DUPLICATE_ACCESS_KEY] = {"DuplicateAccessKey", "duplicate access key"},
    [API_HAVE_NO_POLICY] = {"HaveNoPolicy", "no vol policy"},
    [API_NO_ZONE_TO_CREATE_META_PARTITION] = {"NoZoneToCreateMetaPartition",
                                              "no zone available for creating a meta partition"},
    [API_ZONE_NOT_EXISTS] = {"ZoneNotExists", "zone not exists"},
    [API_OWN_VOL_EXISTS] = {"OwnVolExists", "own vols not empty"},
    [API_SUPER_ADMIN_EXISTS] = {"SuperAdminExists", "super administrator exists "},
    [API_INVALID_USER_ID] = {"InvalidUserID", "invalid user ID"},
    [API_INVALID_USER_TYPE] = {"InvalidUserType", "invalid user type"},
    [API_NO_PERMISSION] = {"NoPermission", "no permission"},
    [API_TOKEN_NOT_EXIST] = {"TokenNotExist", "token not found"},
    [API_INVALID_ACCESS_KEY] = {"InvalidAccessKey", "invalid access key"},
    [API_INVALID_SECRET_KEY] = {"InvalidSecretKey", "invalid secret key"},
    [API_IS_OWNER] = {"IsOwner", "user owns the volume"},
    [API_ZONE_NUM_ERROR] = {"ZoneNumError", "zone num not qualified"},
    [API_VERSION_OP_ERROR] = {"VersionOpError", "version op failed"},
    [API_NODE_SET_NOT_EXISTS] = {"NodeSetNotExists", "node set not exists"},
};

static const char *const cfs_messages[] = {
    [-(CFS_ENOTFOUND - CFS_ERR_BASE)] = "not found",
    [-(CFS_EEXIST - CFS_ERR_BASE)] = "already exists",
    [-(CFS_ETRUNC - CFS_ERR_BASE)] = "truncated input",
    [-(CFS_EMAGIC - CFS_ERR_BASE)] = "bad magic",
    [-(CFS_ETOOBIG - CFS_ERR_BASE)] = "length over the configured bound",
    [-(CFS_EBADJSON - CFS_ERR_BASE)] = "invalid JSON",
    [-(CFS_ETYPE - CFS_ERR_BASE)] = "value of the wrong type",
    [-(CFS_EMISSING - CFS_ERR_BASE)] = "required key missing",
    [-(CFS_ECORRUPT - CFS_ERR_BASE)] = "data corrupt",
    [-(CFS_EMAPFULL - CFS_ERR_BASE)] = "store map full",
    [-(CFS_ESCHEMA - CFS_ERR_BASE)] = "unknown schema version",
    [-(CFS_ETIMEDOUT - CFS_ERR_BASE)] = "timed out",
    [-(CFS_ECLOSED - CFS_ERR_BASE)] = "connection closed by peer",
    [-(CFS_EREMOTE - CFS_ERR_BASE)] = "peer answered with an error",
    [-(CFS_ECANCELED - CFS_ERR_BASE)] = "canceled",
    [-(CFS_ENOLEADER - CFS_ERR_BASE)] = "no leader",
    [-(CFS_ENOTLEADER - CFS_ERR_BASE)] = "not the leader",
};

const char *errors_strerror(int rv)
{
    if (rv == 0) {
        return "success";
    }
    if (rv < CFS_ERR_BASE) {
        size_t i = (size_t)(-(rv - CFS_ERR_BASE));
        if (i < sizeof(cfs_messages) / sizeof(cfs_messages[0]) && cfs_messages[i] != NULL) {
            return cfs_messages[i];
        }
        return "unknown error";
    }
    if (rv < 0) {
        return strerror(-rv);
    }
    return "unknown error";
}

const char *errors_api_message(int code)
{
    if (code < 0 || code >= API_CODE_COUNT) {
        return "unknown error";
    }
    return api_table[code].message;
}

const char *errors_api_name(int code)
{
    if (code < 0 || code >= API_CODE_COUNT) {
        return "Unknown";
    }
    return api_table[code].name;
}

void errors_set(char *errmsg, const char *fmt, ...)
{
    va_list ap;

    if (errmsg == NULL) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(errmsg, ERRMSG_SIZE, fmt, ap);
    va_end(ap);
}

void errors_prefix(char *errmsg, const char *fmt, ...)
{
    char old[ERRMSG_SIZE];
    va_list ap;
    int n;

    if (errmsg == NULL) {
        return;
    }
    memcpy(old, errmsg, ERRMSG_SIZE);
    old[ERRMSG_SIZE - 1] = '\0';
    va_start(ap, fmt);
    n = vsnprintf(errmsg, ERRMSG_SIZE, fmt, ap);
    va_end(ap);
    if (n >= 0 && n < ERRMSG_SIZE) {
        snprintf(errmsg + n, ERRMSG_SIZE - (size_t)n, "%s%s", old[0] ? ": " : "", old);
    }
}
