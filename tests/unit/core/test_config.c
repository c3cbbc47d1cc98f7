/* test_config.c - unit tests for src/core/config.c: defaults, aff_config_set bounds,
 * enums, strings and unknown keys, and aff_config_load_file with errors naming
 * FILE:LINE and the key. (Lives in tests/unit/track/ only because tests/unit/core/ has
 * another owner; it tests core/config.) */
#include <unistd.h>

#include "core/config.h"
#include "core/err.h"
#include "../store/store_fixture.h"
#include "../test.h"

static int set(aff_config *c, const char *key, const char *value, char *err)
{
    err[0] = '\0';
    return aff_config_set(c, key, value, err, 256);
}

AFF_TEST(config_defaults)
{
    aff_config c;
    memset(&c, 0x5a, sizeof(c));
    aff_config_defaults(&c);
    AFF_CHECK_STR(c.listen, "127.0.0.1:8080");
    AFF_CHECK_STR(c.data_dir, "./data");
    AFF_CHECK_STR(c.public_url, "");
    AFF_CHECK_INT(c.workers, 1);
    AFF_CHECK_INT(c.read_threads, 2);
    AFF_CHECK_INT(c.click_durability, AFF_DURABILITY_COMMIT);
    AFF_CHECK_INT(c.group_commit_ms, 2);
    AFF_CHECK_INT(c.max_batch, 1024);
    AFF_CHECK_INT(c.queue_limit, 100000);
    AFF_CHECK_INT(c.unique_window_hours, 24);
    AFF_CHECK_STR(c.trusted_proxies, "");
    AFF_CHECK_INT(c.max_body_bytes, 65536);
    AFF_CHECK_INT(c.node_id, 0);
    AFF_CHECK_INT(c.log_level, 1); /* info */
    AFF_CHECK_INT(c.synchronous, AFF_SYNC_FULL);
    AFF_CHECK_INT(c.shutdown_timeout_ms, 10000);
}

AFF_TEST(config_set_int_bounds)
{
    aff_config c;
    aff_config_defaults(&c);
    char err[256];
    AFF_CHECK_INT(set(&c, "workers", "64", err), AFF_OK);
    AFF_CHECK_INT(c.workers, 64);
    AFF_CHECK_INT(set(&c, "workers", "1", err), AFF_OK);
    AFF_CHECK_INT(c.workers, 1);
    AFF_CHECK_INT(set(&c, "workers", "0", err), AFF_EINVAL);
    AFF_CHECK(strstr(err, "workers") != NULL);
    AFF_CHECK_INT(set(&c, "workers", "65", err), AFF_EINVAL);
    AFF_CHECK_INT(c.workers, 1); /* a refused value leaves the old one */
    AFF_CHECK_INT(set(&c, "node_id", "255", err), AFF_OK);
    AFF_CHECK_INT(c.node_id, 255);
    AFF_CHECK_INT(set(&c, "node_id", "256", err), AFF_EINVAL);
    AFF_CHECK_INT(set(&c, "node_id", "-1", err), AFF_EINVAL);
    AFF_CHECK_INT(set(&c, "unique_window_hours", "0", err), AFF_OK);
    AFF_CHECK_INT(c.unique_window_hours, 0);
    AFF_CHECK_INT(set(&c, "unique_window_hours", "8761", err), AFF_EINVAL);
    AFF_CHECK_INT(set(&c, "max_body_bytes", "1023", err), AFF_EINVAL);
    AFF_CHECK_INT(set(&c, "max_body_bytes", "16777216", err), AFF_OK);
    AFF_CHECK_INT(c.max_body_bytes, 16777216);
    AFF_CHECK_INT(set(&c, "queue_limit", "10000000", err), AFF_OK);
    AFF_CHECK_INT(set(&c, "queue_limit", "15", err), AFF_EINVAL);
    AFF_CHECK_INT(set(&c, "shutdown_timeout_ms", "600001", err), AFF_EINVAL);
}

AFF_TEST(config_set_int_syntax)
{
    aff_config c;
    aff_config_defaults(&c);
    char err[256];
    static const char *const bad[] = {"", "abc", "4x", "4.0", "0x10", "99999999999999999999", "2147483649", "4 4"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = set(&c, "workers", bad[i], err);
        if (rc != AFF_EINVAL)
            aff_test_fail(__FILE__, __LINE__, "workers = \"%s\": rc %d, want AFF_EINVAL", bad[i], rc);
        else if (strstr(err, "workers") == NULL)
            aff_test_fail(__FILE__, __LINE__, "workers = \"%s\": message \"%s\" does not name the key", bad[i], err);
    }
    AFF_CHECK_INT(c.workers, 1);
}

AFF_TEST(config_set_enums)
{
    aff_config c;
    aff_config_defaults(&c);
    char err[256];
    AFF_CHECK_INT(set(&c, "click_durability", "async", err), AFF_OK);
    AFF_CHECK_INT(c.click_durability, AFF_DURABILITY_ASYNC);
    AFF_CHECK_INT(set(&c, "click_durability", "commit", err), AFF_OK);
    AFF_CHECK_INT(c.click_durability, AFF_DURABILITY_COMMIT);
    AFF_CHECK_INT(set(&c, "click_durability", "ASYNC", err), AFF_EINVAL);
    AFF_CHECK_INT(set(&c, "click_durability", "", err), AFF_EINVAL);
    AFF_CHECK_INT(set(&c, "click_durability", "1", err), AFF_EINVAL);
    AFF_CHECK(strstr(err, "click_durability") != NULL);
    AFF_CHECK_INT(set(&c, "log_level", "debug", err), AFF_OK);
    AFF_CHECK_INT(c.log_level, 0);
    AFF_CHECK_INT(set(&c, "log_level", "error", err), AFF_OK);
    AFF_CHECK_INT(c.log_level, 3);
    AFF_CHECK_INT(set(&c, "log_level", "trace", err), AFF_EINVAL);
    AFF_CHECK_INT(c.log_level, 3);
    AFF_CHECK_INT(set(&c, "synchronous", "normal", err), AFF_OK);
    AFF_CHECK_INT(c.synchronous, AFF_SYNC_NORMAL);
    AFF_CHECK_INT(set(&c, "synchronous", "off", err), AFF_EINVAL);
}

AFF_TEST(config_set_strings_and_keys)
{
    aff_config c;
    aff_config_defaults(&c);
    char err[256];
    /* dashes and underscores name the same key */
    AFF_CHECK_INT(set(&c, "read-threads", "5", err), AFF_OK);
    AFF_CHECK_INT(c.read_threads, 5);
    AFF_CHECK_INT(set(&c, "public-url", "https://t.example", err), AFF_OK);
    AFF_CHECK_STR(c.public_url, "https://t.example");
    AFF_CHECK(aff_config_has_key("click-durability"));
    AFF_CHECK(aff_config_has_key("data"));
    AFF_CHECK(!aff_config_has_key("data_dir"));
    AFF_CHECK(!aff_config_has_key("Workers"));
    /* unknown keys */
    AFF_CHECK_INT(set(&c, "nope", "1", err), AFF_EINVAL);
    AFF_CHECK(strstr(err, "nope") != NULL);
    AFF_CHECK_INT(set(&c, "", "1", err), AFF_EINVAL);
    char longkey[200];
    memset(longkey, 'w', sizeof(longkey) - 1);
    longkey[sizeof(longkey) - 1] = '\0';
    AFF_CHECK_INT(set(&c, longkey, "1", err), AFF_EINVAL);
    /* string bounds: listen holds 127 bytes */
    char s[200];
    memset(s, 'a', 127);
    s[127] = '\0';
    AFF_CHECK_INT(set(&c, "listen", s, err), AFF_OK);
    AFF_CHECK_INT(strlen(c.listen), 127);
    memset(s, 'b', 128);
    s[128] = '\0';
    AFF_CHECK_INT(set(&c, "listen", s, err), AFF_EINVAL);
    AFF_CHECK(strstr(err, "listen") != NULL);
    AFF_CHECK(c.listen[0] == 'a'); /* unchanged, not truncated */
    AFF_CHECK_INT(set(&c, "trusted_proxies", "10.0.0.0/8, 192.168.1.1", err), AFF_OK);
    AFF_CHECK_STR(c.trusted_proxies, "10.0.0.0/8, 192.168.1.1");
}

/* Write text to dir/name; the path goes to path. */
static int write_file(const char *dir, const char *name, const char *text, char *path, size_t cap)
{
    snprintf(path, cap, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return -1;
    fputs(text, f);
    fclose(f);
    return 0;
}

AFF_TEST(config_load_file_ok)
{
    char dir[256], path[512], err[512] = "";
    AFF_CHECK_INT(aff_test_mkdtemp(dir, sizeof(dir)), 0);
    AFF_CHECK_INT(write_file(dir, "a.conf",
                             "# afftrack\n"
                             "\n"
                             "   # indented comment\n"
                             "workers = 4\n"
                             "click-durability=async\r\n"
                             "\tlisten =  0.0.0.0:9000  \n"
                             "public_url = http://x.example/a=b\n"
                             "node_id = 9", /* no final newline */
                             path, sizeof(path)),
                  0);
    aff_config c;
    aff_config_defaults(&c);
    AFF_CHECK_INT(aff_config_load_file(&c, path, err, sizeof(err)), AFF_OK);
    AFF_CHECK_INT(c.workers, 4);
    AFF_CHECK_INT(c.click_durability, AFF_DURABILITY_ASYNC);
    AFF_CHECK_STR(c.listen, "0.0.0.0:9000");
    AFF_CHECK_STR(c.public_url, "http://x.example/a=b"); /* only the first '=' splits */
    AFF_CHECK_INT(c.node_id, 9);
    AFF_CHECK_INT(c.read_threads, 2); /* untouched keys keep their defaults */
    aff_test_rm_tree(dir);
}

/* Load text and expect AFF_EINVAL with an error that starts with "PATH:LINE: " and
 * contains want. */
static void expect_load_error(const char *file, int line, const char *dir, const char *text, int want_line,
                              const char *want)
{
    char path[512], err[512] = "", prefix[600];
    if (write_file(dir, "bad.conf", text, path, sizeof(path)) != 0) {
        aff_test_fail(file, line, "cannot write %s", path);
        return;
    }
    aff_config c;
    aff_config_defaults(&c);
    int rc = aff_config_load_file(&c, path, err, sizeof(err));
    snprintf(prefix, sizeof(prefix), "%s:%d: ", path, want_line);
    if (rc != AFF_EINVAL)
        aff_test_fail(file, line, "rc %d, want AFF_EINVAL (err \"%s\")", rc, err);
    else if (strncmp(err, prefix, strlen(prefix)) != 0 || strstr(err, want) == NULL)
        aff_test_fail(file, line, "error \"%s\", want \"%s...%s...\"", err, prefix, want);
}
#define EXPECT_LOAD_ERROR(dir, text, want_line, want) expect_load_error(__FILE__, __LINE__, dir, text, want_line, want)

AFF_TEST(config_load_file_errors_name_file_line_key)
{
    char dir[256];
    AFF_CHECK_INT(aff_test_mkdtemp(dir, sizeof(dir)), 0);
    EXPECT_LOAD_ERROR(dir, "# c\nworkers = 2\nworkers = 0\n", 3, "workers: ");
    EXPECT_LOAD_ERROR(dir, "workers = 2\nbogus_key = 1\n", 2, "bogus_key: ");
    EXPECT_LOAD_ERROR(dir, "\n\nlog_level = loud\n", 3, "log_level: ");
    EXPECT_LOAD_ERROR(dir, "workers 4\n", 1, "expected");
    EXPECT_LOAD_ERROR(dir, "node_id = twelve\n", 1, "node_id: ");
    EXPECT_LOAD_ERROR(dir, "workers = 4 # four\n", 1, "workers: ");
    /* a line longer than the reader's buffer is an error, not two lines */
    static char longline[5000];
    memset(longline, 0, sizeof(longline));
    memcpy(longline, "# ok\npublic_url = ", 18);
    memset(longline + 18, 'a', 3000);
    strcat(longline, "\n");
    EXPECT_LOAD_ERROR(dir, longline, 2, "longer");

    /* a missing file names the file */
    char path[512], err[512] = "";
    snprintf(path, sizeof(path), "%s/missing.conf", dir);
    aff_config c;
    aff_config_defaults(&c);
    AFF_CHECK_INT(aff_config_load_file(&c, path, err, sizeof(err)), AFF_EIO);
    AFF_CHECK(strncmp(err, path, strlen(path)) == 0);
    aff_test_rm_tree(dir);
}

AFF_TEST(config_print_example_lists_every_key)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    AFF_CHECK(f != NULL);
    if (f == NULL)
        return;
    aff_config_print_example(f);
    fclose(f);
    static const char *const keys[] = {"listen",          "data",
                                       "public_url",      "workers",
                                       "read_threads",    "click_durability",
                                       "group_commit_ms", "max_batch",
                                       "queue_limit",     "unique_window_hours",
                                       "trusted_proxies", "max_body_bytes",
                                       "node_id",         "log_level",
                                       "synchronous",     "shutdown_timeout_ms"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        char line[64];
        snprintf(line, sizeof(line), "\n# %s = ", keys[i]);
        if (strstr(buf, line) == NULL)
            aff_test_fail(__FILE__, __LINE__, "example config lacks \"# %s = \"", keys[i]);
        AFF_CHECK(aff_config_has_key(keys[i]));
    }
    free(buf);
}

AFF_TEST(config_nul_byte_is_named)
{
    char path[] = "/tmp/afftrack-conf-XXXXXX";
    int fd = mkstemp(path);
    AFF_CHECK(fd >= 0);
    static const char text[] = "workers = 4\0junk\nnode_id = 1\n";
    AFF_CHECK(write(fd, text, sizeof(text) - 1) == (ssize_t)(sizeof(text) - 1));
    close(fd);
    aff_config c;
    aff_config_defaults(&c);
    char err[256];
    AFF_CHECK_INT(aff_config_load_file(&c, path, err, sizeof(err)), AFF_EINVAL);
    AFF_CHECK(strstr(err, ":1: NUL byte") != NULL);
    unlink(path);
}
