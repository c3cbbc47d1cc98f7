/* test_pool.c - track/pool.c: the writer thread's batches. A job that fails after it
 * wrote must leave nothing behind (the fast path replays the batch with savepoints),
 * the other jobs of its batch must still commit, and every job gets exactly one done(). */
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "core/clock.h"
#include "track/pool.h"
#include "../store/store_fixture.h"
#include "../test.h"

typedef struct test_job {
    aff_job job;
    const char *key; /* meta key to write, or NULL */
    int fail;        /* return AFF_EINVAL after writing */
    int done_count;
} test_job;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int finished;

static int run_test_job(aff_job *job, aff_ctx *ctx)
{
    test_job *t = (test_job *)job;
    if (t->key != NULL) {
        int rc = aff_store_meta_put(ctx->st, t->key, "1", 1);
        if (rc != 0)
            return rc;
    }
    return t->fail ? AFF_EINVAL : 0;
}

static void done_test_job(aff_job *job)
{
    test_job *t = (test_job *)job;
    pthread_mutex_lock(&mu);
    t->done_count++;
    finished++;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
}

static int has_key(const char *dir, const char *key)
{
    aff_store *st;
    char buf[8];
    size_t len;
    AFF_CHECK_INT(aff_store_sqlite_open(dir, AFF_STORE_READER, 1, &st), AFF_OK);
    int rc = aff_store_meta_get(st, key, buf, sizeof(buf), &len);
    aff_store_close(st);
    return rc == 0;
}

/* A fresh data dir under a new temp dir (dir) and a default config for it in cfg. */
static int writer_dirs(char *dir, size_t cap, char *data, size_t data_cap, aff_config *cfg)
{
    if (aff_test_mkdtemp(dir, cap) != 0)
        return -1;
    snprintf(data, data_cap, "%s/data", dir);
    aff_config_defaults(cfg);
    snprintf(cfg->data_dir, sizeof(cfg->data_dir), "%s", data);
    return 0;
}

AFF_TEST(pool_failed_job_leaves_nothing_and_others_commit)
{
    char dir[256], data[300];
    static aff_config cfg;
    if (writer_dirs(dir, sizeof(dir), data, sizeof(data), &cfg) != 0)
        return;
    cfg.group_commit_ms = 50; /* async-style jobs linger so that they share batches */
    static aff_click_id_key key = {.node_id = 1};
    AFF_CHECK_INT(aff_writer_start(&cfg, &key), AFF_OK);
    enum { ROUNDS = 20 };
    static test_job jobs[ROUNDS][4];
    char names[ROUNDS][4][16];
    for (int r = 0; r < ROUNDS; r++) {
        for (int k = 0; k < 4; k++) {
            snprintf(names[r][k], sizeof(names[r][k]), "k%d-%d", r, k);
            test_job *t = &jobs[r][k];
            t->job.run = run_test_job;
            t->job.done = done_test_job;
            t->key = k == 2 ? NULL : names[r][k]; /* job 2 fails without writing */
            t->fail = k == 0 || k == 2;           /* job 0 writes, then fails */
        }
        for (int k = 0; k < 4; k++)
            AFF_CHECK_INT(aff_writer_submit(&jobs[r][k].job), AFF_OK);
    }
    pthread_mutex_lock(&mu);
    while (finished < ROUNDS * 4)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
    aff_pool_stats st;
    aff_writer_stats(&st);
    AFF_CHECK(st.batches < (uint64_t)ROUNDS * 4); /* some jobs did share a batch */
    aff_writer_stop();
    for (int r = 0; r < ROUNDS; r++) {
        AFF_CHECK_INT(jobs[r][0].job.rc, AFF_EINVAL);
        AFF_CHECK_INT(jobs[r][1].job.rc, AFF_OK);
        AFF_CHECK_INT(jobs[r][2].job.rc, AFF_EINVAL);
        AFF_CHECK_INT(jobs[r][3].job.rc, AFF_OK);
        for (int k = 0; k < 4; k++)
            AFF_CHECK_INT(jobs[r][k].done_count, 1);
        AFF_CHECK(!has_key(data, names[r][0])); /* written, then undone */
        AFF_CHECK(has_key(data, names[r][1]));
        AFF_CHECK(has_key(data, names[r][3]));
    }
    aff_test_rm_tree(dir);
}

/* The writer prunes expired click_seen rows (track/seen.h) after a batch. */
AFF_TEST(pool_writer_prunes_expired_click_seen_rows)
{
    const int64_t now = 1714564800000LL, day = 86400000LL;
    aff_test_store ts;
    if (aff_test_store_open(&ts) != 0)
        return;
    AFF_CHECK_INT(aff_store_click_seen_put(ts.st, 1, 11, now - 3 * day), AFF_OK); /* expired */
    AFF_CHECK_INT(aff_store_click_seen_put(ts.st, 1, 12, now - 1000), AFF_OK);    /* live */
    aff_store_close(ts.st);
    ts.st = NULL;
    aff_clock_set_fake(now);
    static aff_config cfg;
    aff_config_defaults(&cfg);
    snprintf(cfg.data_dir, sizeof(cfg.data_dir), "%s", ts.path);
    static aff_click_id_key key = {.node_id = 1};
    AFF_CHECK_INT(aff_writer_start(&cfg, &key), AFF_OK);
    static test_job job = {.job = {.run = run_test_job, .done = done_test_job}, .key = "k"};
    pthread_mutex_lock(&mu);
    finished = 0;
    pthread_mutex_unlock(&mu);
    AFF_CHECK_INT(aff_writer_submit(&job.job), AFF_OK);
    pthread_mutex_lock(&mu);
    while (finished < 1)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
    aff_writer_stop(); /* joins the writer: its step after the batch has run */
    aff_pool_stats st;
    aff_writer_stats(&st);
    AFF_CHECK_INT(st.seen_pruned, 1);
    AFF_CHECK_INT(aff_store_sqlite_open(ts.path, AFF_STORE_WRITER, 1, &ts.st), AFF_OK);
    int64_t ms;
    AFF_CHECK_INT(aff_store_click_seen_get(ts.st, 1, 11, &ms), AFF_ENOTFOUND);
    AFF_CHECK_INT(aff_store_click_seen_get(ts.st, 1, 12, &ms), AFF_OK);
    aff_test_store_close(&ts);
    aff_clock_set_fake(0);
}

/* The done-flush hook (aff_pool_set_done_flush) runs once per batch, after done() has
 * run for every job of it: a batch submitted as one list is handed over whole, which is
 * what lets net/http.c wake a loop once per batch. */
static int flushes, partial_flushes, whole_flushes;

static void count_flush(void)
{
    pthread_mutex_lock(&mu);
    flushes++;
    if (finished == 8 && whole_flushes == 0)
        whole_flushes++; /* the batch of 8 (a later maintenance batch sees 8 too) */
    else if (finished > 0)
        partial_flushes++;
    pthread_mutex_unlock(&mu);
}

AFF_TEST(pool_done_flush_runs_once_per_batch_after_its_dones)
{
    char dir[256], data[300];
    static aff_config cfg;
    if (writer_dirs(dir, sizeof(dir), data, sizeof(data), &cfg) != 0)
        return;
    static aff_click_id_key key = {.node_id = 1};
    pthread_mutex_lock(&mu);
    finished = 0;
    pthread_mutex_unlock(&mu);
    aff_pool_set_done_flush(count_flush);
    AFF_CHECK_INT(aff_writer_start(&cfg, &key), AFF_OK);
    static test_job jobs[8];
    for (int k = 0; k < 8; k++) {
        jobs[k] = (test_job){.job = {.run = run_test_job, .done = done_test_job}};
        jobs[k].job.next = k < 7 ? &jobs[k + 1].job : NULL;
    }
    AFF_CHECK_INT(aff_writer_submit_list(&jobs[0].job, 8), AFF_OK);
    aff_writer_stop(); /* runs every queued job: all 8 are done when it returns */
    aff_pool_set_done_flush(NULL);
    aff_pool_stats st;
    aff_writer_stats(&st);
    AFF_CHECK_INT(finished, 8);
    AFF_CHECK_INT(whole_flushes, 1);
    AFF_CHECK_INT(partial_flushes, 0);
    AFF_CHECK_INT((uint64_t)flushes, st.batches);
    aff_test_rm_tree(dir);
}

/* The nice value of this process's first thread named comm, or -100 when there is none. */
static int thread_nice(const char *comm)
{
    int nice = -100;
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    while (d != NULL && nice == -100 && (e = readdir(d)) != NULL) {
        char path[300], name[32] = "", stat[1024];
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "/proc/self/task/%s/comm", e->d_name);
        FILE *f = fopen(path, "r");
        if (f == NULL)
            continue;
        if (fgets(name, sizeof(name), f) != NULL)
            name[strcspn(name, "\n")] = '\0';
        fclose(f);
        if (strcmp(name, comm) != 0)
            continue;
        snprintf(path, sizeof(path), "/proc/self/task/%s/stat", e->d_name);
        if ((f = fopen(path, "r")) == NULL)
            continue;
        size_t n = fread(stat, 1, sizeof(stat) - 1, f);
        fclose(f);
        stat[n] = '\0';
        const char *p = strrchr(stat, ')'); /* then: state ppid ... priority nice (the 17th) */
        for (int field = 0; p != NULL && field < 17; field++)
            p = strchr(p + 1, ' ');
        if (p != NULL)
            nice = (int)strtol(p + 1, NULL, 10);
    }
    if (d != NULL)
        closedir(d);
    return nice;
}

AFF_TEST(pool_writer_and_readers_run_background_nice_steps_nicer)
{
    char dir[256], data[300];
    static aff_config cfg;
    if (writer_dirs(dir, sizeof(dir), data, sizeof(data), &cfg) != 0)
        return;
    cfg.background_nice = 7;
    cfg.read_threads = 2;
    int base = getpriority(PRIO_PROCESS, 0);
    int want = base + 7 > 19 ? 19 : base + 7;
    static aff_click_id_key key = {.node_id = 1};
    AFF_CHECK_INT(aff_writer_start(&cfg, &key), AFF_OK);
    AFF_CHECK_INT(aff_readers_start(&cfg, &key), AFF_OK);
    /* Each thread sets its own value when it starts: wait for them (at most 2 s). */
    for (int i = 0; i < 200 && (thread_nice("aff-writer") != want || thread_nice("aff-reader") != want); i++)
        nanosleep(&(struct timespec){0, 10 * 1000000L}, NULL);
    AFF_CHECK_INT(thread_nice("aff-writer"), want);
    AFF_CHECK_INT(thread_nice("aff-reader"), want);
    AFF_CHECK_INT(getpriority(PRIO_PROCESS, 0), base); /* the calling thread (a loop's) keeps its own */
    aff_readers_stop();
    aff_writer_stop();
    aff_test_rm_tree(dir);
}
