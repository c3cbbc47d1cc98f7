/* err.c - messages and codes for the AFF_E* list in err.h. */
#include "core/err.h"

const char *aff_strerror(int rc)
{
    switch (rc) {
    case AFF_OK:
        return "ok";
#define AFF_ERR_MSG(name, num, code, msg) \
    case AFF_##name:                      \
        return msg;
        AFF_ERRNO_MAP(AFF_ERR_MSG)
#undef AFF_ERR_MSG
    }
    return "unknown error";
}

const char *aff_errcode(int rc)
{
    switch (rc) {
    case AFF_OK:
        return "ok";
#define AFF_ERR_CODE(name, num, code, msg) \
    case AFF_##name:                       \
        return code;
        AFF_ERRNO_MAP(AFF_ERR_CODE)
#undef AFF_ERR_CODE
    }
    return "internal";
}

#include <stdarg.h>
#include <stdio.h>

int aff_fail(aff_errinfo *e, int rc, const char *field, const char *fmt, ...)
{
    if (e == NULL)
        return rc;
    e->field = field;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
    va_end(ap);
    return rc;
}
