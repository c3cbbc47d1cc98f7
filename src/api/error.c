/* error.c - the one mapping from AFF_E* codes to HTTP statuses (STYLE 4). */
#include "net/http.h"

static const struct {
    int rc, status;
} statuses[] = {
    {AFF_EINVAL, 422},    {AFF_ENOMEM, 503},        {AFF_ENOTFOUND, 404},  {AFF_EEXIST, 409},     {AFF_ECONFLICT, 409},
    {AFF_ESTORE, 503},    {AFF_ETOOBIG, 413},       {AFF_EAUTH, 401},      {AFF_EFORBIDDEN, 403}, {AFF_EUNAVAIL, 503},
    {AFF_ERANGE, 422},    {AFF_EIO, 503},           {AFF_EBADID, 422},     {AFF_ENOATTR, 422},    {AFF_ECURRENCY, 422},
    {AFF_ESHUTDOWN, 503}, {AFF_EUNKNOWNCLICK, 422}, {AFF_EINVARIANT, 500}, {AFF_ERATELIMIT, 429},
};

int aff_http_status_for(int rc)
{
    for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
        if (statuses[i].rc == rc)
            return statuses[i].status;
    return 500;
}
