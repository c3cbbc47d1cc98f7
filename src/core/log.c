/* log.c - JSON-lines logging to stderr, see log.h. */
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>

#include "core/clock.h"

int aff_log_level = AFF_LOG_INFO;

static const char *level_names[] = {"debug", "info", "warn", "error"};

void aff_log_write(int level, const char *fmt, ...)
{
    char msg[1024], esc[2100], ts[32];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    size_t j = 0;
    for (const char *p = msg; *p && j < sizeof(esc) - 7; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\\') {
            esc[j++] = '\\';
            esc[j++] = (char)c;
        } else if (c < 0x20) {
            j += (size_t)snprintf(esc + j, sizeof(esc) - j, "\\u%04x", c);
        } else {
            esc[j++] = (char)c;
        }
    }
    esc[j] = '\0';
    aff_clock_format_iso(aff_clock_now_ms(), ts, sizeof(ts));
    fprintf(stderr, "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":\"%s\"}\n", ts, level_names[level & 3], esc);
}
