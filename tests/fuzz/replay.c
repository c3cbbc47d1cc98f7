/*
 * replay.c - a main() for fuzz targets built without libFuzzer (gcc, CI): feeds every
 * file named on the command line (directories are read one level deep, in name order)
 * to LLVMFuzzerTestOneInput, then a fixed number of deterministic mutations of each
 * (bit flips, byte changes, token insertions, deletions, duplications, truncations and
 * splices with other seeds), so a replay is a real regression check over the seeds'
 * neighbourhood yet finishes in seconds. The same binary and arguments always run the
 * same inputs.
 *
 * Usage: fuzz_NAME [-n MUTATIONS_PER_SEED] FILE_OR_DIR...   (default 300, or
 * $FUZZ_REPLAY_MUTATIONS). Prints "NAME: S seeds, R inputs, ok" and exits 0.
 * On a crash or broken invariant (abort(), a sanitizer report) it writes the input to
 * $FUZZ_CRASH_DIR (default ".") as crash-NAME-HASH, prints that path and the input's
 * first bytes in hex to stderr, and the process dies as it would have.
 * Owns: nothing in afftrack; no project code beyond the target is called.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));
void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

#define REPLAY_MAX_INPUT (64 * 1024)

typedef struct seed {
    char *name;
    uint8_t *data;
    size_t size;
} seed;

static seed *seeds;
static size_t nseeds, seeds_cap;
static const char *target = "fuzz";

/* The input being run, for the crash reporter (signal context: plain globals). */
static const uint8_t *volatile cur_data;
static volatile size_t cur_size;
static volatile sig_atomic_t reported;

static uint64_t rng_state;

static uint64_t rng(void)
{
    /* xorshift64*: tiny, deterministic, good enough to pick mutations. */
    uint64_t x = rng_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng_state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

static size_t below(size_t n)
{
    return n == 0 ? 0 : (size_t)(rng() % n);
}

static uint64_t fnv1a(const void *p, size_t n, uint64_t h)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

/* --- crash reporting (async-signal-safe: write(2) and open(2) only) --- */

static void put(int fd, const char *s)
{
    size_t n = strlen(s);
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

static void hex64(char *out, uint64_t v)
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 15; i >= 0; i--) {
        out[i] = digits[v & 15];
        v >>= 4;
    }
    out[16] = '\0';
}

static void report_crash(void)
{
    if (reported)
        return;
    reported = 1;
    const uint8_t *d = cur_data;
    size_t n = cur_size;
    if (d == NULL)
        return;
    char path[1024], hash[17];
    const char *dir = getenv("FUZZ_CRASH_DIR");
    if (dir == NULL || dir[0] == '\0')
        dir = ".";
    hex64(hash, fnv1a(d, n, 0xcbf29ce484222325ULL));
    snprintf(path, sizeof(path), "%s/crash-%s-%s", dir, target, hash);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
        size_t off = 0;
        while (off < n) {
            ssize_t w = write(fd, d + off, n - off);
            if (w <= 0)
                break;
            off += (size_t)w;
        }
        close(fd);
    }
    put(2, "\nreplay: ");
    put(2, target);
    put(2, ": input that failed written to ");
    put(2, fd >= 0 ? path : "(could not write it)");
    put(2, "\nreplay: input (hex, first 256 bytes): ");
    static const char digits[] = "0123456789abcdef";
    char pair[3] = {0, 0, 0};
    for (size_t i = 0; i < n && i < 256; i++) {
        pair[0] = digits[d[i] >> 4];
        pair[1] = digits[d[i] & 15];
        put(2, pair);
    }
    put(2, "\n");
}

static void on_signal(int sig)
{
    report_crash();
    signal(sig, SIG_DFL);
    raise(sig);
}

static void install_reporters(void)
{
    static const int sigs[] = {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL};
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        /* AddressSanitizer may already own SIGSEGV/SIGBUS: keep its handler, it reports
         * through the death callback below instead. */
        struct sigaction old;
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler != SIG_DFL && old.sa_handler != SIG_IGN &&
            sigs[i] != SIGABRT)
            continue;
        sigaction(sigs[i], &sa, NULL);
    }
    if (__sanitizer_set_death_callback != NULL)
        __sanitizer_set_death_callback(report_crash);
}

/* --- loading seeds --- */

static void add_seed(const char *name, uint8_t *data, size_t size)
{
    if (nseeds == seeds_cap) {
        seeds_cap = seeds_cap ? 2 * seeds_cap : 64;
        seeds = realloc(seeds, seeds_cap * sizeof(*seeds));
        if (seeds == NULL) {
            perror("replay: realloc");
            exit(2);
        }
    }
    seeds[nseeds].name = strdup(name);
    seeds[nseeds].data = data;
    seeds[nseeds].size = size;
    if (seeds[nseeds].name == NULL) {
        perror("replay: strdup");
        exit(2);
    }
    nseeds++;
}

static void load_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        exit(2);
    }
    uint8_t *buf = malloc(REPLAY_MAX_INPUT);
    if (buf == NULL) {
        perror("replay: malloc");
        exit(2);
    }
    size_t n = fread(buf, 1, REPLAY_MAX_INPUT, f);
    int more = fgetc(f) != EOF;
    int bad = ferror(f);
    fclose(f);
    if (bad || more) {
        fprintf(stderr, "replay: %s: %s\n", path, bad ? "read error" : "larger than 64 KiB");
        exit(2);
    }
    uint8_t *fit = realloc(buf, n > 0 ? n : 1);
    add_seed(path, fit != NULL ? fit : buf, n);
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void load_path(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        exit(2);
    }
    if (!S_ISDIR(st.st_mode)) {
        load_file(path);
        return;
    }
    DIR *d = opendir(path);
    if (d == NULL) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        exit(2);
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            names = realloc(names, cap * sizeof(*names));
            if (names == NULL) {
                perror("replay: realloc");
                exit(2);
            }
        }
        size_t len = strlen(path) + 1 + strlen(e->d_name) + 1;
        names[n] = malloc(len);
        if (names[n] == NULL) {
            perror("replay: malloc");
            exit(2);
        }
        snprintf(names[n], len, "%s/%s", path, e->d_name);
        n++;
    }
    closedir(d);
    qsort(names, n, sizeof(*names), compare_names);
    for (size_t i = 0; i < n; i++) {
        if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode))
            load_file(names[i]);
        free(names[i]);
    }
    free(names);
}

/* --- running and mutating --- */

static void run_one(const uint8_t *data, size_t size)
{
    /* An exactly sized heap copy: a read past size is an AddressSanitizer report. */
    uint8_t *copy = malloc(size > 0 ? size : 1);
    if (copy == NULL) {
        perror("replay: malloc");
        exit(2);
    }
    if (size > 0)
        memcpy(copy, data, size);
    cur_data = copy;
    cur_size = size;
    LLVMFuzzerTestOneInput(copy, size);
    cur_data = NULL;
    free(copy);
}

/* Bytes and strings that matter to the parsers under test. */
static const char *const tokens[] = {"%",          "%2e",        "%00",
                                     "%41",        "%zz",        "+",
                                     "\\",         "@",          ":",
                                     "//",         "http://",    "https://",
                                     "-",          ".",          ",",
                                     "&",          "=",          "#",
                                     "?",          "/",          "0",
                                     "9",          "00",         "99999",
                                     "65535",      "65536",      "\xc3\xa9",
                                     "\xff",       "\x00",       "\"",
                                     "{",          "}",          "[",
                                     "]",          "\n",         " ",
                                     "\t",         "e",          "-0",
                                     "..",         "*.",         "xn--",
                                     "day",        "link",       "percent",
                                     "flat_minor", "1e3",        "0.5",
                                     "100",        "100.000001", "1000000000000000",
                                     "2024-02-29", "=",          "#",
                                     "\r\n"};
#define NTOKENS (sizeof(tokens) / sizeof(tokens[0]))

/* Token lengths: "\x00" is one NUL byte, not an empty string. */
static size_t token_len(size_t i)
{
    size_t n = strlen(tokens[i]);
    return n == 0 ? 1 : n;
}

static size_t mutate_once(uint8_t *buf, size_t size, size_t cap)
{
    switch (below(10)) {
    case 0: /* flip a bit */
        if (size > 0)
            buf[below(size)] ^= (uint8_t)(1u << below(8));
        break;
    case 1: /* any byte */
        if (size > 0)
            buf[below(size)] = (uint8_t)rng();
        break;
    case 2: /* a byte nudged up or down */
        if (size > 0)
            buf[below(size)] += below(2) ? 1 : 255;
        break;
    case 3: /* insert a random byte */
        if (size < cap) {
            size_t at = below(size + 1);
            memmove(buf + at + 1, buf + at, size - at);
            buf[at] = (uint8_t)rng();
            size++;
        }
        break;
    case 4:
    case 5: { /* insert or overwrite with a token */
        size_t t = below(NTOKENS), tl = token_len(t);
        size_t at = below(size + 1);
        if (below(2) && at + tl <= size) {
            memcpy(buf + at, tokens[t], tl);
        } else if (size + tl <= cap) {
            memmove(buf + at + tl, buf + at, size - at);
            memcpy(buf + at, tokens[t], tl);
            size += tl;
        }
        break;
    }
    case 6: /* delete a range */
        if (size > 0) {
            size_t at = below(size), n = 1 + below(size - at < 8 ? size - at : 8);
            memmove(buf + at, buf + at + n, size - at - n);
            size -= n;
        }
        break;
    case 7: /* duplicate a range */
        if (size > 0) {
            size_t at = below(size), n = 1 + below(size - at);
            if (size + n <= cap) {
                memmove(buf + at + n, buf + at, size - at);
                size += n;
            }
        }
        break;
    case 8: /* truncate */
        size = below(size + 1);
        break;
    default: { /* splice: keep a prefix, take another seed's suffix */
        const seed *o = &seeds[below(nseeds)];
        size_t keep = below(size + 1), from = below(o->size + 1), n = o->size - from;
        if (keep + n > cap)
            n = cap - keep;
        memcpy(buf + keep, o->data + from, n);
        size = keep + n;
        break;
    }
    }
    return size;
}

int main(int argc, char **argv)
{
    const char *slash = strrchr(argv[0], '/');
    target = slash != NULL ? slash + 1 : argv[0];
    if (strncmp(target, "fuzz_", 5) == 0)
        target += 5;
    long mutations = 300;
    const char *env = getenv("FUZZ_REPLAY_MUTATIONS");
    if (env != NULL && env[0] != '\0')
        mutations = strtol(env, NULL, 10);
    int i = 1;
    if (i + 1 < argc && strcmp(argv[i], "-n") == 0) {
        mutations = strtol(argv[i + 1], NULL, 10);
        i += 2;
    }
    if (i >= argc || mutations < 0) {
        fprintf(stderr, "usage: %s [-n MUTATIONS_PER_SEED] FILE_OR_DIR...\n", argv[0]);
        return 2;
    }
    for (; i < argc; i++)
        load_path(argv[i]);
    if (nseeds == 0) {
        fprintf(stderr, "replay: %s: no seed files\n", target);
        return 2;
    }
    if (LLVMFuzzerInitialize != NULL)
        LLVMFuzzerInitialize(&argc, &argv);
    install_reporters();

    uint8_t *buf = malloc(REPLAY_MAX_INPUT);
    if (buf == NULL) {
        perror("replay: malloc");
        return 2;
    }
    unsigned long runs = 0;
    for (size_t s = 0; s < nseeds; s++) {
        run_one(seeds[s].data, seeds[s].size);
        runs++;
        /* Seeded by the file's base name, so a run does not depend on where the tree is. */
        const char *base = strrchr(seeds[s].name, '/');
        base = base != NULL ? base + 1 : seeds[s].name;
        uint64_t h = fnv1a(base, strlen(base), 0xcbf29ce484222325ULL);
        for (long m = 0; m < mutations; m++) {
            rng_state = fnv1a(&m, sizeof(m), h) | 1;
            size_t cap = seeds[s].size * 2 + 64;
            if (cap > REPLAY_MAX_INPUT)
                cap = REPLAY_MAX_INPUT;
            memcpy(buf, seeds[s].data, seeds[s].size);
            size_t size = seeds[s].size;
            int ops = 1 + (int)below(4);
            for (int k = 0; k < ops; k++)
                size = mutate_once(buf, size, cap);
            run_one(buf, size);
            runs++;
        }
    }
    printf("%s: %zu seeds, %lu inputs, ok\n", target, nseeds, runs);
    free(buf);
    for (size_t s = 0; s < nseeds; s++) {
        free(seeds[s].name);
        free(seeds[s].data);
    }
    free(seeds);
    return 0;
}
