/* CRC-32/IEEE (the zlib polynomial), as CubeFS uses for packet data and we use for snapshots. */
#ifndef CFS_COMMON_CRC32_H
#define CFS_COMMON_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* Continue crc over buf; start with crc = 0. crc32_ieee(0, "123456789", 9) == 0xCBF43926. */
uint32_t crc32_ieee(uint32_t crc, const void *buf, size_t len);

#endif
