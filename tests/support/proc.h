/* Child processes for integration tests: start a binary with its output in a log file, signal it,
 * wait for it, and poll for conditions with a deadline (never fixed sleeps). */
#ifndef CFS_TESTS_PROC_H
#define CFS_TESTS_PROC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Start argv[0] (a path) with stdout and stderr appended to log_path. Returns the pid, or -1. */
pid_t proc_spawn(char *const argv[], const char *log_path);

/* Send sig and wait up to timeout_ms for the process to exit; returns its wait status, or -1
 * if it did not exit (it is then killed with SIGKILL). */
int proc_stop(pid_t pid, int sig, uint32_t timeout_ms);

/* True while the process has not exited (reaps it when it has). */
bool proc_alive(pid_t pid);

/* Poll cond(arg) every few milliseconds until it returns true or timeout_ms passes. */
bool proc_wait_until(bool (*cond)(void *arg), void *arg, uint32_t timeout_ms);

/* Path of a built binary, e.g. proc_binary("datanode_proto/cfs-datanode"). */
const char *proc_binary(const char *relative);

#endif
