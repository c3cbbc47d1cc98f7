/* test_store_conv_id.c - conversion_next_id names the id the next insert gets, also
 * after inserts and rollbacks in the same transaction (track/conversion.c writes a
 * conversion's ledger lines under that id before the row itself). */
#include "store_fixture.h"
#include "store_rows.h"
#include "../test.h"

AFF_TEST(store_conversion_next_id_is_the_id_inserted)
{
    aff_test_store ts;
    if (aff_test_store_open(&ts) != 0)
        return;
    aff_store *st = ts.st;
    int64_t next = 0, id = 0;
    AFF_CHECK_INT(aff_store_begin(st), AFF_OK);
    for (int i = 0; i < 3; i++) {
        char order[16];
        snprintf(order, sizeof(order), "a%d", i);
        AFF_CHECK_INT(aff_store_conversion_next_id(st, &next), AFF_OK);
        AFF_CHECK_INT(add_conversion_rc(st, 1, "sale", order, 100, "pending", 1, 0, 0, &id), AFF_OK);
        AFF_CHECK_INT(id, next);
    }
    AFF_CHECK_INT(aff_store_commit(st), AFF_OK);
    AFF_CHECK_INT(id, 3);
    /* undone inserts give their ids back */
    AFF_CHECK_INT(aff_store_begin(st), AFF_OK);
    AFF_CHECK_INT(add_conversion_rc(st, 1, "sale", "b1", 100, "pending", 1, 0, 0, &id), AFF_OK);
    AFF_CHECK_INT(aff_store_conversion_next_id(st, &next), AFF_OK);
    AFF_CHECK_INT(next, 5);
    AFF_CHECK_INT(aff_store_rollback(st), AFF_OK);
    AFF_CHECK_INT(aff_store_begin(st), AFF_OK);
    AFF_CHECK_INT(aff_store_conversion_next_id(st, &next), AFF_OK);
    AFF_CHECK_INT(next, 4);
    AFF_CHECK_INT(aff_store_savepoint(st), AFF_OK);
    AFF_CHECK_INT(add_conversion_rc(st, 1, "sale", "b2", 100, "pending", 1, 0, 0, &id), AFF_OK);
    AFF_CHECK_INT(id, 4);
    AFF_CHECK_INT(aff_store_rollback_to(st), AFF_OK);
    AFF_CHECK_INT(aff_store_release(st), AFF_OK);
    AFF_CHECK_INT(aff_store_conversion_next_id(st, &next), AFF_OK);
    AFF_CHECK_INT(next, 4);
    /* an id given to the insert is the id stored */
    aff_conversion_row *c = calloc(1, sizeof(*c));
    c->program_id = 1;
    snprintf(c->event, sizeof(c->event), "sale");
    snprintf(c->order_id, sizeof(c->order_id), "b3");
    snprintf(c->currency, sizeof(c->currency), "EUR");
    snprintf(c->status, sizeof(c->status), "pending");
    snprintf(c->items_json, sizeof(c->items_json), "[]");
    c->id = next;
    c->earned_minor = 123;
    AFF_CHECK_INT(aff_store_conversion_insert(st, c), AFF_OK);
    AFF_CHECK_INT(c->id, 4);
    AFF_CHECK_INT(aff_store_conversion_get(st, 4, c), AFF_OK);
    AFF_CHECK_INT(c->earned_minor, 123);
    AFF_CHECK_STR(c->order_id, "b3");
    AFF_CHECK_INT(aff_store_commit(st), AFF_OK);
    free(c);
    aff_test_store_close(&ts);
}
