#include "tools/cfs_cli/progress.h"

#include "tools/cfs_cli/output.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const char *const done_words[] = {"Success", NULL};
static const char *const failed_words[] = {"Fail", "Failed", "DecommissionCancel", "Cancel", NULL};

static bool word_in(const char *w, const char *const *list)
{
    for (; *list != NULL; list++) {
        if (strcmp(w, *list) == 0) {
            return true;
        }
    }
    return false;
}

static const char *str_of(const json_t *obj, const char *key, const char *fallback)
{
    const char *s = json_string_value(json_object_get(obj, key));

    return s != NULL && s[0] != '\0' ? s : fallback;
}

static json_int_t int_of(const json_t *obj, const char *key)
{
    return json_integer_value(json_object_get(obj, key));
}

/* The state a status word means, and the error text appended to failures. */
static void settle(struct progress_status *out, const char *status, const char *error)
{
    size_t len = strlen(out->text);

    if (word_in(status, done_words)) {
        out->state = PROGRESS_DONE;
    } else if (word_in(status, failed_words)) {
        out->state = PROGRESS_FAILED;
        if (error != NULL && error[0] != '\0' && len < sizeof(out->text)) {
            snprintf(out->text + len, sizeof(out->text) - len, ": %s", error);
        }
    } else {
        out->state = PROGRESS_RUNNING;
    }
}

void progress_node_status(const json_t *info, bool gone, struct progress_status *out)
{
    const json_t *p = json_object_get(info, "DecommissionProgress");
    const char *status;

    memset(out, 0, sizeof(*out));
    if (gone) {
        out->state = PROGRESS_DONE;
        snprintf(out->text, sizeof(out->text), "Success (the node has left the cluster)");
        return;
    }
    if (json_is_object(p)) {
        json_int_t total = int_of(p, "Total"), moved = int_of(p, "Succeeded");
        status = str_of(p, "Status", "Initial");
        snprintf(out->text, sizeof(out->text),
                 "%s %.2f%% (%" JSON_INTEGER_FORMAT " of %" JSON_INTEGER_FORMAT
                 " partitions moved, %" JSON_INTEGER_FORMAT " failed, %" JSON_INTEGER_FORMAT
                 " left on the node)",
                 status,
                 total > 0                     ? 100.0 * (double)moved / (double)total
                 : word_in(status, done_words) ? 100.0
                                               : 0.0,
                 moved, total, int_of(p, "Failed"), int_of(p, "Remaining"));
        settle(out, status, str_of(p, "ErrorMessage", NULL));
        return;
    }
    status = str_of(info, "StatusMessage", "Initial");
    if (json_object_get(info, "StatusMessage") != NULL) {
        const json_t *failed = json_array_get(json_object_get(info, "FailedDps"), 0);
        snprintf(out->text, sizeof(out->text),
                 "%s %s (%" JSON_INTEGER_FORMAT " of %" JSON_INTEGER_FORMAT " partitions left)",
                 status, str_of(info, "Progress", "0.00%"), int_of(info, "RemainingDpCnt"),
                 int_of(info, "TotalDpCnt"));
        settle(out, status, str_of(failed, "ErrMsg", NULL));
        return;
    }
    /* no progress reported: the node's offline mark is all there is to show */
    snprintf(out->text, sizeof(out->text), "%s",
             json_is_true(json_object_get(info, "ToBeOffline"))
                 ? "Running (marked to be offline; no progress reported)"
                 : "Initial (no progress reported)");
    out->state = PROGRESS_RUNNING;
}

static bool hosts_contain(const json_t *hosts, const char *addr)
{
    size_t i;
    json_t *h;

    json_array_foreach(hosts, i, h)
    {
        if (json_is_string(h) && strcmp(json_string_value(h), addr) == 0) {
            return true;
        }
    }
    return false;
}

/* Append printf text to out->text. */
static void add(struct progress_status *out, const char *fmt, const char *a)
{
    size_t len = strlen(out->text);

    if (len < sizeof(out->text)) {
        snprintf(out->text + len, sizeof(out->text) - len, fmt, a);
    }
}

void progress_dp_status(const json_t *status, const json_t *hosts, const char *src,
                        struct progress_status *out)
{
    const char *word = str_of(status, "Status", "Initial");
    const char *state = str_of(status, "State", word);
    const char *progress = str_of(status, "Progress", NULL);
    const char *dst = str_of(status, "DstAddress", NULL);
    const char *message = str_of(status, "Message", NULL);

    memset(out, 0, sizeof(*out));
    if (strcmp(word, "Initial") == 0 && json_is_array(hosts) && !hosts_contain(hosts, src)) {
        out->state = PROGRESS_DONE;
        snprintf(out->text, sizeof(out->text), "Success (%s no longer hosts the partition)", src);
        return;
    }
    add(out, "%s", word);
    if (strcmp(state, word) != 0) {
        add(out, " (%s)", state); /* our master's precise step, e.g. "Running (ReplicaAdded)" */
    }
    if (progress != NULL) {
        add(out, " %s", progress);
    }
    if (dst != NULL) {
        add(out, " -> %s", dst);
    }
    settle(out, word, str_of(status, "ErrorMessage", message));
    if (out->state == PROGRESS_RUNNING && message != NULL) {
        add(out, ": %s", message);
    }
}

int progress_wait(struct cli_ctx *ctx, const struct progress_job *job, uint64_t timeout_s)
{
    const struct cli_env *env = ctx->env;
    uint64_t deadline = timeout_s > 0 ? env->now_ms() + timeout_s * 1000u : 0;
    struct progress_status st;
    struct output_progress line;
    char text[384];
    int rv;

    output_progress_init(&line, ctx->out, env->out_tty);
    for (;;) {
        uint64_t now, wait = env->poll_interval_ms;

        rv = job->poll(ctx, job->arg, &st);
        if (rv == CFS_ENOLEADER) {
            /* a leader change in the middle of a long job: keep asking until the deadline */
            st.state = PROGRESS_RUNNING;
            snprintf(st.text, sizeof(st.text), "waiting for a master to answer");
        } else if (rv != 0) {
            output_progress_end(&line);
            return rv;
        }
        snprintf(text, sizeof(text), "%s: %s", job->what, st.text);
        output_progress_update(&line, text);
        if (st.state != PROGRESS_RUNNING) {
            break;
        }
        now = env->now_ms();
        if (deadline != 0 && now >= deadline) {
            output_progress_end(&line);
            return cli_fail(ctx, CFS_ETIMEDOUT,
                            "%s not finished after %" PRIu64 " s (last status: %s)", job->what,
                            timeout_s, st.text);
        }
        if (deadline != 0 && deadline - now < wait) {
            wait = deadline - now;
        }
        env->sleep_ms(wait);
    }
    output_progress_end(&line);
    if (st.state == PROGRESS_FAILED) {
        return cli_fail(ctx, -EIO, "%s failed: %s", job->what, st.text);
    }
    fprintf(ctx->out, "%s succeeded\n", job->what);
    return 0;
}
