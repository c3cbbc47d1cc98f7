/*
 * fuzz_items.c - the `items` of POST /v1/conversions, which a postback-token holder
 * sends: the input is the JSON value of the member. It goes through
 * aff_api_conversion_input (api/conversions.h), whose validation writes the stored
 * items text, and that text through aff_comm_items_parse (track/commission.h), which
 * the writer uses to price the conversion. The raw input goes through
 * aff_comm_items_parse too (it must stay memory-safe on any text).
 *
 * Checks, against a reference validator written from docs/api.md: null or absent is
 * no items; otherwise an array of at most 100 objects with only sku, category,
 * amount_minor (required, 0..10^15) and quantity (1..10^6, default 1), sku and
 * category strings of 0..128 bytes without control characters, and the sum of
 * amount_minor * quantity at most 10^15:
 *   - the validation accepts exactly what the reference accepts (unless the stored
 *     text would exceed AFF_ITEMS_MAX), and a refusal is AFF_EINVAL naming "items";
 *   - the stored text is the reference's canonical compact JSON of the items;
 *   - aff_comm_items_parse reads back the reference's items (count, sku, category,
 *     unit, quantity), at most the cap (one less is an error), with quantity >= 1,
 *     unit >= 0 and the sum within 10^15;
 *   - validating the same input twice, and validating the stored text again, gives the
 *     same stored text; parsing it twice gives the same items;
 *   - pricing them under a percent plan never pays more than the amount;
 *   - on the raw input, aff_comm_items_parse returns AFF_EINVAL or 0..cap items, each
 *     with quantity >= 1.
 */
#include "fuzz.h"

#include <jansson.h>

#include "api/conversions.h"
#include "core/err.h"
#include "core/money.h"
#include "store/store.h"
#include "track/commission.h"

#define FUZZ_ITEMS_MAX_INPUT 65536
#define REF_MAX_ITEMS 100
#define REF_STR_MAX 128
#define REF_QTY_MAX 1000000

typedef struct ref_item {
    char sku[REF_STR_MAX + 1], cat[REF_STR_MAX + 1];
    int64_t unit, qty;
} ref_item;

typedef struct ref_items {
    int n;
    size_t text_len; /* of the canonical form */
    ref_item it[REF_MAX_ITEMS];
} ref_items;

/* A member that is absent or null is not given. */
static json_t *ref_member(json_t *obj, const char *name)
{
    json_t *v = json_object_get(obj, name);
    return v == NULL || json_is_null(v) ? NULL : v;
}

static int ref_text(json_t *v, char *out)
{
    if (v == NULL) {
        out[0] = '\0';
        return 1;
    }
    if (!json_is_string(v))
        return 0;
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (n > REF_STR_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] == 0x7f)
            return 0;
    memcpy(out, s, n + 1);
    return 1;
}

static int ref_int(json_t *v, int64_t min, int64_t max, int64_t *out)
{
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
        return 0;
    *out = json_integer_value(v);
    return 1;
}

/* Length of a JSON string as jansson writes it without JSON_ENSURE_ASCII (no control
 * characters here: the reference refused them). */
static size_t ref_quoted_len(const char *s)
{
    size_t n = 2;
    for (; *s != '\0'; s++)
        n += (*s == '"' || *s == '\\') ? 2 : 1;
    return n;
}

static size_t ref_digits(int64_t v)
{
    char b[24];
    return (size_t)snprintf(b, sizeof(b), "%lld", (long long)v);
}

/* 1 if the reference accepts v (NULL: absent), with its items in r. */
static int ref_validate(json_t *v, ref_items *r)
{
    static const char *const allowed[] = {"sku", "category", "amount_minor", "quantity"};
    memset(r, 0, sizeof(*r));
    if (v == NULL || json_is_null(v))
        return 1;
    if (!json_is_array(v) || json_array_size(v) > REF_MAX_ITEMS)
        return 0;
    __int128 total = 0;
    r->text_len = 2; /* [] */
    for (size_t i = 0; i < json_array_size(v); i++) {
        json_t *o = json_array_get(v, i);
        if (!json_is_object(o))
            return 0;
        const char *key;
        json_t *val;
        json_object_foreach(o, key, val)
        {
            size_t k = 0;
            while (k < 4 && strcmp(key, allowed[k]) != 0)
                k++;
            if (k == 4)
                return 0;
        }
        ref_item *it = &r->it[r->n];
        json_t *qty = ref_member(o, "quantity"), *unit = ref_member(o, "amount_minor");
        it->qty = 1;
        if (!ref_text(ref_member(o, "sku"), it->sku) || !ref_text(ref_member(o, "category"), it->cat) || unit == NULL ||
            !ref_int(unit, 0, AFF_MONEY_MAX_MINOR, &it->unit) ||
            (qty != NULL && !ref_int(qty, 1, REF_QTY_MAX, &it->qty)))
            return 0;
        total += (__int128)it->unit * it->qty;
        if (total > AFF_MONEY_MAX_MINOR)
            return 0;
        /* {"sku":S,"category":C,"amount_minor":U,"quantity":Q} and a comma */
        r->text_len += (i > 0) + strlen("{\"sku\":,\"category\":,\"amount_minor\":,\"quantity\":}") +
                       ref_quoted_len(it->sku) + ref_quoted_len(it->cat) + ref_digits(it->unit) + ref_digits(it->qty);
        r->n++;
    }
    return 1;
}

/* The canonical text of r, built by hand (jansson 2.14 keeps insertion order). */
static char *ref_canonical(const ref_items *r, int given)
{
    char *out = malloc(r->text_len + 1);
    FUZZ_CHECK(out != NULL);
    if (!given) {
        out[0] = '\0';
        return out;
    }
    size_t w = 0;
    out[w++] = '[';
    for (int i = 0; i < r->n; i++) {
        const ref_item *it = &r->it[i];
        const char *strs[2] = {it->sku, it->cat};
        const char *keys[2] = {"{\"sku\":\"", "\",\"category\":\""};
        if (i > 0)
            out[w++] = ',';
        for (int k = 0; k < 2; k++) {
            memcpy(out + w, keys[k], strlen(keys[k]));
            w += strlen(keys[k]);
            for (const char *s = strs[k]; *s != '\0'; s++) {
                if (*s == '"' || *s == '\\')
                    out[w++] = '\\';
                out[w++] = *s;
            }
        }
        w += (size_t)snprintf(out + w, r->text_len + 1 - w, "\",\"amount_minor\":%lld,\"quantity\":%lld}",
                              (long long)it->unit, (long long)it->qty);
    }
    out[w++] = ']';
    out[w] = '\0';
    FUZZ_CHECK(w == r->text_len);
    return out;
}

/* Validate items as POST /v1/conversions does; the stored text in in->items_json. */
static int validate(json_t *items, aff_conversion_input *in, aff_errinfo *err)
{
    static const aff_snap_program prog = {.id = 1, .currency = "USD", .exponent = 2};
    aff_conv_fields f = {.order_id = {"A-1", 3}, .items = items};
    memset(err, 0, sizeof(*err));
    return aff_api_conversion_input(&prog, NULL, &f, in, err);
}

static void check_parsed(const ref_items *r, const aff_comm_item *items, int n)
{
    FUZZ_CHECK(n == r->n);
    __int128 total = 0;
    for (int i = 0; i < n; i++) {
        const aff_comm_item *it = &items[i];
        FUZZ_CHECK(it->quantity >= 1 && it->quantity <= REF_QTY_MAX);
        FUZZ_CHECK(it->unit_minor >= 0 && it->unit_minor <= AFF_MONEY_MAX_MINOR);
        FUZZ_CHECK(it->sku != NULL && strlen(it->sku) <= REF_STR_MAX);
        FUZZ_CHECK(it->category != NULL && strlen(it->category) <= REF_STR_MAX);
        FUZZ_CHECK(strcmp(it->sku, r->it[i].sku) == 0 && strcmp(it->category, r->it[i].cat) == 0);
        FUZZ_CHECK(it->unit_minor == r->it[i].unit && it->quantity == r->it[i].qty);
        total += (__int128)it->unit_minor * it->quantity;
    }
    FUZZ_CHECK(total <= AFF_MONEY_MAX_MINOR);
}

/* A percent plan pays at most the amount, however the items split it. */
static void check_priced(const aff_comm_item *items, int n)
{
    static aff_plan plan;
    static int ready;
    if (!ready) {
        aff_errinfo err;
        FUZZ_CHECK(aff_plan_parse("{\"sale\":{\"percent\":\"10\",\"categories\":{\"books\":{\"percent\":\"50\"}},"
                                  "\"skus\":{\"A\":{\"percent\":\"100\"}}}}",
                                  &plan, NULL, 0, &err) == 0);
        ready = 1;
    }
    int64_t sum = 0;
    for (int i = 0; i < n; i++)
        sum += items[i].unit_minor * items[i].quantity; /* within 10^15: checked above */
    const int64_t amounts[] = {sum, sum / 2, 0, AFF_MONEY_MAX_MINOR};
    for (size_t k = 0; k < sizeof(amounts) / sizeof(amounts[0]); k++) {
        aff_comm_facts f = {.event = "sale", .amount_minor = amounts[k], .items = items, .nitems = n};
        aff_comm_result res;
        FUZZ_CHECK(aff_commission_eval(&plan, &f, &res) == 0);
        FUZZ_CHECK(res.pays == 1 && res.total_minor >= 0 && res.total_minor <= amounts[k]);
    }
}

/* aff_comm_items_parse on text that never went through validation. */
static void check_raw(const uint8_t *data, size_t size)
{
    char *text = fuzz_strndup(data, size);
    aff_comm_item items[AFF_COMM_MAX_ITEMS];
    json_t *j = NULL;
    int n = aff_comm_items_parse(text, items, AFF_COMM_MAX_ITEMS, &j);
    FUZZ_CHECK(n == AFF_EINVAL || (n >= 0 && n <= AFF_COMM_MAX_ITEMS));
    FUZZ_CHECK(n > 0 ? j != NULL : n < 0 ? j == NULL : 1);
    for (int i = 0; i < n; i++)
        FUZZ_CHECK(items[i].quantity >= 1 && items[i].sku != NULL && items[i].category != NULL);
    json_decref(j);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_ITEMS_MAX_INPUT)
        return 0;
    check_raw(data, size);
    /* As the body parser reads it (net/http.c: duplicates refused). */
    json_t *items = json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
    if (items == NULL)
        return 0;
    static ref_items want;
    static aff_conversion_input in, again;
    int ok = ref_validate(items, &want);
    aff_errinfo err;
    int rc = validate(items, &in, &err);
    FUZZ_CHECK(rc == AFF_OK || rc == AFF_EINVAL);
    if (rc != AFF_OK) {
        FUZZ_CHECK(err.field != NULL && strcmp(err.field, "items") == 0);
        FUZZ_CHECK(memchr(err.msg, '\0', sizeof(err.msg)) != NULL && err.msg[0] != '\0');
        FUZZ_CHECK(!ok || want.text_len > AFF_ITEMS_MAX - 1);
        goto out;
    }
    FUZZ_CHECK(ok);
    char *canon = ref_canonical(&want, !json_is_null(items));
    FUZZ_CHECK(strcmp(in.items_json, canon) == 0);
    free(canon);

    /* The same input again, and the stored text as input: the same stored text. */
    FUZZ_CHECK(validate(items, &again, &err) == AFF_OK && strcmp(again.items_json, in.items_json) == 0);
    if (in.items_json[0] != '\0') {
        json_t *stored = json_loads(in.items_json, JSON_REJECT_DUPLICATES, NULL);
        FUZZ_CHECK(stored != NULL);
        FUZZ_CHECK(validate(stored, &again, &err) == AFF_OK && strcmp(again.items_json, in.items_json) == 0);
        json_decref(stored);
    }

    aff_comm_item parsed[AFF_COMM_MAX_ITEMS], parsed2[AFF_COMM_MAX_ITEMS];
    json_t *j1 = NULL, *j2 = NULL;
    int n = aff_comm_items_parse(in.items_json, parsed, AFF_COMM_MAX_ITEMS, &j1);
    check_parsed(&want, parsed, n);
    int n2 = aff_comm_items_parse(in.items_json, parsed2, AFF_COMM_MAX_ITEMS, &j2);
    check_parsed(&want, parsed2, n2);
    check_priced(parsed, n);
    json_decref(j2);
    if (n > 0) {
        FUZZ_CHECK(aff_comm_items_parse(in.items_json, parsed2, n, &j2) == n);
        json_decref(j2);
        FUZZ_CHECK(aff_comm_items_parse(in.items_json, parsed2, n - 1, &j2) == AFF_EINVAL && j2 == NULL);
    }
    json_decref(j1);
out:
    json_decref(items);
    return 0;
}
