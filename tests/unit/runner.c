/* runner.c - runs the registered unit tests, each in a forked child; see test.h. */
#include <stdarg.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"

typedef struct test_case {
    const char *name;
    const char *file;
    aff_test_fn fn;
} test_case;

static test_case *tests;
static size_t ntests, captests;
static int current_failures;

void aff_test_register(const char *name, const char *file, aff_test_fn fn)
{
    if (ntests == captests) {
        captests = captests ? captests * 2 : 64;
        tests = realloc(tests, captests * sizeof(*tests));
        if (tests == NULL)
            abort();
    }
    tests[ntests++] = (test_case){name, file, fn};
}

void aff_test_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "    %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    current_failures++;
}

static int run_one(const test_case *t)
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return 0;
    }
    if (pid == 0) {
        current_failures = 0;
        t->fn();
        fflush(stderr);
        _exit(current_failures == 0 ? 0 : 1);
    }
    int status = 0;
    if (waitpid(pid, &status, 0) < 0)
        return 0;
    if (WIFSIGNALED(status)) {
        fprintf(stderr, "    killed by signal %d\n", WTERMSIG(status));
        return 0;
    }
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int main(int argc, char **argv)
{
    const char *filter = argc > 1 ? argv[1] : NULL;
    int passed = 0, failed = 0;
    for (size_t i = 0; i < ntests; i++) {
        if (filter != NULL && strstr(tests[i].name, filter) == NULL)
            continue;
        int ok = run_one(&tests[i]);
        printf("%s %s\n", ok ? "ok  " : "FAIL", tests[i].name);
        if (ok)
            passed++;
        else
            failed++;
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 && passed > 0 ? 0 : 1;
}
