#define LOG_TAG "api"

#include "master/api/api_internal.h"

#include "common/log.h"
#include "master/core/master.h"
#include "master/core/workers.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void *api_op_new(struct master *m, struct http_req *r, size_t size, api_op_fn run)
{
    struct api_op *op = calloc(1, size);

    if (op == NULL) {
        http_req_reply_error(r, API_INTERNAL_ERROR, "out of memory");
        return NULL;
    }
    op->m = m;
    op->r = r;
    op->run = run;
    op->code = API_INTERNAL_ERROR;
    snprintf(op->msg, sizeof(op->msg), "operation did not run");
    return op;
}

static void op_run(void *arg)
{
    struct api_op *op = arg;

    op->run(op);
}

static void op_done(void *arg)
{
    struct api_op *op = arg;

    if (op->code == API_SUCCESS) {
        http_req_reply_ok(op->r, op->data);
        op->data = NULL;
    } else {
        http_req_reply_error(op->r, op->code, "%s", op->msg);
    }
    json_decref(op->data);
    free(op);
}

void api_op_submit(struct api_op *op)
{
    int rv = workers_submit(op->m->workers, op_run, op_done, op);

    if (rv != 0) {
        http_req_reply_error(op->r, API_INTERNAL_ERROR, "cannot start the operation: %s",
                             errors_strerror(rv));
        free(op);
    }
}

void api_op_ok(struct api_op *op, json_t *data)
{
    op->code = API_SUCCESS;
    op->msg[0] = '\0';
    json_decref(op->data);
    op->data = data;
}

void api_op_fail(struct api_op *op, int code, const char *fmt, ...)
{
    va_list ap;

    op->code = code;
    va_start(ap, fmt);
    vsnprintf(op->msg, sizeof(op->msg), fmt, ap);
    va_end(ap);
    json_decref(op->data);
    op->data = NULL;
}
