/* The echo bodies (src/endpoints/echo.c): request bytes made into JSON text (echo_json_text, echo_base64),
 * a form body parsed (echo_parse_form), and the whole rendered as JSON and as an HTML table. (echo.h)
 *
 * Whatever the bytes, the JSON must read back as the same value, base64 must decode back to
 * the bytes, and the HTML must hold exactly the markup of the same structure with harmless
 * strings in it: request bytes never add a tag. */
#include "fuzz.h"

#include "echo.h"
#include "utf8.h"

#include <gnutls/gnutls.h>

static void check_text(const uint8_t *data, size_t size)
{
    json_t *text = echo_json_text((const char *)data, size);
    FUZZ_ASSERT(json_is_string(text));
    const char *value = json_string_value(text);
    size_t length = json_string_length(text);
    if (utf8_valid(data, size) && !memchr(data, '\0', size)) {
        FUZZ_ASSERT(length == size && memcmp(value, data, size) == 0); /* text stays as is */
    } else {
        FUZZ_ASSERT(strlen(value) == length); /* NUL was escaped like other non-text bytes */
        FUZZ_ASSERT(utf8_valid(value, length));
    }
    json_decref(text);
}

static void check_base64(const uint8_t *data, size_t size)
{
    json_t *encoded = echo_base64((const char *)data, size);
    FUZZ_ASSERT(json_is_string(encoded));
    FUZZ_ASSERT(json_string_length(encoded) == (size + 2) / 3 * 4);
    gnutls_datum_t in = { (unsigned char *)json_string_value(encoded),
                          (unsigned)json_string_length(encoded) };
    gnutls_datum_t out = { NULL, 0 };
    if (size) {
        FUZZ_ASSERT(gnutls_base64_decode2(&in, &out) == GNUTLS_E_SUCCESS);
        FUZZ_ASSERT(out.size == size && memcmp(out.data, data, size) == 0);
        gnutls_free(out.data);
    }
    json_decref(encoded);
}

/* value with the same shape, every key and string replaced by harmless text. */
static json_t *skeleton(const json_t *value)
{
    if (json_is_string(value))
        return json_string("x");
    if (json_is_array(value)) {
        json_t *copy = json_array();
        size_t i;
        json_t *item;
        json_array_foreach((json_t *)value, i, item) {
            json_array_append_new(copy, skeleton(item));
        }
        return copy;
    }
    if (json_is_object(value)) {
        json_t *copy = json_object();
        size_t i = 0;
        const char *key;
        json_t *item;
        json_object_foreach((json_t *)value, key, item) {
            char name[32];
            snprintf(name, sizeof name, "k%zu", i++);
            json_object_set_new(copy, name, skeleton(item));
        }
        return copy;
    }
    return json_deep_copy(value);
}

static size_t count_byte(const char *text, size_t length, char c)
{
    size_t n = 0;
    for (size_t i = 0; i < length; i++)
        n += text[i] == c;
    return n;
}

static void check_rendering(json_t *echo)
{
    size_t length = 0;
    char *json = echo_render_json(echo, &length);
    FUZZ_ASSERT(json != NULL && length >= 1 && json[length - 1] == '\n');
    json_error_t error;
    json_t *read_back = json_loadb(json, length - 1, JSON_DECODE_ANY | JSON_ALLOW_NUL, &error);
    FUZZ_ASSERT(read_back != NULL && json_equal(read_back, echo));
    json_decref(read_back);
    free(json);

    size_t html_length = 0, plain_length = 0;
    char *html = echo_render_html(echo, &html_length);
    json_t *plain_echo = skeleton(echo);
    char *plain = echo_render_html(plain_echo, &plain_length);
    FUZZ_ASSERT(html != NULL && plain != NULL);
    FUZZ_ASSERT(count_byte(html, html_length, '<') == count_byte(plain, plain_length, '<'));
    FUZZ_ASSERT(count_byte(html, html_length, '>') == count_byte(plain, plain_length, '>'));
    FUZZ_ASSERT(count_byte(html, html_length, '"') == count_byte(plain, plain_length, '"'));
    free(plain);
    json_decref(plain_echo);
    free(html);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_text(data, size);
    check_base64(data, size);
    json_t *form = echo_parse_form((const char *)data, size);
    FUZZ_ASSERT(json_is_object(form));
    json_error_t error;
    json_t *parsed = json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, &error);
    json_t *echo = json_pack("{s:o, s:o, s:o}", "body", echo_json_text((const char *)data, size),
                             "form", form, "json", parsed ? parsed : json_null());
    FUZZ_ASSERT(echo != NULL);
    check_rendering(echo);
    json_decref(echo);
    return 0;
}
