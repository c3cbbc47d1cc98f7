/*
 * store_fixture.h - a throw-away SQLite store for unit tests: a mkdtemp directory, a
 * writer connection on it, and removal of the whole directory afterwards.
 * Owns: nothing beyond the directory it makes. Header-only (static inline) so each
 * test file that needs a store gets its own copy without a shared object.
 */
#ifndef AFF_TEST_STORE_FIXTURE_H
#define AFF_TEST_STORE_FIXTURE_H

#include <dirent.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "store/store.h"

typedef struct aff_test_store {
    char dir[256];  /* the mkdtemp directory */
    char path[300]; /* the store directory inside it (created by the open) */
    aff_store *st;
} aff_test_store;

/* Remove path and, when it is a directory, everything below it (no symlinks followed). */
static inline void aff_test_rm_tree(const char *path)
{
    struct stat sb;
    if (path[0] == '\0' || lstat(path, &sb) != 0)
        return;
    if (S_ISDIR(sb.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *e;
        while (d != NULL && (e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char child[1024];
            if ((size_t)snprintf(child, sizeof(child), "%s/%s", path, e->d_name) < sizeof(child))
                aff_test_rm_tree(child);
        }
        if (d != NULL)
            closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

/* Make a temporary directory; returns 0 or -1. */
static inline int aff_test_mkdtemp(char *buf, size_t cap)
{
    const char *tmp = getenv("TMPDIR");
    if (buf == NULL || cap < 32)
        return -1;
    snprintf(buf, cap, "%s/afftrack-unit-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    return mkdtemp(buf) != NULL ? 0 : -1;
}

/* Open a writer store in a fresh directory. Returns the open's rc (0 ok). */
static inline int aff_test_store_open(aff_test_store *ts)
{
    memset(ts, 0, sizeof(*ts));
    if (aff_test_mkdtemp(ts->dir, sizeof(ts->dir)) != 0)
        return AFF_EIO;
    snprintf(ts->path, sizeof(ts->path), "%s/data", ts->dir);
    return aff_store_sqlite_open(ts->path, AFF_STORE_WRITER, 1, &ts->st);
}

/* Run sql on the database file of the store in dir through a connection of its own (a
 * test that edits a store behind the engine's back, or rewinds its schema). 0, or -1
 * with SQLite's message printed. */
static inline int aff_test_store_exec_raw(const char *dir, const char *sql)
{
    char path[400];
    snprintf(path, sizeof(path), "%s/afftrack.db", dir);
    sqlite3 *db = NULL;
    char *msg = NULL;
    int rc = sqlite3_open(path, &db) == SQLITE_OK ? sqlite3_exec(db, sql, NULL, NULL, &msg) : SQLITE_CANTOPEN;
    if (rc != SQLITE_OK)
        fprintf(stderr, "%s: %s\n", sql, msg ? msg : db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_free(msg);
    sqlite3_close(db);
    return rc == SQLITE_OK ? 0 : -1;
}

static inline void aff_test_store_close(aff_test_store *ts)
{
    if (ts->st != NULL)
        aff_store_close(ts->st);
    ts->st = NULL;
    aff_test_rm_tree(ts->dir);
}

#endif
