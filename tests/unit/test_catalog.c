/* The catalogue loads, covers what SPEC and the seeds promise, and is internally consistent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "catalog.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

static int load(void **state)
{
    (void)state;
    char error[512];
    if (!catalog_load(error, sizeof error)) {
        fprintf(stderr, "%s\n", error);
        return -1;
    }
    return 0;
}

static int unload(void **state)
{
    (void)state;
    catalog_unload();
    return 0;
}

static void every_iana_code_is_present(void **state)
{
    (void)state;
    static const unsigned iana[] = {
        100, 101, 102, 103, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302,
        303, 304, 305, 306, 307, 308, 400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410,
        411, 412, 413, 414, 415, 416, 417, 418, 421, 422, 423, 424, 425, 426, 428, 429, 431,
        451, 500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511,
    };
    for (size_t i = 0; i < sizeof iana / sizeof iana[0]; i++) {
        const struct catalog_entry *e = catalog_find(iana[i], 0);
        assert_non_null(e);
        assert_true(e->official);
    }
}

static void unofficial_codes_people_meet_are_present(void **state)
{
    (void)state;
    static const unsigned unofficial[] = {
        419, 420, 430, 440, 444, 449, 450, 460, 463, 464, 494, 495, 496, 497, 498, 499,
        509, 520, 521, 522, 523, 524, 525, 526, 527, 529, 530, 561, 598, 599,
    };
    for (size_t i = 0; i < sizeof unofficial / sizeof unofficial[0]; i++) {
        const struct catalog_entry *e = catalog_find(unofficial[i], 0);
        assert_non_null(e);
        assert_false(e->official);
    }
}

/* Issue 14: one number, several vendors' meanings, each found by its vendor's name. */
static void vendors_meanings_are_found_by_name(void **state)
{
    (void)state;
    static const struct {
        unsigned code;
        const char *vendor;
        const char *reason;
        const char *vendors;
    } meanings[] = {
        { 420, "twitter", "Enhance Your Calm", "twitter, spring" },
        { 420, "Spring", "Method Failure", "twitter, spring" },
        { 451, "rfc", "Unavailable For Legal Reasons", "rfc, iis" },
        { 451, "iis", "Redirect", "rfc, iis" },
        { 499, "nginx", "Client Closed Request", "nginx, esri" },
        { 499, "esri", "Token Required", "nginx, esri" },
        { 460, "aws", "Client Closed Connection", "aws" },
        { 430, "shopify", "Shopify Security Rejection", "shopify" },
    };
    for (size_t i = 0; i < sizeof meanings / sizeof meanings[0]; i++) {
        const struct catalog_entry *e = catalog_find_vendor(meanings[i].code, 0, meanings[i].vendor);
        assert_non_null(e);
        assert_int_equal(e->code, meanings[i].code);
        assert_string_equal(e->reason, meanings[i].reason);
        assert_string_equal(e->key, catalog_find(meanings[i].code, 0)->key);
        assert_string_equal(catalog_find(meanings[i].code, 0)->vendors, meanings[i].vendors);
        if (strcmp(e->reason, catalog_find(meanings[i].code, 0)->reason) != 0) {
            assert_false(e->official);
            assert_int_equal(e->header_count, 0);
        }
    }
    assert_null(catalog_find_vendor(420, 0, "nginx"));
    assert_null(catalog_find_vendor(404, 0, "rfc")); /* 404 names no vendor */
    /* The first meaning stays what a plain lookup finds. */
    assert_string_equal(catalog_find(451, 0)->reason, "Unavailable For Legal Reasons");
    assert_true(catalog_find(451, 0)->official);
}

static void seed_sub_statuses_are_present(void **state)
{
    (void)state;
    for (unsigned s = 1; s <= 5; s++)
        assert_non_null(catalog_find(401, s));
    for (unsigned s = 1; s <= 17; s++)
        if (s != 14)
            assert_non_null(catalog_find(403, s));
    for (unsigned s = 11; s <= 15; s++)
        assert_non_null(catalog_find(500, s));
    assert_non_null(catalog_find(500, 100));
    assert_null(catalog_find(403, 99));
    assert_string_equal(catalog_find(403, 4)->key, "403.4");
    assert_non_null(strstr(catalog_subs_list(401), "401.5"));
    assert_string_equal(catalog_subs_list(200), "");
}

static void spec_headers_are_in_the_catalogue(void **state)
{
    (void)state;
    static const struct {
        unsigned code;
        const char *header;
    } required[] = {
        { 201, "Location" }, { 301, "Location" }, { 302, "Location" }, { 303, "Location" },
        { 307, "Location" }, { 308, "Location" }, { 300, "Location" }, { 305, "Location" },
        { 401, "WWW-Authenticate" }, { 405, "Allow" }, { 407, "Proxy-Authenticate" },
        { 408, "Connection" }, { 413, "Connection" }, { 415, "Accept-Post" },
        { 416, "Content-Range" }, { 426, "Upgrade" }, { 429, "Retry-After" },
        { 503, "Retry-After" }, { 451, "Link" }, { 206, "Content-Range" }, { 304, "ETag" },
        { 103, "Link" },
    };
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
        assert_non_null(catalog_header(catalog_find(required[i].code, 0), required[i].header));
    assert_string_equal(catalog_header(catalog_find(302, 0), "location")->value, "/status/200");
}

static void error_classes_say_whether_temporary(void **state)
{
    (void)state;
    for (size_t i = 0; i < catalog_count(); i++) {
        const struct catalog_entry *e = catalog_at(i);
        if (e->code >= 400 && e->code < 600)
            assert_int_not_equal(e->persistence, PERSISTENCE_NONE);
        for (int l = 0; l < LANGUAGE_COUNT; l++) {
            assert_true(strlen(e->text[l].title) > 0);
            assert_true(strlen(e->text[l].meaning) > 20);
            assert_true(strlen(e->text[l].advice) > 5);
        }
    }
}

static void every_class_has_a_text(void **state)
{
    (void)state;
    for (unsigned code = 100; code <= 999; code += 100) {
        const struct catalog_class *k = catalog_class_of(code);
        assert_non_null(k);
        assert_int_equal(k->digit, code / 100);
        assert_int_equal(k->official, code < 600);
    }
    assert_null(catalog_class_of(99));
}

static void entries_are_sorted(void **state)
{
    (void)state;
    for (size_t i = 1; i < catalog_count(); i++) {
        const struct catalog_entry *a = catalog_at(i - 1), *b = catalog_at(i);
        assert_true(a->code < b->code || (a->code == b->code && a->sub < b->sub));
    }
}

static void codes_json_lists_every_entry(void **state)
{
    (void)state;
    size_t length;
    const char *text = catalog_json(&length);
    json_error_t error;
    json_t *root = json_loadb(text, length, 0, &error);
    assert_non_null(root);
    assert_int_equal(json_array_size(json_object_get(root, "codes")), catalog_count());
    assert_int_equal(json_array_size(json_object_get(root, "classes")), 9);
    json_decref(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_iana_code_is_present),
        cmocka_unit_test(unofficial_codes_people_meet_are_present),
        cmocka_unit_test(vendors_meanings_are_found_by_name),
        cmocka_unit_test(seed_sub_statuses_are_present),
        cmocka_unit_test(spec_headers_are_in_the_catalogue),
        cmocka_unit_test(error_classes_say_whether_temporary),
        cmocka_unit_test(every_class_has_a_text),
        cmocka_unit_test(entries_are_sorted),
        cmocka_unit_test(codes_json_lists_every_entry),
    };
    return cmocka_run_group_tests(tests, load, unload);
}
