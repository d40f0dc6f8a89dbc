/* Child processes for integration tests.
 *
 * Happy path: proc_spawn forks, puts the child in its own process group (so a test can signal the
 * whole group with kill(-pid, sig)) and execs the binary with stdout and stderr appended to a log
 * file; proc_stop signals it and reaps it.
 * Failure modes: the log file cannot be opened or fork fails (-1, nothing started); exec fails
 * (the child writes the reason to the log and exits 127); the process ignores the signal
 * (proc_stop kills its group with SIGKILL after the timeout). A process reaped by proc_alive keeps
 * its wait status in a small table, so a later proc_stop still reports how it ended. */
#include "tests/support/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define POLL_MS  10
#define MAX_DEAD 64

/* Wait statuses of children reaped by proc_alive, for proc_stop to report. */
static struct {
    pid_t pid;
    int status;
} dead[MAX_DEAD];
static size_t ndead;
static pthread_mutex_t dead_mu = PTHREAD_MUTEX_INITIALIZER;

static void remember_dead(pid_t pid, int status)
{
    pthread_mutex_lock(&dead_mu);
    dead[ndead % MAX_DEAD].pid = pid;
    dead[ndead % MAX_DEAD].status = status;
    ndead++;
    pthread_mutex_unlock(&dead_mu);
}

/* The recorded status of pid (and forget it), or -1. */
static int take_dead(pid_t pid)
{
    int status = -1;

    pthread_mutex_lock(&dead_mu);
    for (size_t i = 0; i < MAX_DEAD && i < ndead; i++) {
        if (dead[i].pid == pid) {
            status = dead[i].status;
            dead[i].pid = 0;
            break;
        }
    }
    pthread_mutex_unlock(&dead_mu);
    return status;
}

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void sleep_ms(uint32_t ms)
{
    struct timespec ts = {.tv_sec = ms / 1000u, .tv_nsec = (long)(ms % 1000u) * 1000000L};

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* Only async-signal-safe calls here: the parent may have threads (mock masters, loops). */
static void exec_child(char *const argv[], int log_fd)
{
    static const char msg[] = "proc_spawn: exec failed: ";
    sigset_t none;

    setpgid(0, 0);
    /* An ignored signal stays ignored across exec, and test processes ignore SIGPIPE (the mock
     * master and packet servers set that); the child starts with defaults like a real daemon. */
    signal(SIGPIPE, SIG_DFL);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (dup2(log_fd, STDOUT_FILENO) < 0 || dup2(log_fd, STDERR_FILENO) < 0) {
        _exit(127);
    }
    execv(argv[0], argv);
    (void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
    (void)!write(STDERR_FILENO, argv[0], strlen(argv[0]));
    (void)!write(STDERR_FILENO, "\n", 1);
    _exit(127);
}

pid_t proc_spawn(char *const argv[], const char *log_path)
{
    int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    pid_t pid;

    if (fd < 0) {
        fprintf(stderr, "proc_spawn: cannot open %s: %s\n", log_path, strerror(errno));
        return -1;
    }
    pid = fork();
    if (pid == 0) {
        exec_child(argv, fd);
    }
    if (pid < 0) {
        fprintf(stderr, "proc_spawn: fork: %s\n", strerror(errno));
    } else {
        /* Also from the parent, so the group exists before anyone signals it. */
        setpgid(pid, pid);
    }
    close(fd);
    return pid;
}

/* waitpid without blocking: 1 with *status when pid has exited, 0 while it runs, -1 when it is
 * not (or no longer) our child. */
static int reap(pid_t pid, int *status)
{
    pid_t r;

    do {
        r = waitpid(pid, status, WNOHANG);
    } while (r < 0 && errno == EINTR);
    return r == pid ? 1 : r == 0 ? 0 : -1;
}

int proc_stop(pid_t pid, int sig, uint32_t timeout_ms)
{
    uint64_t deadline = now_ms() + timeout_ms;
    int status = take_dead(pid);

    if (status != -1 || pid <= 0) {
        return status;
    }
    kill(pid, sig);
    for (;;) {
        int r = reap(pid, &status);
        if (r != 0) {
            return r == 1 ? status : -1;
        }
        if (now_ms() >= deadline) {
            break;
        }
        sleep_ms(POLL_MS);
    }
    kill(-pid, SIGKILL);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return -1;
}

bool proc_alive(pid_t pid)
{
    int status;
    int r = reap(pid, &status);

    if (r == 1) {
        remember_dead(pid, status);
    }
    return r == 0;
}

bool proc_wait_until(bool (*cond)(void *arg), void *arg, uint32_t timeout_ms)
{
    uint64_t deadline = now_ms() + timeout_ms;

    while (!cond(arg)) {
        if (now_ms() >= deadline) {
            /* One last look, so a condition that came true during the final sleep counts. */
            return cond(arg);
        }
        sleep_ms(POLL_MS);
    }
    return true;
}

const char *proc_binary(const char *relative)
{
    static _Thread_local char path[4096];

    snprintf(path, sizeof(path), "%s/%s", CFS_BINARY_DIR, relative);
    return path;
}
