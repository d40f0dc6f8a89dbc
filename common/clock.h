/* Time sources. Decision code never calls these: it takes "now" as a parameter so tests can drive
 * it with a fake clock; only I/O edges read the real clocks. */
#ifndef CFS_COMMON_CLOCK_H
#define CFS_COMMON_CLOCK_H

#include <stdint.h>

/* Monotonic milliseconds, for deadlines and intervals. */
uint64_t clock_mono_ms(void);

/* Wall-clock unix seconds, for timestamps that leave the process (CreateTime, ReportTime). */
int64_t clock_wall_s(void);

/* Sleep for ms milliseconds (restarts after signals). */
void clock_sleep_ms(uint64_t ms);

#endif
