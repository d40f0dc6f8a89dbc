#define LOG_TAG "packet"

#include "admin_task/packet.h"

#include "common/errors.h"
#include "common/log.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* Byte offsets of the base header (CubeFS proto.Packet.MarshalHeader). */
enum {
    OFF_MAGIC = 0,
    OFF_EXTENT_TYPE = 1,
    OFF_OPCODE = 2,
    OFF_RESULT_CODE = 3,
    OFF_REMAINING_FOLLOWERS = 4,
    OFF_CRC = 5,
    OFF_SIZE = 9,
    OFF_ARG_LEN = 13,
    OFF_PARTITION_ID = 17,
    OFF_EXTENT_ID = 25,
    OFF_EXTENT_OFFSET = 33,
    OFF_REQ_ID = 41,
    OFF_KERNEL_OFFSET = 49,
    OFF_VER_SEQ = PACKET_HEADER_SIZE,
    OFF_PROTO_VERSION = PACKET_HEADER_SIZE + 8
};

_Static_assert(OFF_KERNEL_OFFSET + 8 == PACKET_HEADER_SIZE, "base header is 57 bytes");
_Static_assert(OFF_PROTO_VERSION + 4 == PACKET_HEADER_MAX_SIZE, "extended header is 69 bytes");

static _Atomic int64_t req_id_counter = 1;

static void put_u32(uint8_t *out, uint32_t v)
{
    for (int i = 3; i >= 0; i--) {
        out[i] = (uint8_t)v;
        v >>= 8;
    }
}

static void put_u64(uint8_t *out, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        out[i] = (uint8_t)v;
        v >>= 8;
    }
}

static uint32_t get_u32(const uint8_t *in)
{
    uint32_t v = 0;

    for (int i = 0; i < 4; i++) {
        v = v << 8 | in[i];
    }
    return v;
}

static uint64_t get_u64(const uint8_t *in)
{
    uint64_t v = 0;

    for (int i = 0; i < 8; i++) {
        v = v << 8 | in[i];
    }
    return v;
}

size_t packet_header_size(uint8_t extent_type)
{
    /* The protocol-version flag wins when both are set, as in CubeFS's reader. */
    if (extent_type & PACKET_FLAG_PROTO_VERSION) {
        return PACKET_HEADER_SIZE + 12;
    }
    if (extent_type & PACKET_FLAG_MULTI_VER) {
        return PACKET_HEADER_SIZE + 8;
    }
    return PACKET_HEADER_SIZE;
}

int64_t packet_next_req_id(void)
{
    return atomic_fetch_add(&req_id_counter, 1) + 1;
}

/* Copy of size bytes plus a NUL, so text bodies can be used as C strings; NULL for an empty one. */
static int dup_body(const void *src, uint32_t size, uint8_t **out)
{
    uint8_t *copy;

    if (size == 0) {
        *out = NULL;
        return 0;
    }
    if (src == NULL) {
        return -EINVAL;
    }
    copy = malloc((size_t)size + 1);
    if (copy == NULL) {
        return -ENOMEM;
    }
    memcpy(copy, src, size);
    copy[size] = '\0';
    *out = copy;
    return 0;
}

int packet_init_request(struct packet *p, uint8_t opcode, uint64_t partition_id, const void *data,
                        uint32_t size)
{
    struct packet tmp = {0};
    int rv;

    rv = dup_body(data, size, &tmp.data);
    if (rv != 0) {
        return rv;
    }
    tmp.magic = PACKET_MAGIC;
    tmp.opcode = opcode;
    tmp.partition_id = partition_id;
    tmp.size = size;
    tmp.req_id = packet_next_req_id();
    *p = tmp;
    return 0;
}

int packet_init_reply(struct packet *p, const struct packet *req, uint8_t result_code,
                      const void *data, uint32_t size)
{
    struct packet tmp = *req;
    int rv;

    /* CubeFS replies on the request's own header (PacketOkWithBody, PacketErrorWithBody): every
     * field stays but the result and the body, and the arg is dropped. */
    rv = dup_body(data, size, &tmp.data);
    if (rv != 0) {
        return rv;
    }
    tmp.result_code = result_code;
    tmp.size = size;
    tmp.arg_len = 0;
    tmp.arg = NULL;
    *p = tmp;
    return 0;
}

void packet_header_encode(const struct packet *p, uint8_t *out)
{
    out[OFF_MAGIC] = p->magic;
    out[OFF_EXTENT_TYPE] = p->extent_type;
    out[OFF_OPCODE] = p->opcode;
    out[OFF_RESULT_CODE] = p->result_code;
    out[OFF_REMAINING_FOLLOWERS] = p->remaining_followers;
    put_u32(out + OFF_CRC, p->crc);
    put_u32(out + OFF_SIZE, p->size);
    put_u32(out + OFF_ARG_LEN, p->arg_len);
    put_u64(out + OFF_PARTITION_ID, p->partition_id);
    put_u64(out + OFF_EXTENT_ID, p->extent_id);
    put_u64(out + OFF_EXTENT_OFFSET, (uint64_t)p->extent_offset);
    put_u64(out + OFF_REQ_ID, (uint64_t)p->req_id);
    put_u64(out + OFF_KERNEL_OFFSET, p->kernel_offset);
    if (packet_header_size(p->extent_type) > PACKET_HEADER_SIZE) {
        put_u64(out + OFF_VER_SEQ, p->ver_seq);
    }
    if (packet_header_size(p->extent_type) == PACKET_HEADER_MAX_SIZE) {
        put_u32(out + OFF_PROTO_VERSION, p->proto_version);
    }
}

/* Checked on the first byte, so a stream that starts wrong is dropped before we wait for more. */
static int check_magic(uint8_t magic)
{
    if (magic != PACKET_MAGIC) {
        log_warn("bad magic 0x%02x", magic);
        return CFS_EMAGIC;
    }
    return 0;
}

int packet_header_decode(const uint8_t *buf, size_t len, uint32_t max_body, struct packet *p)
{
    struct packet tmp = {0};
    uint64_t body;
    int rv;

    if (len == 0) {
        return CFS_ETRUNC;
    }
    rv = check_magic(buf[OFF_MAGIC]);
    if (rv != 0) {
        return rv;
    }
    if (len < PACKET_HEADER_SIZE || len < packet_header_size(buf[OFF_EXTENT_TYPE])) {
        return CFS_ETRUNC;
    }
    tmp.magic = buf[OFF_MAGIC];
    tmp.extent_type = buf[OFF_EXTENT_TYPE];
    tmp.opcode = buf[OFF_OPCODE];
    tmp.result_code = buf[OFF_RESULT_CODE];
    tmp.remaining_followers = buf[OFF_REMAINING_FOLLOWERS];
    tmp.crc = get_u32(buf + OFF_CRC);
    tmp.size = get_u32(buf + OFF_SIZE);
    tmp.arg_len = get_u32(buf + OFF_ARG_LEN);
    tmp.partition_id = get_u64(buf + OFF_PARTITION_ID);
    tmp.extent_id = get_u64(buf + OFF_EXTENT_ID);
    tmp.extent_offset = (int64_t)get_u64(buf + OFF_EXTENT_OFFSET);
    tmp.req_id = (int64_t)get_u64(buf + OFF_REQ_ID);
    tmp.kernel_offset = get_u64(buf + OFF_KERNEL_OFFSET);
    if (packet_header_size(tmp.extent_type) > PACKET_HEADER_SIZE) {
        tmp.ver_seq = get_u64(buf + OFF_VER_SEQ);
    }
    if (packet_header_size(tmp.extent_type) == PACKET_HEADER_MAX_SIZE) {
        tmp.proto_version = get_u32(buf + OFF_PROTO_VERSION);
    }
    /* Summed in 64 bits: two u32 lengths near 4 GiB must not wrap under the bound. */
    body = (uint64_t)tmp.arg_len + tmp.size;
    if (body > max_body) {
        log_warn("op 0x%02x req %lld: arg %u + data %u bytes is over the bound %u", tmp.opcode,
                 (long long)tmp.req_id, tmp.arg_len, tmp.size, max_body);
        return CFS_ETOOBIG;
    }
    *p = tmp;
    return 0;
}

int packet_encode(const struct packet *p, uint8_t **out, size_t *len)
{
    size_t hsize = packet_header_size(p->extent_type);
    size_t total = hsize + (size_t)p->arg_len + p->size;
    uint8_t *buf;

    if ((p->arg_len > 0 && p->arg == NULL) || (p->size > 0 && p->data == NULL)) {
        return -EINVAL;
    }
    buf = malloc(total);
    if (buf == NULL) {
        return -ENOMEM;
    }
    packet_header_encode(p, buf);
    if (p->arg_len > 0) {
        memcpy(buf + hsize, p->arg, p->arg_len);
    }
    if (p->size > 0) {
        memcpy(buf + hsize + p->arg_len, p->data, p->size);
    }
    *out = buf;
    *len = total;
    return 0;
}

int packet_decode(const uint8_t *buf, size_t len, uint32_t max_body, struct packet *p,
                  size_t *consumed)
{
    struct packet tmp;
    size_t hsize;
    int rv;

    rv = packet_header_decode(buf, len, max_body, &tmp);
    if (rv != 0) {
        return rv;
    }
    hsize = packet_header_size(tmp.extent_type);
    if (len - hsize < (size_t)tmp.arg_len + tmp.size) {
        return CFS_ETRUNC;
    }
    rv = dup_body(buf + hsize, tmp.arg_len, &tmp.arg);
    if (rv != 0) {
        goto out;
    }
    rv = dup_body(buf + hsize + tmp.arg_len, tmp.size, &tmp.data);
    if (rv != 0) {
        goto out;
    }
    *p = tmp;
    *consumed = hsize + tmp.arg_len + tmp.size;
out:
    if (rv != 0) {
        free(tmp.arg);
    }
    return rv;
}

void packet_clear(struct packet *p)
{
    free(p->arg);
    free(p->data);
    memset(p, 0, sizeof(*p));
}

void packet_decoder_init(struct packet_decoder *d, uint32_t max_body)
{
    memset(d, 0, sizeof(*d));
    d->max_body = max_body;
}

void packet_decoder_close(struct packet_decoder *d)
{
    packet_clear(&d->cur);
    d->have = 0;
}

/* Header bytes the decoder needs: the base header until it has seen ExtentType, then the size
 * ExtentType implies. */
static size_t decoder_header_need(const struct packet_decoder *d)
{
    return d->have < PACKET_HEADER_SIZE ? PACKET_HEADER_SIZE
                                        : packet_header_size(d->header[OFF_EXTENT_TYPE]);
}

/* The whole header is in: validate it and allocate the body, bounded before any allocation. */
static int decoder_start_body(struct packet_decoder *d)
{
    struct packet tmp;
    int rv;

    rv = packet_header_decode(d->header, d->have, d->max_body, &tmp);
    if (rv != 0) {
        return rv;
    }
    rv = -ENOMEM;
    if (tmp.arg_len > 0 && (tmp.arg = malloc(tmp.arg_len)) == NULL) {
        goto out;
    }
    if (tmp.size > 0) {
        tmp.data = malloc((size_t)tmp.size + 1);
        if (tmp.data == NULL) {
            goto out;
        }
        tmp.data[tmp.size] = '\0';
    }
    d->cur = tmp;
    rv = 0;
out:
    if (rv != 0) {
        free(tmp.arg);
    }
    return rv;
}

/* Copy body bytes of the current packet: the arg first, then the data. */
static size_t decoder_copy_body(struct packet_decoder *d, size_t hsize, const uint8_t *buf,
                                size_t len)
{
    size_t off = d->have - hsize;
    size_t n;

    if (off < d->cur.arg_len) {
        n = d->cur.arg_len - off;
        n = n < len ? n : len;
        memcpy(d->cur.arg + off, buf, n);
    } else {
        off -= d->cur.arg_len;
        n = d->cur.size - off;
        n = n < len ? n : len;
        memcpy(d->cur.data + off, buf, n);
    }
    d->have += n;
    return n;
}

/* Take header bytes; once the header is whole, validate it and allocate the body. */
static int decoder_fill_header(struct packet_decoder *d, const uint8_t *buf, size_t len,
                               size_t *used)
{
    size_t n = decoder_header_need(d) - d->have;
    int rv;

    if (d->have == 0) {
        rv = check_magic(buf[0]);
        if (rv != 0) {
            return rv;
        }
    }
    n = n < len ? n : len;
    memcpy(d->header + d->have, buf, n);
    d->have += n;
    *used += n;
    return d->have == decoder_header_need(d) ? decoder_start_body(d) : 0;
}

int packet_decoder_feed(struct packet_decoder *d, const uint8_t *buf, size_t len, size_t *consumed,
                        struct packet *out)
{
    size_t used = 0;
    int rv = d->error;

    while (rv == 0) {
        size_t hsize = decoder_header_need(d);

        /* cur's lengths are zero until the header is whole, so this needs a whole header. */
        if (d->have == hsize + d->cur.arg_len + d->cur.size) {
            *out = d->cur;
            memset(&d->cur, 0, sizeof(d->cur));
            d->have = 0;
            rv = 1;
        } else if (used == len) {
            break;
        } else if (d->have < hsize) {
            rv = decoder_fill_header(d, buf + used, len - used, &used);
        } else {
            used += decoder_copy_body(d, hsize, buf + used, len - used);
        }
    }
    if (rv < 0 && d->error == 0) {
        packet_clear(&d->cur);
        d->error = rv;
    }
    *consumed = used;
    return rv;
}

struct code_name {
    uint8_t code;
    const char *name;
};

static const struct code_name opcode_names[] = {
    {OP_CREATE_META_PARTITION, "OpCreateMetaPartition"},
    {OP_META_NODE_HEARTBEAT, "OpMetaNodeHeartbeat"},
    {OP_DELETE_META_PARTITION, "OpDeleteMetaPartition"},
    {OP_UPDATE_META_PARTITION, "OpUpdateMetaPartition"},
    {OP_LOAD_META_PARTITION, "OpLoadMetaPartition"},
    {OP_DECOMMISSION_META_PARTITION, "OpDecommissionMetaPartition"},
    {OP_ADD_META_PARTITION_RAFT_MEMBER, "OpAddMetaPartitionRaftMember"},
    {OP_REMOVE_META_PARTITION_RAFT_MEMBER, "OpRemoveMetaPartitionRaftMember"},
    {OP_META_PARTITION_TRY_TO_LEADER, "OpMetaPartitionTryToLeader"},
    {OP_CREATE_DATA_PARTITION, "OpCreateDataPartition"},
    {OP_DELETE_DATA_PARTITION, "OpDeleteDataPartition"},
    {OP_LOAD_DATA_PARTITION, "OpLoadDataPartition"},
    {OP_DATA_NODE_HEARTBEAT, "OpDataNodeHeartbeat"},
    {OP_REPLICATE_FILE, "OpReplicateFile"},
    {OP_DELETE_FILE, "OpDeleteFile"},
    {OP_DECOMMISSION_DATA_PARTITION, "OpDecommissionDataPartition"},
    {OP_ADD_DATA_PARTITION_RAFT_MEMBER, "OpAddDataPartitionRaftMember"},
    {OP_REMOVE_DATA_PARTITION_RAFT_MEMBER, "OpRemoveDataPartitionRaftMember"},
    {OP_DATA_PARTITION_TRY_TO_LEADER, "OpDataPartitionTryToLeader"},
    {OP_PING, "OpPing"},
};

/* Go constant names (proto/packet.go), not GetResultMsg()'s prose, so logs grep like CubeFS code.
 */
static const struct code_name result_names[] = {
    {OP_INIT_RESULT_CODE, "OpInitResultCode"},
    {OP_OK, "OpOk"},
    {OP_CONFLICT_EXTENTS_ERR, "OpConflictExtentsErr"},
    {OP_INTRA_GROUP_NET_ERR, "OpIntraGroupNetErr"},
    {OP_ARG_MISMATCH_ERR, "OpArgMismatchErr"},
    {OP_NOT_EXIST_ERR, "OpNotExistErr"},
    {OP_DISK_NO_SPACE_ERR, "OpDiskNoSpaceErr"},
    {OP_DISK_ERR, "OpDiskErr"},
    {OP_ERR, "OpErr"},
    {OP_AGAIN, "OpAgain"},
    {OP_EXIST_ERR, "OpExistErr"},
    {OP_INODE_FULL_ERR, "OpInodeFullErr"},
    {OP_TRY_OTHER_ADDR, "OpTryOtherAddr"},
    {OP_NOT_PERM, "OpNotPerm"},
    {OP_NOT_EMPTY, "OpNotEmpty"},
};

static const char *lookup_name(const struct code_name *table, size_t n, uint8_t code)
{
    for (size_t i = 0; i < n; i++) {
        if (table[i].code == code) {
            return table[i].name;
        }
    }
    return "Unknown";
}

const char *packet_opcode_name(uint8_t opcode)
{
    return lookup_name(opcode_names, sizeof(opcode_names) / sizeof(opcode_names[0]), opcode);
}

const char *packet_result_name(uint8_t result_code)
{
    return lookup_name(result_names, sizeof(result_names) / sizeof(result_names[0]), result_code);
}
