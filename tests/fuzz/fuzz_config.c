/*
 * fuzz_config.c - the config file ("key = value" lines, '#' comments):
 * aff_config_load_file (core/config.h). It reads a path, so each input is written to
 * one temporary file (made once per process under $TMPDIR, removed at exit).
 *
 * Checks: the return is 0 or AFF_EINVAL (never AFF_EIO: the file exists); an error
 * message is NUL-terminated and starts with "PATH:LINE: "; after an accepted file every
 * string setting is NUL-terminated within its buffer and can be set again from its own
 * value through aff_config_set, every integer likewise (so it is within its bounds), and
 * the enumerations hold one of their values.
 */
#include "fuzz.h"

#include <unistd.h>

#include "core/config.h"
#include "core/err.h"
#include "core/log.h"

static char path[512];

static void remove_file(void)
{
    if (path[0] != '\0')
        unlink(path);
}

static void make_file(void)
{
    const char *dir = getenv("TMPDIR");
    snprintf(path, sizeof(path), "%s/afftrack-fuzz-config-XXXXXX", dir != NULL && dir[0] != '\0' ? dir : "/tmp");
    int fd = mkstemp(path);
    FUZZ_CHECK(fd >= 0);
    close(fd);
    atexit(remove_file);
}

static void check_str(const char *field, size_t cap)
{
    FUZZ_CHECK(memchr(field, '\0', cap) != NULL);
}

static void check_int_again(const char *key, int v)
{
    aff_config c;
    char value[32], err[256];
    aff_config_defaults(&c);
    snprintf(value, sizeof(value), "%d", v);
    FUZZ_CHECK(aff_config_set(&c, key, value, err, sizeof(err)) == AFF_OK);
}

static void check_str_again(const char *key, const char *v)
{
    aff_config c;
    char err[256];
    aff_config_defaults(&c);
    FUZZ_CHECK(aff_config_set(&c, key, v, err, sizeof(err)) == AFF_OK);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (path[0] == '\0')
        make_file();
    FILE *f = fopen(path, "wb");
    FUZZ_CHECK(f != NULL);
    FUZZ_CHECK(size == 0 || fwrite(data, 1, size, f) == size);
    FUZZ_CHECK(fclose(f) == 0);

    aff_config c;
    aff_config_defaults(&c);
    char err[512];
    memset(err, 'x', sizeof(err));
    int rc = aff_config_load_file(&c, path, err, sizeof(err));
    FUZZ_CHECK(rc == AFF_OK || rc == AFF_EINVAL);
    if (rc != AFF_OK) {
        size_t pn = strlen(path);
        FUZZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL);
        FUZZ_CHECK(strncmp(err, path, pn) == 0 && err[pn] == ':');
        const char *p = err + pn + 1;
        FUZZ_CHECK(*p >= '1' && *p <= '9');
        while (*p >= '0' && *p <= '9')
            p++;
        FUZZ_CHECK(p[0] == ':' && p[1] == ' ');
        return 0;
    }
    check_str(c.listen, sizeof(c.listen));
    check_str(c.data_dir, sizeof(c.data_dir));
    check_str(c.public_url, sizeof(c.public_url));
    check_str(c.trusted_proxies, sizeof(c.trusted_proxies));
    check_str_again("listen", c.listen);
    check_str_again("data", c.data_dir);
    check_str_again("public_url", c.public_url);
    check_str_again("trusted_proxies", c.trusted_proxies);
    check_int_again("workers", c.workers);
    check_int_again("read_threads", c.read_threads);
    check_int_again("group_commit_ms", c.group_commit_ms);
    check_int_again("max_batch", c.max_batch);
    check_int_again("queue_limit", c.queue_limit);
    check_int_again("unique_window_hours", c.unique_window_hours);
    check_int_again("max_body_bytes", c.max_body_bytes);
    check_int_again("node_id", c.node_id);
    check_int_again("shutdown_timeout_ms", c.shutdown_timeout_ms);
    FUZZ_CHECK(c.click_durability == AFF_DURABILITY_COMMIT || c.click_durability == AFF_DURABILITY_ASYNC);
    FUZZ_CHECK(c.synchronous == AFF_SYNC_FULL || c.synchronous == AFF_SYNC_NORMAL);
    FUZZ_CHECK(c.log_level >= AFF_LOG_DEBUG && c.log_level <= AFF_LOG_ERROR);
    return 0;
}
