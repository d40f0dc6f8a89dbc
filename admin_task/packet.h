/* CubeFS packet codec: the 57-byte big-endian header, then Arg (ArgLen bytes), then Data (Size
 * bytes). For admin tasks Data is the AdminTask JSON and Arg is empty.
 *
 * Header layout (offset, width): Magic 0 1 (0xFF), ExtentType 1 1, Opcode 2 1, ResultCode 3 1,
 * RemainingFollowers 4 1, CRC 5 4, Size 9 4, ArgLen 13 4, PartitionID 17 8, ExtentID 25 8,
 * ExtentOffset 33 8, ReqID 41 8, KernelOffset 49 8. CubeFS v3.5 extends the header when ExtentType
 * carries PACKET_FLAG_PROTO_VERSION (VerSeq u64 + ProtoVersion u32 follow) or PACKET_FLAG_MULTI_VER
 * (VerSeq u64 follows); admin packets never set them but the decoder understands them.
 *
 * Lengths are validated against a bound before anything is allocated, so a hostile length field
 * never costs memory. */
#ifndef CFS_ADMIN_TASK_PACKET_H
#define CFS_ADMIN_TASK_PACKET_H

#include <stddef.h>
#include <stdint.h>

#define PACKET_HEADER_SIZE        57
#define PACKET_HEADER_MAX_SIZE    (PACKET_HEADER_SIZE + 12)
#define PACKET_MAGIC              0xFF
#define PACKET_DEFAULT_MAX_BODY   (64u * 1024u * 1024u) /* bound on ArgLen + Size */
#define PACKET_FLAG_PROTO_VERSION 0x10
#define PACKET_FLAG_MULTI_VER     0x80

/* Admin opcodes (CubeFS proto/packet.go). */
enum {
    OP_CREATE_META_PARTITION = 0x40,
    OP_META_NODE_HEARTBEAT = 0x41,
    OP_DELETE_META_PARTITION = 0x42,
    OP_UPDATE_META_PARTITION = 0x43,
    OP_LOAD_META_PARTITION = 0x44,
    OP_DECOMMISSION_META_PARTITION = 0x45,
    OP_ADD_META_PARTITION_RAFT_MEMBER = 0x46,
    OP_REMOVE_META_PARTITION_RAFT_MEMBER = 0x47,
    OP_META_PARTITION_TRY_TO_LEADER = 0x48,
    OP_CREATE_DATA_PARTITION = 0x60,
    OP_DELETE_DATA_PARTITION = 0x61,
    OP_LOAD_DATA_PARTITION = 0x62,
    OP_DATA_NODE_HEARTBEAT = 0x63,
    OP_REPLICATE_FILE = 0x64,
    OP_DELETE_FILE = 0x65,
    OP_DECOMMISSION_DATA_PARTITION = 0x66,
    OP_ADD_DATA_PARTITION_RAFT_MEMBER = 0x67,
    OP_REMOVE_DATA_PARTITION_RAFT_MEMBER = 0x68,
    OP_DATA_PARTITION_TRY_TO_LEADER = 0x69,
    OP_PING = 0xFF
};

/* Result codes carried in replies. */
enum {
    OP_INIT_RESULT_CODE = 0x00,
    OP_OK = 0xF0,
    OP_CONFLICT_EXTENTS_ERR = 0xF2,
    OP_INTRA_GROUP_NET_ERR = 0xF3,
    OP_ARG_MISMATCH_ERR = 0xF4,
    OP_NOT_EXIST_ERR = 0xF5,
    OP_DISK_NO_SPACE_ERR = 0xF6,
    OP_DISK_ERR = 0xF7,
    OP_ERR = 0xF8,
    OP_AGAIN = 0xF9,
    OP_EXIST_ERR = 0xFA,
    OP_INODE_FULL_ERR = 0xFB,
    OP_TRY_OTHER_ADDR = 0xFC,
    OP_NOT_PERM = 0xFD,
    OP_NOT_EMPTY = 0xFE
};

struct packet {
    uint8_t magic;
    uint8_t extent_type;
    uint8_t opcode;
    uint8_t result_code;
    uint8_t remaining_followers;
    uint32_t crc;
    uint32_t size;    /* length of data */
    uint32_t arg_len; /* length of arg */
    uint64_t partition_id;
    uint64_t extent_id;
    int64_t extent_offset;
    int64_t req_id;
    uint64_t kernel_offset;
    uint64_t ver_seq;       /* only with PACKET_FLAG_PROTO_VERSION or PACKET_FLAG_MULTI_VER */
    uint32_t proto_version; /* only with PACKET_FLAG_PROTO_VERSION */
    uint8_t *arg;           /* arg_len bytes, malloc'd, or NULL */
    uint8_t *data;          /* size bytes, malloc'd and followed by a NUL byte, or NULL */
};

/* Header length implied by extent_type: 57, 65 or 69. */
size_t packet_header_size(uint8_t extent_type);

/* A request packet for opcode with the next process-wide ReqID; data is copied. */
int packet_init_request(struct packet *p, uint8_t opcode, uint64_t partition_id, const void *data,
                        uint32_t size);

/* A reply to req: same opcode, partition and ReqID, the given result and a copy of data. */
int packet_init_reply(struct packet *p, const struct packet *req, uint8_t result_code,
                      const void *data, uint32_t size);

/* Next ReqID: a process-wide atomic counter, pre-incremented from 1 as CubeFS does (first is 2). */
int64_t packet_next_req_id(void);

/* Write the header for p (packet_header_size(p->extent_type) bytes) into out. */
void packet_header_encode(const struct packet *p, uint8_t *out);

/* Decode a header from buf. Returns 0, CFS_ETRUNC when len is short, CFS_EMAGIC, or CFS_ETOOBIG
 * when ArgLen + Size exceeds max_body. arg and data are left NULL. */
int packet_header_decode(const uint8_t *buf, size_t len, uint32_t max_body, struct packet *p);

/* Whole packet to one malloc'd buffer. */
int packet_encode(const struct packet *p, uint8_t **out, size_t *len);

/* Decode one whole packet from buf; *consumed gets its length. Same errors as the header. */
int packet_decode(const uint8_t *buf, size_t len, uint32_t max_body, struct packet *p,
                  size_t *consumed);

/* Free arg and data and zero the packet. */
void packet_clear(struct packet *p);

/* Incremental decoder: feed bytes as they arrive from a socket and take whole packets out. */
struct packet_decoder {
    uint32_t max_body;
    size_t have; /* bytes of the current packet received so far */
    uint8_t header[PACKET_HEADER_MAX_SIZE];
    struct packet cur;
    int error; /* sticky: once the stream is bad it stays bad */
};

void packet_decoder_init(struct packet_decoder *d, uint32_t max_body);
void packet_decoder_close(struct packet_decoder *d);

/* Consume bytes from buf until one packet completes or buf is used up. *consumed gets the bytes
 * used. Returns 1 with *out filled (the caller owns it) when a packet completed, 0 when more bytes
 * are needed, or a negative error (CFS_EMAGIC, CFS_ETOOBIG, -ENOMEM) after which the stream must
 * be dropped. Call again with the rest of buf to get further packets. */
int packet_decoder_feed(struct packet_decoder *d, const uint8_t *buf, size_t len, size_t *consumed,
                        struct packet *out);

/* "OpCreateDataPartition", "OpOk", ...; "Unknown" when not in the table. */
const char *packet_opcode_name(uint8_t opcode);
const char *packet_result_name(uint8_t result_code);

#endif
