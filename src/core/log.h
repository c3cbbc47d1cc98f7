/*
 * log.h - one level-gated logging macro with printf checking. Lines go to stderr as
 * JSON objects: {"ts":"...","level":"info","msg":"..."}. Low-level modules (core,
 * store, track) do not log; they return codes and their callers decide (STYLE 12).
 */
#ifndef AFF_CORE_LOG_H
#define AFF_CORE_LOG_H

enum { AFF_LOG_DEBUG, AFF_LOG_INFO, AFF_LOG_WARN, AFF_LOG_ERROR };

extern int aff_log_level;

void aff_log_write(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define AFF_LOG(level, ...)                      \
    do {                                         \
        if ((level) >= aff_log_level)            \
            aff_log_write((level), __VA_ARGS__); \
    } while (0)

#endif
