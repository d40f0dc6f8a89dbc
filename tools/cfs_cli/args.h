/* Command-line parsing for cfs-cli, table-driven in the manner of Go's cobra/pflag, so the command
 * words, flags and help match CubeFS's cli.
 *
 * A command is a node in a tree (struct args_cmd): a group has subcommands, a leaf has a run
 * callback, its arity and its flags. args_parse() walks argv from the root: words pick
 * subcommands while the current command has them, flags may appear anywhere (before or after the
 * positional arguments), and global flags are accepted at every level. Flag values are checked
 * against their type while parsing, so a command's run callback reads them without errors.
 *
 * Accepted flag forms: --name value, --name=value, -n value, -nvalue, -abc (bools), --bool,
 * --bool=false; "--" ends flag parsing. -h/--help asks for the help of the command reached. */
#ifndef CFS_TOOLS_CFS_CLI_ARGS_H
#define CFS_TOOLS_CFS_CLI_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct cli_ctx;

enum args_type {
    ARGS_BOOL,   /* true/false, 1/0, t/f as Go's strconv.ParseBool */
    ARGS_STRING, /* any text */
    ARGS_INT,    /* signed 64-bit decimal */
    ARGS_UINT,   /* unsigned 64-bit decimal */
    ARGS_FLOAT   /* decimal floating point */
};

struct args_flag {
    const char *name; /* long name, without "--" */
    char shorthand;   /* single-letter form, or 0 */
    enum args_type type;
    const char *def; /* default as text (NULL: "" for strings, false/0 otherwise) */
    const char *help;
};

#define ARGS_FLAG_END                  \
    {                                  \
        NULL, 0, ARGS_BOOL, NULL, NULL \
    }

struct args_cmd {
    const char *name;
    const char *const *aliases; /* NULL-terminated, or NULL */
    const char *usage;          /* the positional part of the usage line, e.g. "[VOLUME] [USER]" */
    const char *summary;        /* one line, shown in lists */
    const char *details;        /* longer help text, or NULL */
    int min_args;
    int max_args;                       /* -1: no upper bound */
    const struct args_flag *flags;      /* ends with ARGS_FLAG_END; may be NULL */
    const struct args_cmd *const *subs; /* NULL-terminated; NULL for a leaf */
    int (*run)(struct cli_ctx *ctx);    /* NULL for a group */
    const void *data;                   /* for run callbacks shared by several commands */
};

#define ARGS_MAX_DEPTH  4
#define ARGS_MAX_POS    16
#define ARGS_MAX_VALUES 64

struct args_value {
    const struct args_flag *flag;
    const char *text; /* points into argv or at a static "true" */
};

struct args_result {
    const struct args_cmd *path[ARGS_MAX_DEPTH]; /* root first */
    size_t depth;
    const struct args_flag *global;
    bool help;
    const char *pos[ARGS_MAX_POS];
    size_t npos;
    struct args_value values[ARGS_MAX_VALUES]; /* the flags given, in order */
    size_t nvalues;
};

/* Parse argv[1..argc-1] (argv[0] is the program). On a usage error returns -EINVAL with errmsg
 * set ("unknown flag: --foo", "volume create: requires at least 2 arg(s), only received 1");
 * r->path then still names the deepest command reached, for its usage hint. */
int args_parse(const struct args_cmd *root, const struct args_flag *global, int argc,
               char *const *argv, struct args_result *r, char *errmsg);

/* The command reached (a leaf, or a group when no subcommand was named). */
const struct args_cmd *args_command(const struct args_result *r);

/* Flag accessors by long name; a flag that was not given yields its default. The name must be
 * one of the command's or the global flags. */
bool args_is_set(const struct args_result *r, const char *name);
const char *args_str(const struct args_result *r, const char *name);
bool args_bool(const struct args_result *r, const char *name);
int64_t args_int(const struct args_result *r, const char *name);
uint64_t args_uint(const struct args_result *r, const char *name);
double args_float(const struct args_result *r, const char *name);

/* The i-th positional argument, or NULL. */
const char *args_pos(const struct args_result *r, size_t i);

/* "cfs-cli volume create" for the command reached. */
void args_command_path(const struct args_result *r, char *buf, size_t size);

/* cobra-style help of the command reached (usage, aliases, subcommands, flags). */
void args_help(FILE *out, const struct args_result *r);

/* Check a tree: names and shorthands unique per command (globals included), defaults valid for
 * their types, leaves runnable, arities sane. For tests. */
int args_check_tree(const struct args_cmd *root, const struct args_flag *global, char *errmsg);

/* Check text against a flag type; errmsg says what was expected. */
int args_check_value(enum args_type type, const char *text, char *errmsg);

/* Go's strconv.ParseBool. */
int args_parse_bool(const char *text, bool *out);

#endif
