/* test_creatives.c - unit tests for the snippet of src/api/creatives.c: a banner's HTML
 * escapes every value it embeds, a text creative's {link} placeholders are replaced (or
 * the link appended), and a buffer too small is an error, never a cut snippet. */
#include "api/api.h"
#include "../test.h"

static aff_creative_row creative(const char *kind, const char *name, const char *body)
{
    aff_creative_row r;
    memset(&r, 0, sizeof(r));
    r.id = 12;
    snprintf(r.kind, sizeof(r.kind), "%s", kind);
    snprintf(r.name, sizeof(r.name), "%s", name);
    snprintf(r.body, sizeof(r.body), "%s", body);
    snprintf(r.mime, sizeof(r.mime), "image/gif");
    return r;
}

AFF_TEST(creative_snippet_banner_escapes)
{
    char out[1024];
    aff_creative_row r = creative("image", "\"><script>x</script>&'", "");
    AFF_CHECK_INT(aff_creative_snippet(&r, "https://t.example", "https://t.example/r/ab?x=1&y=\"2\"", out, sizeof(out)),
                  AFF_OK);
    AFF_CHECK_STR(out,
                  "<a href=\"https://t.example/r/ab?x=1&amp;y=&quot;2&quot;\"><img src=\"https://t.example/c/12.gif\""
                  " alt=\"&quot;&gt;&lt;script&gt;x&lt;/script&gt;&amp;&#39;\"></a>");
    r.width = 468, r.height = 60;
    AFF_CHECK_INT(aff_creative_snippet(&r, "http://h", "http://h/r/c", out, sizeof(out)), AFF_OK);
    AFF_CHECK_STR(
        out,
        "<a href=\"http://h/r/c\"><img src=\"http://h/c/12.gif\" alt=\"&quot;&gt;&lt;script&gt;x&lt;/script&gt;&amp;&#39;\""
        " width=\"468\" height=\"60\"></a>");
    AFF_CHECK_INT(aff_creative_snippet(&r, "http://h", "http://h/r/c", out, 40), AFF_ETOOBIG);
}

AFF_TEST(creative_snippet_text_link)
{
    char out[256];
    aff_creative_row r = creative("text", "t", "Go {link} now, {link}! <b>");
    AFF_CHECK_INT(aff_creative_snippet(&r, "http://h", "http://h/r/c", out, sizeof(out)), AFF_OK);
    AFF_CHECK_STR(out, "Go http://h/r/c now, http://h/r/c! <b>");
    r = creative("text", "t", "No placeholder\nhere");
    AFF_CHECK_INT(aff_creative_snippet(&r, "http://h", "http://h/r/c", out, sizeof(out)), AFF_OK);
    AFF_CHECK_STR(out, "No placeholder\nhere http://h/r/c");
    r = creative("text", "t", "{lin}{link");
    AFF_CHECK_INT(aff_creative_snippet(&r, "http://h", "L", out, sizeof(out)), AFF_OK);
    AFF_CHECK_STR(out, "{lin}{link L");
    AFF_CHECK_INT(aff_creative_snippet(&r, "http://h", "L", out, 5), AFF_ETOOBIG);
}
