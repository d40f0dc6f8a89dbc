#include "tools/cfs_cli/args.h"

#include "common/errors.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define HELP_NAME_PAD 11 /* cobra pads command names in lists to this width */

int args_parse_bool(const char *text, bool *out)
{
    static const char *const truths[] = {"1", "t", "T", "TRUE", "true", "True", NULL};
    static const char *const falses[] = {"0", "f", "F", "FALSE", "false", "False", NULL};

    for (size_t i = 0; truths[i] != NULL; i++) {
        if (strcmp(text, truths[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcmp(text, falses[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return -EINVAL;
}

int args_check_value(enum args_type type, const char *text, char *errmsg)
{
    char *end = NULL;
    bool b;

    errno = 0;
    switch (type) {
    case ARGS_BOOL:
        if (args_parse_bool(text, &b) != 0) {
            errors_set(errmsg, "expected true or false");
            return -EINVAL;
        }
        return 0;
    case ARGS_STRING:
        return 0;
    case ARGS_INT:
        (void)strtoll(text, &end, 10);
        break;
    case ARGS_UINT:
        if (strchr(text, '-') != NULL) {
            errors_set(errmsg, "expected an unsigned integer");
            return -EINVAL;
        }
        (void)strtoull(text, &end, 10);
        break;
    case ARGS_FLOAT:
        (void)strtod(text, &end);
        break;
    }
    if (text[0] == '\0' || end == NULL || *end != '\0' || errno != 0) {
        errors_set(errmsg, "expected %s",
                   type == ARGS_INT    ? "an integer"
                   : type == ARGS_UINT ? "an unsigned integer"
                                       : "a number");
        return -EINVAL;
    }
    return 0;
}

const struct args_cmd *args_command(const struct args_result *r)
{
    return r->path[r->depth - 1];
}

static const struct args_flag *find_in(const struct args_flag *flags, const char *name, size_t len,
                                       char shorthand)
{
    for (const struct args_flag *f = flags; f != NULL && f->name != NULL; f++) {
        if (name != NULL && strlen(f->name) == len && strncmp(f->name, name, len) == 0) {
            return f;
        }
        if (name == NULL && shorthand != 0 && f->shorthand == shorthand) {
            return f;
        }
    }
    return NULL;
}

/* A flag of the current command or a global one; by long name (name, len) or by shorthand. */
static const struct args_flag *find_flag(const struct args_result *r, const char *name, size_t len,
                                         char shorthand)
{
    const struct args_flag *f = find_in(args_command(r)->flags, name, len, shorthand);

    return f != NULL ? f : find_in(r->global, name, len, shorthand);
}

static int set_value(struct args_result *r, const struct args_flag *f, const char *text,
                     char *errmsg)
{
    char why[ERRMSG_SIZE] = "";

    if (args_check_value(f->type, text, why) != 0) {
        errors_set(errmsg, "invalid argument \"%s\" for \"--%s\" flag: %s", text, f->name, why);
        return -EINVAL;
    }
    for (size_t i = 0; i < r->nvalues; i++) {
        if (r->values[i].flag == f) {
            r->values[i].text = text; /* the last one wins, as with pflag */
            return 0;
        }
    }
    if (r->nvalues == ARGS_MAX_VALUES) {
        errors_set(errmsg, "too many flags");
        return -EINVAL;
    }
    r->values[r->nvalues].flag = f;
    r->values[r->nvalues].text = text;
    r->nvalues++;
    return 0;
}

static int long_flag(struct args_result *r, int argc, char *const *argv, int *i, char *errmsg)
{
    const char *name = argv[*i] + 2;
    const char *eq = strchr(name, '=');
    size_t len = eq != NULL ? (size_t)(eq - name) : strlen(name);
    const struct args_flag *f;
    const char *value;

    if (len == 0 || name[0] == '-') {
        errors_set(errmsg, "bad flag syntax: %s", argv[*i]);
        return -EINVAL;
    }
    if (len == 4 && strncmp(name, "help", 4) == 0) {
        r->help = true;
        return 0;
    }
    f = find_flag(r, name, len, 0);
    if (f == NULL) {
        errors_set(errmsg, "unknown flag: --%.*s", (int)len, name);
        return -EINVAL;
    }
    if (eq != NULL) {
        value = eq + 1;
    } else if (f->type == ARGS_BOOL) {
        value = "true";
    } else if (*i + 1 >= argc) {
        errors_set(errmsg, "flag needs an argument: --%s", f->name);
        return -EINVAL;
    } else {
        value = argv[++*i];
    }
    return set_value(r, f, value, errmsg);
}

static int short_flags(struct args_result *r, int argc, char *const *argv, int *i, char *errmsg)
{
    const char *arg = argv[*i];

    for (const char *c = arg + 1; *c != '\0'; c++) {
        const struct args_flag *f;
        const char *rest = c + 1;

        if (*c == 'h') {
            r->help = true;
            continue;
        }
        f = find_flag(r, NULL, 0, *c);
        if (f == NULL) {
            errors_set(errmsg, "unknown shorthand flag: '%c' in %s", *c, arg);
            return -EINVAL;
        }
        if (*rest == '=') {
            return set_value(r, f, rest + 1, errmsg);
        }
        if (f->type == ARGS_BOOL) {
            int rv = set_value(r, f, "true", errmsg);
            if (rv != 0) {
                return rv;
            }
            continue;
        }
        if (*rest != '\0') {
            return set_value(r, f, rest, errmsg);
        }
        if (*i + 1 >= argc) {
            errors_set(errmsg, "flag needs an argument: '%c' in %s", *c, arg);
            return -EINVAL;
        }
        return set_value(r, f, argv[++*i], errmsg);
    }
    return 0;
}

static bool cmd_named(const struct args_cmd *c, const char *word)
{
    if (strcmp(c->name, word) == 0) {
        return true;
    }
    for (const char *const *a = c->aliases; a != NULL && *a != NULL; a++) {
        if (strcmp(*a, word) == 0) {
            return true;
        }
    }
    return false;
}

static int word(struct args_result *r, const char *arg, char *errmsg)
{
    const struct args_cmd *cur = args_command(r);

    if (cur->subs != NULL && r->npos == 0) {
        char path[256];
        for (const struct args_cmd *const *s = cur->subs; *s != NULL; s++) {
            if (cmd_named(*s, arg)) {
                if (r->depth == ARGS_MAX_DEPTH) {
                    break;
                }
                r->path[r->depth++] = *s;
                return 0;
            }
        }
        args_command_path(r, path, sizeof(path));
        errors_set(errmsg, "unknown command \"%s\" for \"%s\"", arg, path);
        return -EINVAL;
    }
    if (r->npos == ARGS_MAX_POS) {
        errors_set(errmsg, "too many arguments");
        return -EINVAL;
    }
    r->pos[r->npos++] = arg;
    return 0;
}

static int check_arity(const struct args_result *r, char *errmsg)
{
    const struct args_cmd *c = args_command(r);
    char path[256];

    if (c->run == NULL || r->help) {
        return 0;
    }
    args_command_path(r, path, sizeof(path));
    if ((int)r->npos < c->min_args) {
        errors_set(errmsg, "%s: requires at least %d arg(s), only received %zu", path, c->min_args,
                   r->npos);
        return -EINVAL;
    }
    if (c->max_args >= 0 && (int)r->npos > c->max_args) {
        errors_set(errmsg, "%s: accepts at most %d arg(s), received %zu", path, c->max_args,
                   r->npos);
        return -EINVAL;
    }
    return 0;
}

int args_parse(const struct args_cmd *root, const struct args_flag *global, int argc,
               char *const *argv, struct args_result *r, char *errmsg)
{
    bool flags_done = false;

    memset(r, 0, sizeof(*r));
    r->path[0] = root;
    r->depth = 1;
    r->global = global;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int rv;

        if (!flags_done && strcmp(a, "--") == 0) {
            flags_done = true;
            continue;
        }
        if (!flags_done && a[0] == '-' && a[1] == '-') {
            rv = long_flag(r, argc, argv, &i, errmsg);
        } else if (!flags_done && a[0] == '-' && a[1] != '\0') {
            rv = short_flags(r, argc, argv, &i, errmsg);
        } else {
            rv = word(r, a, errmsg);
        }
        if (rv != 0) {
            return rv;
        }
    }
    return check_arity(r, errmsg);
}

static const struct args_flag *find_def(const struct args_result *r, const char *name)
{
    size_t len = strlen(name);

    for (size_t i = r->depth; i > 0; i--) {
        const struct args_flag *f = find_in(r->path[i - 1]->flags, name, len, 0);
        if (f != NULL) {
            return f;
        }
    }
    return find_in(r->global, name, len, 0);
}

static const char *value_of(const struct args_result *r, const char *name, bool *given)
{
    const struct args_flag *f;

    for (size_t i = 0; i < r->nvalues; i++) {
        if (strcmp(r->values[i].flag->name, name) == 0) {
            *given = true;
            return r->values[i].text;
        }
    }
    *given = false;
    f = find_def(r, name);
    return f != NULL && f->def != NULL ? f->def : "";
}

bool args_is_set(const struct args_result *r, const char *name)
{
    bool given;

    (void)value_of(r, name, &given);
    return given;
}

const char *args_str(const struct args_result *r, const char *name)
{
    bool given;

    return value_of(r, name, &given);
}

bool args_bool(const struct args_result *r, const char *name)
{
    bool b = false;

    (void)args_parse_bool(args_str(r, name), &b);
    return b;
}

int64_t args_int(const struct args_result *r, const char *name)
{
    return strtoll(args_str(r, name), NULL, 10);
}

uint64_t args_uint(const struct args_result *r, const char *name)
{
    return strtoull(args_str(r, name), NULL, 10);
}

double args_float(const struct args_result *r, const char *name)
{
    return strtod(args_str(r, name), NULL);
}

const char *args_pos(const struct args_result *r, size_t i)
{
    return i < r->npos ? r->pos[i] : NULL;
}

void args_command_path(const struct args_result *r, char *buf, size_t size)
{
    size_t used = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < r->depth && used < size; i++) {
        used +=
            (size_t)snprintf(buf + used, size - used, "%s%s", i == 0 ? "" : " ", r->path[i]->name);
    }
}

static const char *type_name(enum args_type t)
{
    switch (t) {
    case ARGS_STRING:
        return "string";
    case ARGS_INT:
        return "int";
    case ARGS_UINT:
        return "uint";
    case ARGS_FLOAT:
        return "float";
    case ARGS_BOOL:
        break;
    }
    return "";
}

static void flag_left(const struct args_flag *f, char *buf, size_t size)
{
    const char *t = type_name(f->type);

    if (f->shorthand != 0) {
        snprintf(buf, size, "  -%c, --%s%s%s", f->shorthand, f->name, t[0] ? " " : "", t);
    } else {
        snprintf(buf, size, "      --%s%s%s", f->name, t[0] ? " " : "", t);
    }
}

static bool default_shown(const struct args_flag *f)
{
    if (f->def == NULL || f->def[0] == '\0') {
        return false;
    }
    return f->type == ARGS_STRING || (strcmp(f->def, "0") != 0 && strcmp(f->def, "false") != 0);
}

static size_t flags_width(const struct args_flag *flags, size_t width)
{
    char left[128];

    for (const struct args_flag *f = flags; f != NULL && f->name != NULL; f++) {
        flag_left(f, left, sizeof(left));
        if (strlen(left) > width) {
            width = strlen(left);
        }
    }
    return width;
}

static void print_flags(FILE *out, const struct args_flag *flags, size_t width)
{
    char left[128];

    for (const struct args_flag *f = flags; f != NULL && f->name != NULL; f++) {
        flag_left(f, left, sizeof(left));
        fprintf(out, "%-*s   %s", (int)width, left, f->help != NULL ? f->help : "");
        if (default_shown(f)) {
            fprintf(out, f->type == ARGS_STRING ? " (default \"%s\")" : " (default %s)", f->def);
        }
        fputc('\n', out);
    }
}

void args_help(FILE *out, const struct args_result *r)
{
    const struct args_cmd *c = args_command(r);
    char help_text[96];
    const struct args_flag help_flag[] = {
        {"help", 'h', ARGS_BOOL, NULL, help_text},
        ARGS_FLAG_END,
    };
    char path[256];
    size_t width;

    snprintf(help_text, sizeof(help_text), "help for %s", c->name);
    args_command_path(r, path, sizeof(path));
    fprintf(out, "%s\n\nUsage:\n", c->details != NULL ? c->details : c->summary);
    if (c->run != NULL) {
        fprintf(out, "  %s%s%s [flags]\n", path, c->usage != NULL ? " " : "",
                c->usage != NULL ? c->usage : "");
    }
    if (c->subs != NULL) {
        fprintf(out, "  %s [command]\n", path);
    }
    if (c->aliases != NULL) {
        fprintf(out, "\nAliases:\n  %s", c->name);
        for (const char *const *a = c->aliases; *a != NULL; a++) {
            fprintf(out, ", %s", *a);
        }
        fputc('\n', out);
    }
    if (c->subs != NULL) {
        size_t pad = HELP_NAME_PAD;
        for (const struct args_cmd *const *s = c->subs; *s != NULL; s++) {
            if (strlen((*s)->name) + 1 > pad) {
                pad = strlen((*s)->name) + 1;
            }
        }
        fprintf(out, "\nAvailable Commands:\n");
        for (const struct args_cmd *const *s = c->subs; *s != NULL; s++) {
            fprintf(out, "  %-*s %s\n", (int)pad, (*s)->name, (*s)->summary);
        }
    }
    width = flags_width(help_flag, flags_width(c->flags, flags_width(r->global, 0)));
    fprintf(out, "\nFlags:\n");
    print_flags(out, c->flags, width);
    print_flags(out, help_flag, width);
    if (r->global != NULL && r->global[0].name != NULL) {
        fprintf(out, "\nGlobal Flags:\n");
        print_flags(out, r->global, width);
    }
    if (c->subs != NULL) {
        fprintf(out, "\nUse \"%s [command] --help\" for more information about a command.\n", path);
    }
}

static int check_flags(const char *cmd, const struct args_flag *flags,
                       const struct args_flag *global, char *errmsg)
{
    char why[ERRMSG_SIZE];

    for (const struct args_flag *f = flags; f != NULL && f->name != NULL; f++) {
        if (strcmp(f->name, "help") == 0 || f->shorthand == 'h') {
            errors_set(errmsg, "%s: --%s takes the name or shorthand of --help", cmd, f->name);
            return -EINVAL;
        }
        if (f->def != NULL && args_check_value(f->type, f->def, why) != 0) {
            errors_set(errmsg, "%s: --%s default \"%s\": %s", cmd, f->name, f->def, why);
            return -EINVAL;
        }
        for (const struct args_flag *g = f + 1; g->name != NULL; g++) {
            if (strcmp(f->name, g->name) == 0 ||
                (f->shorthand != 0 && f->shorthand == g->shorthand)) {
                errors_set(errmsg, "%s: --%s and --%s clash", cmd, f->name, g->name);
                return -EINVAL;
            }
        }
        if (flags != global && (find_in(global, f->name, strlen(f->name), 0) != NULL ||
                                (f->shorthand != 0 && find_in(global, NULL, 0, f->shorthand)))) {
            errors_set(errmsg, "%s: --%s clashes with a global flag", cmd, f->name);
            return -EINVAL;
        }
    }
    return 0;
}

static int check_cmd(const struct args_cmd *c, const struct args_flag *global, char *errmsg)
{
    int rv;

    if (c->name == NULL || c->summary == NULL) {
        errors_set(errmsg, "a command has no name or summary");
        return -EINVAL;
    }
    if ((c->subs == NULL) == (c->run == NULL)) {
        errors_set(errmsg, "%s: must have either subcommands or a run callback", c->name);
        return -EINVAL;
    }
    if (c->min_args < 0 || (c->max_args >= 0 && c->max_args < c->min_args)) {
        errors_set(errmsg, "%s: bad arity %d..%d", c->name, c->min_args, c->max_args);
        return -EINVAL;
    }
    rv = check_flags(c->name, c->flags, global, errmsg);
    for (const struct args_cmd *const *s = c->subs; rv == 0 && s != NULL && *s != NULL; s++) {
        for (const struct args_cmd *const *t = s + 1; *t != NULL; t++) {
            bool clash = cmd_named(*t, (*s)->name);
            for (const char *const *a = (*s)->aliases; !clash && a != NULL && *a != NULL; a++) {
                clash = cmd_named(*t, *a);
            }
            if (clash) {
                errors_set(errmsg, "%s: subcommands %s and %s clash", c->name, (*s)->name,
                           (*t)->name);
                return -EINVAL;
            }
        }
        rv = check_cmd(*s, global, errmsg);
    }
    return rv;
}

int args_check_tree(const struct args_cmd *root, const struct args_flag *global, char *errmsg)
{
    int rv = check_flags("global", global, global, errmsg);

    return rv != 0 ? rv : check_cmd(root, global, errmsg);
}
