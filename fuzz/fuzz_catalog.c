/* The catalogue loader (src/catalog/catalog.c) on arbitrary bytes: the first input byte says which
 * file they replace, classes.json (bit 0 set) or the one file of entries; the other file is
 * a small good one. A load either fails with a message, leaving nothing loaded, or succeeds
 * with a catalogue every other module can trust blindly: sorted, unique, complete, with text
 * that holds no control byte, and a /codes.json that is JSON. */
#include "fuzz.h"

#include "assets.h"
#include "catalog.h"

#include <jansson.h>

#define ERROR_SIZE 256

/* ", {class digit}": one class of the small classes.json below. */
#define CLASS(digit)                                                                      \
    ", {\"class\": " #digit ", \"range\": \"" #digit "xx\", \"official\": false,"          \
    " \"en\": {\"title\": \"t\", \"meaning\": \"m\", \"advice\": \"a\"},"                  \
    " \"zh\": {\"title\": \"t\", \"meaning\": \"m\", \"advice\": \"a\"}}"

/* Nine classes with one-letter texts: the real classes.json is 11 KB of prose, and parsing
 * it for every input would cost most of the run. */
static const char good_classes[] =
    "[{\"class\": 1, \"range\": \"1xx\", \"official\": true,"
    " \"en\": {\"title\": \"t\", \"meaning\": \"m\", \"advice\": \"a\"},"
    " \"zh\": {\"title\": \"t\", \"meaning\": \"m\", \"advice\": \"a\"}}"
    CLASS(2) CLASS(3) CLASS(4) CLASS(5) CLASS(6) CLASS(7) CLASS(8) CLASS(9) "]";

/* One entry with a header and one sub-status, enough for classes.json to be judged alone. */
static const char good_entries[] =
    "[{\"code\": 401, \"sub\": null, \"reason\": \"Unauthorized\", \"official\": true,"
    " \"source\": {\"name\": \"RFC 9110\", \"section\": \"15.5.2\","
    " \"url\": \"https://www.rfc-editor.org/rfc/rfc9110\"}, \"persistence\": \"temporary\","
    " \"en\": {\"title\": \"t\", \"meaning\": \"m\", \"advice\": \"a\"},"
    " \"zh\": {\"title\": \"t\", \"meaning\": \"m\", \"advice\": \"a\"},"
    " \"headers\": [{\"name\": \"WWW-Authenticate\", \"value\": \"Basic realm=\\\"x\\\"\","
    " \"en\": \"e\", \"zh\": \"z\"}]},"
    " {\"code\": 401, \"sub\": 1, \"reason\": \"Logon failed\", \"official\": false,"
    " \"source\": {\"name\": \"IIS\", \"section\": null, \"url\": \"https://example.com\"},"
    " \"persistence\": \"temporary\","
    " \"en\": {\"title\": \"t\", \"meaning\": \"m\", \"advice\": \"a\"},"
    " \"zh\": {\"title\": \"t\", \"meaning\": \"m\", \"advice\": \"a\"}, \"headers\": []}]";

static void check_text(const char *text)
{
    FUZZ_ASSERT(text != NULL && text[0] != '\0');
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        FUZZ_ASSERT(*p >= 0x20);
}

static void check_entry(const struct catalog_entry *e, const struct catalog_entry *previous)
{
    FUZZ_ASSERT(e->code >= 100 && e->code <= 999 && e->sub <= 999);
    if (previous) /* sorted, and no key twice */
        FUZZ_ASSERT(previous->code < e->code ||
                    (previous->code == e->code && previous->sub < e->sub));
    char key[16];
    if (e->sub)
        snprintf(key, sizeof key, "%u.%u", e->code, e->sub);
    else
        snprintf(key, sizeof key, "%u", e->code);
    FUZZ_ASSERT(e->key && strcmp(e->key, key) == 0);
    FUZZ_ASSERT(catalog_find(e->code, e->sub) == e);
    if (e->sub) { /* a sub-status always has its code's entry, and is listed with it */
        FUZZ_ASSERT(catalog_find(e->code, 0) != NULL);
        FUZZ_ASSERT(strstr(catalog_subs_list(e->code), key) != NULL);
    }
    check_text(e->reason);
    check_text(e->source_name);
    check_text(e->source_url);
    FUZZ_ASSERT(strncmp(e->source_url, "https://", 8) == 0);
    if (e->source_section)
        check_text(e->source_section);
    /* 304 may have none: it is neither a redirect to keep nor a failure to retry. */
    if (e->code >= 300 && e->code < 600 && e->code != 304)
        FUZZ_ASSERT(e->persistence != PERSISTENCE_NONE);
    for (int l = 0; l < LANGUAGE_COUNT; l++) {
        check_text(e->text[l].title);
        check_text(e->text[l].meaning);
        check_text(e->text[l].advice);
    }
    FUZZ_ASSERT((e->headers == NULL) == (e->header_count == 0));
    for (size_t h = 0; h < e->header_count; h++) {
        check_text(e->headers[h].name);
        check_text(e->headers[h].value);
        check_text(e->headers[h].why[LANGUAGE_EN]);
        check_text(e->headers[h].why[LANGUAGE_ZH]);
        FUZZ_ASSERT(catalog_header(e, e->headers[h].name) != NULL);
    }
    FUZZ_ASSERT(catalog_class_of(e->code) != NULL);
}

static void check_loaded(void)
{
    size_t count = catalog_count();
    FUZZ_ASSERT(count >= 1);
    for (size_t i = 0; i < count; i++)
        check_entry(catalog_at(i), i ? catalog_at(i - 1) : NULL);
    FUZZ_ASSERT(catalog_at(count) == NULL);
    for (unsigned digit = 1; digit <= 9; digit++) {
        const struct catalog_class *class = catalog_class_of(digit * 100);
        FUZZ_ASSERT(class && class->digit == digit);
        check_text(class->range);
        for (int l = 0; l < LANGUAGE_COUNT; l++) {
            check_text(class->text[l].title);
            check_text(class->text[l].meaning);
            check_text(class->text[l].advice);
        }
    }
    size_t length = 0;
    const char *text = catalog_json(&length);
    FUZZ_ASSERT(text && strlen(text) == length);
    json_error_t error;
    json_t *json = json_loadb(text, length, 0, &error);
    FUZZ_ASSERT(json != NULL);
    FUZZ_ASSERT(json_array_size(json_object_get(json, "codes")) == count);
    FUZZ_ASSERT(json_array_size(json_object_get(json, "classes")) == 9);
    json_decref(json);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    bool replaces_classes = data[0] & 1;
    /* Assets are NUL-terminated (assets.h), and exactly that long. */
    char *input = fuzz_string(data + 1, size - 1);
    struct asset files[3] = {
        { "catalog/classes.json", (const unsigned char *)good_classes, sizeof good_classes - 1 },
        { "catalog/fuzz.json", (const unsigned char *)good_entries, sizeof good_entries - 1 },
        { NULL, NULL, 0 },
    };
    files[replaces_classes ? 0 : 1].data = (const unsigned char *)input;
    files[replaces_classes ? 0 : 1].size = size - 1;
    char *error = malloc(ERROR_SIZE);
    FUZZ_ASSERT(error != NULL);
    if (catalog_load_from(files, error, ERROR_SIZE)) {
        check_loaded();
    } else {
        /* The message names what is wrong, and a failed load leaves nothing behind. */
        FUZZ_ASSERT(memchr(error, '\0', ERROR_SIZE) != NULL && error[0] != '\0');
        FUZZ_ASSERT(catalog_count() == 0);
    }
    catalog_unload();
    FUZZ_ASSERT(catalog_count() == 0 && catalog_find(401, 0) == NULL);
    free(error);
    free(input);
    return 0;
}
