/*
 * pace.c - an open-loop HTTP/1.1 load generator: latency at a fixed request rate (bench/run.sh,
 * B1 "p99 at half of nginx's rate").
 *
 * Owns: sending GETs at evenly spaced times over keep-alive connections, timing each answer,
 * and printing the rate achieved and the latency percentiles.
 * Does not own: starting servers, checking what they stored (bench/run.sh does both).
 * Invariants: request k is due at start + k/rate, whatever happened before it. Its latency runs
 * from that due time to the end of its answer, so a request that waited for a free connection
 * counts the wait (no coordinated omission). Each connection carries one request at a time.
 *
 * Why not h2load --rps: every connection has its own timer, the timers start together, and
 * they stay in step, so h2load sends bursts of as many requests as there are connections (64
 * in one 100 us window, measured against nginx at 55k/s) and what it reports is mostly the
 * server's queue within each burst: nginx itself shows a 0.54 ms median there. A steady stream
 * at the same average rate is what "latency at half the maximum rate" means.
 *
 * The loop busy-polls (epoll_wait with a zero timeout) so that sends leave on time; run it
 * pinned to a CPU of its own.
 *
 *   pace -c CONNS -r RATE -d SECS [-w WARMUP_SECS] [-s STATUS] [-H 'Name: value']... [-o TRACE] URL
 *
 * -o writes a line per timed answer to TRACE: when it was due (us after the start) and its
 * latency (us), to see when the slow ones happened.
 * URL is http://IPv4:PORT/path. Prints one line of key=value pairs:
 *   rate      answers that arrived within the measured window (after the warm-up), a second
 *   n         answers timed (due after the warm-up)
 *   p50_ms p90_ms p99_ms p999_ms max_ms   latency percentiles of those
 *   lag_p99_ms  99th percentile of how late those requests were written: the client's own
 *             stalls (a descheduled CPU) and waits for a connection; latency includes it
 *   stalls stall_max_ms  how often (over 1 ms) and how long at most the client itself did not
 *             run within the window: the machine's scheduling noise, which no server can beat
 *   status    answers with STATUS (default 302) over the whole run, warm-up included
 *   other     answers with any other status; late: requests that waited for a connection
 *   lost      requests unanswered 5 s after the last was due, sent on a connection that failed,
 *             or never sent because every connection had failed; sent: requests written
 * Exit status: 0 when every request was answered, 1 otherwise, 2 on a usage or setup error.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 1024
#define MAX_HEADERS 16
#define REQ_CAP 4096
#define RESP_CAP 16384
#define DRAIN_NS (5 * 1000000000LL)

typedef struct conn {
    int fd;
    int busy;
    int64_t due_ns; /* when the request in flight was due */
    size_t len;
    char buf[RESP_CAP];
} conn;

static struct {
    conn *conns;
    int nconns, alive;
    int *idle; /* stack of idle connection indexes */
    int nidle;
    int64_t *backlog; /* ring of due times waiting for a connection */
    size_t backlog_cap, backlog_head, backlog_len;
    char req[REQ_CAP];
    size_t req_len;
    int want_status;
    int64_t measure_from_ns, measure_to_ns; /* due times timed: [from, to) */
    int64_t *lat;                           /* latencies (ns) of timed answers */
    int64_t *lag;                           /* how late (ns) those requests were written */
    FILE *trace;                            /* -o: a line per timed answer */
    int64_t start_ns;
    size_t nlat, nlag, lat_cap;
    long status_ok, status_other, late, lost;
    long answered_in_window; /* answers that arrived within [measure_from_ns, measure_to_ns) */
    int64_t stall_max_ns;    /* longest gap between two turns of the loop (the client descheduled) */
    long stalls;             /* gaps over 1 ms within the measured window */
} P;

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void die(const char *what)
{
    fprintf(stderr, "pace: %s\n", what);
    exit(2);
}

/* A decimal number in [lo, hi]; anything else is a usage error naming the option. */
static double parse_num(const char *s, double lo, double hi, const char *opt)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || !(v >= lo && v <= hi)) {
        fprintf(stderr, "pace: %s: expected a number from %g to %g, got \"%s\"\n", opt, lo, hi, s);
        exit(2);
    }
    return v;
}

/* http://A.B.C.D:PORT/path into addr and the request's first lines. */
static void parse_url(const char *url, struct sockaddr_in *addr, const char *const *headers, int nheaders)
{
    const char *p = url;
    if (strncmp(p, "http://", 7) != 0)
        die("URL must start with http://");
    p += 7;
    const char *colon = strchr(p, ':'), *slash = strchr(p, '/');
    if (colon == NULL || slash == NULL || colon > slash || colon - p >= 64)
        die("URL must be http://IPv4:PORT/path");
    char host[64], port_text[16];
    memcpy(host, p, (size_t)(colon - p));
    host[colon - p] = '\0';
    if ((size_t)(slash - colon - 1) >= sizeof(port_text))
        die("URL port too long");
    memcpy(port_text, colon + 1, (size_t)(slash - colon - 1));
    port_text[slash - colon - 1] = '\0';
    memset(addr, 0, sizeof(*addr));
    addr->sin_family = AF_INET;
    addr->sin_port = htons((uint16_t)parse_num(port_text, 1, 65535, "URL port"));
    if (inet_pton(AF_INET, host, &addr->sin_addr) != 1)
        die("URL host must be an IPv4 address");
    int n = snprintf(P.req, sizeof(P.req), "GET %s HTTP/1.1\r\nHost: %s:%s\r\n", slash, host, port_text);
    for (int i = 0; i < nheaders && n > 0 && (size_t)n < sizeof(P.req); i++)
        n += snprintf(P.req + n, sizeof(P.req) - (size_t)n, "%s\r\n", headers[i]);
    if (n > 0 && (size_t)n < sizeof(P.req))
        n += snprintf(P.req + n, sizeof(P.req) - (size_t)n, "\r\n");
    if (n <= 0 || (size_t)n >= sizeof(P.req))
        die("request too long");
    P.req_len = (size_t)n;
}

static void connect_all(const struct sockaddr_in *addr, int ep)
{
    for (int i = 0; i < P.nconns; i++) {
        conn *c = &P.conns[i];
        int one = 1;
        c->fd = socket(AF_INET, SOCK_STREAM, 0);
        if (c->fd < 0 || connect(c->fd, (const struct sockaddr *)addr, sizeof(*addr)) != 0)
            die("cannot connect");
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        if (fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK) != 0)
            die("fcntl failed");
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) != 0)
            die("epoll_ctl failed");
        P.idle[P.nidle++] = i;
    }
    P.alive = P.nconns;
}

/* The connection failed: what it carried is lost, and it carries nothing more. An idle
 * one (the server closed it between requests) leaves the idle stack. */
static void conn_fail(conn *c)
{
    if (c->busy)
        P.lost++;
    else
        for (int i = 0; i < P.nidle; i++)
            if (&P.conns[P.idle[i]] == c) {
                P.idle[i] = P.idle[--P.nidle];
                break;
            }
    c->busy = 0;
    close(c->fd);
    c->fd = -1;
    P.alive--;
}

static void send_on(conn *c, int64_t due)
{
    if (due >= P.measure_from_ns && due < P.measure_to_ns && P.nlag < P.lat_cap)
        P.lag[P.nlag++] = now_ns() - due;
    ssize_t w = write(c->fd, P.req, P.req_len);
    c->due_ns = due;
    c->busy = 1;
    c->len = 0;
    if (w != (ssize_t)P.req_len) /* a fresh request on an idle connection: the buffer is empty */
        conn_fail(c);
}

/* Request due at `due`: on an idle connection now, or queued until one is free. */
static void dispatch(int64_t due)
{
    if (P.nidle > 0) {
        send_on(&P.conns[P.idle[--P.nidle]], due);
        return;
    }
    if (P.backlog_len == P.backlog_cap)
        die("more than a million requests waiting for a connection: the server is far too slow for this rate");
    P.backlog[(P.backlog_head + P.backlog_len++) % P.backlog_cap] = due;
    P.late++;
}

/* The length of a complete answer at the start of buf, 0 while incomplete, -1 if malformed.
 * Sets *status. Bodies are framed by Content-Length or chunked encoding (no trailers). */
static long answer_length(const char *buf, size_t len, int *status)
{
    const char *end = memmem(buf, len, "\r\n\r\n", 4);
    if (end == NULL)
        return len >= RESP_CAP ? -1 : 0;
    size_t head = (size_t)(end - buf) + 4;
    if (len < 12 || strncmp(buf, "HTTP/1.", 7) != 0)
        return -1;
    *status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
    long body = 0;
    int chunked = 0;
    for (const char *line = memchr(buf, '\n', head) + 1; line < buf + head - 2;) {
        const char *eol = memchr(line, '\n', (size_t)(buf + head - line));
        if (strncasecmp(line, "content-length:", 15) == 0)
            body = strtol(line + 15, NULL, 10);
        else if (strncasecmp(line, "transfer-encoding:", 18) == 0 && memmem(line, (size_t)(eol - line), "chunked", 7))
            chunked = 1;
        line = eol + 1;
    }
    if (chunked) {
        const char *last = memmem(buf + head, len - head, "0\r\n\r\n", 5);
        return last == NULL ? 0 : (long)(last - buf) + 5;
    }
    return head + (size_t)body <= len ? (long)(head + (size_t)body) : 0;
}

static void on_readable(int i)
{
    conn *c = &P.conns[i];
    for (;;) {
        ssize_t r = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
        if (r < 0 && errno == EAGAIN)
            break;
        if (r <= 0) {
            conn_fail(c);
            return;
        }
        c->len += (size_t)r;
    }
    int status = 0;
    long n = answer_length(c->buf, c->len, &status);
    if (n == 0)
        return;
    if (n < 0 || !c->busy || (size_t)n != c->len) { /* malformed, unasked for, or more than asked */
        conn_fail(c);
        return;
    }
    int64_t t = now_ns();
    if (status == P.want_status)
        P.status_ok++;
    else
        P.status_other++;
    if (c->due_ns >= P.measure_from_ns && c->due_ns < P.measure_to_ns && P.nlat < P.lat_cap)
        P.lat[P.nlat++] = t - c->due_ns;
    if (t >= P.measure_from_ns && t < P.measure_to_ns)
        P.answered_in_window++;
    if (P.trace != NULL && c->due_ns >= P.measure_from_ns && c->due_ns < P.measure_to_ns)
        fprintf(P.trace, "%.1f\t%.1f\n", (double)(c->due_ns - P.start_ns) / 1e3, (double)(t - c->due_ns) / 1e3);
    c->busy = 0;
    if (P.backlog_len > 0) {
        int64_t due = P.backlog[P.backlog_head];
        P.backlog_head = (P.backlog_head + 1) % P.backlog_cap;
        P.backlog_len--;
        send_on(c, due);
    } else {
        P.idle[P.nidle++] = i;
    }
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static double pct_ms(const int64_t *v, size_t n, double q)
{
    if (n == 0)
        return 0;
    size_t i = (size_t)(q * (double)n);
    return (double)v[i >= n ? n - 1 : i] / 1e6;
}

int main(int argc, char **argv)
{
    const char *headers[MAX_HEADERS];
    int nheaders = 0, opt;
    double rate = 0, secs = 0, warm = 0;
    P.nconns = 64;
    P.want_status = 302;
    while ((opt = getopt(argc, argv, "c:r:d:w:s:H:o:")) != -1) {
        switch (opt) {
        case 'c':
            P.nconns = (int)parse_num(optarg, 1, MAX_CONNS, "-c");
            break;
        case 'r':
            rate = parse_num(optarg, 1, 10000000, "-r");
            break;
        case 'd':
            secs = parse_num(optarg, 0.1, 3600, "-d");
            break;
        case 'w':
            warm = parse_num(optarg, 0, 3600, "-w");
            break;
        case 's':
            P.want_status = (int)parse_num(optarg, 100, 599, "-s");
            break;
        case 'o':
            if ((P.trace = fopen(optarg, "w")) == NULL)
                die("cannot write the -o file");
            break;
        case 'H':
            if (nheaders == MAX_HEADERS)
                die("too many -H");
            headers[nheaders++] = optarg;
            break;
        default:
            die("usage: pace -c CONNS -r RATE -d SECS [-w WARMUP_SECS] [-s STATUS] [-H 'Name: value']... [-o TRACE] URL");
        }
    }
    if (optind != argc - 1 || rate == 0 || secs == 0)
        die("usage: pace -c CONNS -r RATE -d SECS [-w WARMUP_SECS] [-s STATUS] [-H 'Name: value']... [-o TRACE] URL");
    struct sockaddr_in addr;
    parse_url(argv[optind], &addr, headers, nheaders);

    P.conns = calloc((size_t)P.nconns, sizeof(conn));
    P.idle = calloc((size_t)P.nconns, sizeof(int));
    P.backlog_cap = 1 << 20;
    P.backlog = calloc(P.backlog_cap, sizeof(int64_t));
    P.lat_cap = (size_t)(rate * secs) + 1024;
    P.lat = calloc(P.lat_cap, sizeof(int64_t));
    P.lag = calloc(P.lat_cap, sizeof(int64_t));
    int ep = epoll_create1(0);
    if (P.conns == NULL || P.idle == NULL || P.backlog == NULL || P.lat == NULL || P.lag == NULL || ep < 0)
        die("out of memory");
    connect_all(&addr, ep);

    int64_t start = now_ns() + 10000000; /* 10 ms after connecting */
    P.start_ns = start;
    int64_t send_until = start + (int64_t)(secs * 1e9);
    P.measure_from_ns = start + (int64_t)(warm * 1e9);
    P.measure_to_ns = send_until;
    int64_t k = 0, due = start;
    struct epoll_event ev[256];
    int64_t prev = now_ns();
    for (;;) {
        int64_t t = now_ns();
        if (t >= P.measure_from_ns && t < P.measure_to_ns) {
            if (t - prev > P.stall_max_ns)
                P.stall_max_ns = t - prev;
            P.stalls += t - prev > 1000000;
        }
        prev = t;
        while (due <= t && due < send_until && P.alive > 0) {
            dispatch(due);
            due = start + (int64_t)((double)++k * 1e9 / rate);
        }
        int in_flight = P.alive - P.nidle;
        if (P.alive == 0 || (due >= send_until && in_flight == 0 && P.backlog_len == 0) || t > send_until + DRAIN_NS)
            break;
        int n = epoll_wait(ep, ev, 256, 0);
        for (int i = 0; i < n; i++)
            if (P.conns[ev[i].data.u32].fd >= 0)
                on_readable((int)ev[i].data.u32);
    }
    for (int i = 0; i < P.nconns; i++)
        if (P.conns[i].fd >= 0 && P.conns[i].busy)
            P.lost++;
    P.lost += (long)P.backlog_len;
    int64_t sent = k - (int64_t)P.backlog_len;
    while (due < send_until) { /* due but never sent: every connection had failed */
        P.lost++;
        due = start + (int64_t)((double)++k * 1e9 / rate);
    }

    qsort(P.lat, P.nlat, sizeof(int64_t), cmp_i64);
    qsort(P.lag, P.nlag, sizeof(int64_t), cmp_i64);
    double window = (double)(P.measure_to_ns - P.measure_from_ns) / 1e9;
    printf("rate=%.1f n=%zu p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f lag_p99_ms=%.3f stalls=%ld "
           "stall_max_ms=%.3f status=%ld other=%ld late=%ld lost=%ld sent=%lld\n",
           (double)P.answered_in_window / window, P.nlat, pct_ms(P.lat, P.nlat, 0.50), pct_ms(P.lat, P.nlat, 0.90),
           pct_ms(P.lat, P.nlat, 0.99), pct_ms(P.lat, P.nlat, 0.999), pct_ms(P.lat, P.nlat, 1.0),
           pct_ms(P.lag, P.nlag, 0.99), P.stalls, (double)P.stall_max_ns / 1e6, P.status_ok, P.status_other, P.late,
           P.lost, (long long)sent);
    if (P.trace != NULL)
        fclose(P.trace);
    return P.lost == 0 && P.status_other == 0 ? 0 : 1;
}
