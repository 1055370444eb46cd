/* outfile.c - how the trainer writes its outputs (model, checkpoint, training
 * state, JSON summary), and the checks made before training that every one
 * of them can be written and replaces nothing it should not.
 *
 * Every output is written atomically: to "<path>.tmp-<pid>" in the same
 * directory, flushed, fsync'ed, renamed over path, and the directory synced,
 * so a reader (or a kill -9) sees the old file or the new one, never a part. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "train.h"

static char *tmp_name(const char *path)
{
    size_t pl = strlen(path);
    char *tmp = mt_xmalloc(pl + 32);
    snprintf(tmp, pl + 32, "%s.tmp-%ld", path, (long)getpid());
    return tmp;
}

/* Creates the temp file (a regular file of our own, never through a link). */
static int create_tmp(const char *tmp)
{
    unlink(tmp);   /* a stale temp file of an earlier process with our pid */
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    return fd;
}

int mt_outfile_open(mt_outfile *o, const char *path, mt_err *err)
{
    memset(o, 0, sizeof *o);
    o->path = path;
    o->tmp = tmp_name(path);
    int fd = create_tmp(o->tmp);
    if (fd >= 0) o->f = fdopen(fd, "wb");
    if (!o->f) {
        int e = errno;
        if (fd >= 0) {
            close(fd);
            unlink(o->tmp);
        }
        mt_fail(err, MT_E_WRITE, "cannot write %s: cannot create %s: %s", path, o->tmp, strerror(e));
        free(o->tmp);
        o->tmp = NULL;
        return -1;
    }
    o->ok = 1;
    return 0;
}

void mt_outfile_write(mt_outfile *o, const void *p, size_t n)
{
    if (!o->ok || n == 0) return;
    if (fwrite(p, 1, n, o->f) != n) {
        o->ok = 0;
        o->err_no = errno;
    }
}

static void sync_dir(const char *path)
{
    size_t pl = strlen(path);
    char *dir = mt_xmalloc(pl + 2);
    memcpy(dir, path, pl + 1);
    char *slash = strrchr(dir, '/');
    if (slash)
        slash[slash == dir ? 1 : 0] = 0;
    else
        strcpy(dir, ".");
    int fd = open(dir, O_RDONLY);
    if (fd >= 0) {
        (void)fsync(fd);   /* best effort: makes the rename durable */
        close(fd);
    }
    free(dir);
}

int mt_outfile_commit(mt_outfile *o, mt_err *err)
{
    int e = o->err_no;
    if (o->ok && (fflush(o->f) != 0 || fsync(fileno(o->f)) != 0)) {
        o->ok = 0;
        e = errno;
    }
    if (fclose(o->f) != 0 && o->ok) {
        o->ok = 0;
        e = errno;
    }
    o->f = NULL;
    if (o->ok && rename(o->tmp, o->path) != 0) {
        o->ok = 0;
        e = errno;
    }
    int rc = 0;
    if (!o->ok) {
        unlink(o->tmp);
        rc = mt_fail(err, MT_E_WRITE, "cannot write %s: %s", o->path, strerror(e ? e : EIO));
    } else {
        sync_dir(o->path);
    }
    free(o->tmp);
    o->tmp = NULL;
    return rc;
}

int mt_write_atomic(const char *path, const void *data, size_t size, mt_err *err)
{
    mt_outfile o;
    if (mt_outfile_open(&o, path, err)) return -1;
    mt_outfile_write(&o, data, size);
    return mt_outfile_commit(&o, err);
}

/* ---- checks before training ---- */

static int same_file(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

int mt_check_outputs(const mt_path *outs, int n_outs, const mt_path *ins, int n_ins, mt_err *err)
{
    for (int k = 0; k < n_outs; k++) {
        const mt_path *o = &outs[k];
        if (!o->path) continue;
        if (!o->path[0]) return mt_fail(err, MT_E_OUTPUT, "%s: empty path", o->what);
        struct stat st;
        int exists = stat(o->path, &st) == 0;
        if (!exists && errno != ENOENT)
            return mt_fail(err, MT_E_OUTPUT, "%s %s: %s", o->what, o->path, strerror(errno));
        if (exists && !S_ISREG(st.st_mode))
            return mt_fail(err, MT_E_OUTPUT,
                           "%s %s exists and is not a regular file (%s): refusing to replace it; give the path of a "
                           "new or regular file",
                           o->what, o->path,
                           S_ISDIR(st.st_mode)   ? "a directory"
                           : S_ISCHR(st.st_mode) ? "a character device"
                           : S_ISBLK(st.st_mode) ? "a block device"
                           : S_ISFIFO(st.st_mode) ? "a FIFO"
                           : S_ISSOCK(st.st_mode) ? "a socket"
                                                  : "not a regular file");
        if (exists)
            for (int j = 0; j < n_ins; j++) {
                struct stat is;
                if (!ins[j].path || (ins[j].allow_out == k + 1) || stat(ins[j].path, &is) != 0) continue;
                if (same_file(&st, &is))
                    return mt_fail(err, MT_E_OUTPUT, "%s %s is the %s %s: refusing to overwrite an input", o->what,
                                   o->path, ins[j].what, ins[j].path);
            }
        /* two outputs that would replace each other (the same path written twice
         * is allowed only where the caller says so: --checkpoint F -o F) */
        for (int j = 0; j < k; j++) {
            const mt_path *p = &outs[j];
            if (!p->path || (o->allow_out == j + 1)) continue;
            struct stat ps;
            int same = strcmp(p->path, o->path) == 0 || (exists && stat(p->path, &ps) == 0 && same_file(&st, &ps));
            if (same)
                return mt_fail(err, MT_E_OUTPUT, "%s %s is also %s: give them different paths", o->what, o->path,
                               p->what);
        }
        /* the directory exists and takes a temp file as the writer will create it */
        char *tmp = tmp_name(o->path);
        int fd = create_tmp(tmp);
        if (fd < 0) {
            int e = errno;
            mt_fail(err, MT_E_OUTPUT, "%s %s cannot be written: cannot create %s: %s", o->what, o->path, tmp,
                    strerror(e));
            free(tmp);
            return -1;
        }
        close(fd);
        unlink(tmp);
        free(tmp);
    }
    return 0;
}
