/* Time sources. Decision code never calls these: it takes "now" as a parameter so tests can drive
 * it with a fake clock; only I/O edges read the real clocks. */
#ifndef CFS_COMMON_CLOCK_H
#define CFS_COMMON_CLOCK_H

#include <stddef.h>
#include <stdint.h>

/* Monotonic milliseconds, for deadlines and intervals. */
uint64_t clock_mono_ms(void);

/* Wall-clock unix seconds, for timestamps that leave the process (CreateTime, ReportTime). */
int64_t clock_wall_s(void);

/* Unix seconds as local time in CubeFS's text layout ("2006-01-02 15:04:05", Go's
 * proto.TimeFormat), e.g. the CreateTime of clusters, volumes and users. size of 20 is enough. */
void clock_format_wall(int64_t unix_s, char *buf, size_t size);

/* Sleep for ms milliseconds (restarts after signals). */
void clock_sleep_ms(uint64_t ms);

#endif
