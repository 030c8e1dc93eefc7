#include "catalog.h"

#include "assets.h"
#include "strbuf.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CATALOG_PREFIX "catalog/"
#define CLASSES_FILE "catalog/classes.json"
#define MAX_CODE 999

static struct {
    json_t **documents;            /* parsed files, kept: entries point into them */
    size_t document_count;
    struct catalog_entry *entries; /* sorted by (code, sub) */
    size_t entry_count;
    struct catalog_class classes[10];
    const struct catalog_entry *by_code[MAX_CODE + 1];
    char *subs_list[MAX_CODE + 1];
    char *json;
    size_t json_length;
} catalog;

/* Where validation stands, so one error message can name file, entry and field. */
struct checker {
    const char *file;
    size_t index;
    long code;
    char *error;
    size_t error_size;
    bool failed;
};

static void check_fail(struct checker *c, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

static void check_fail(struct checker *c, const char *format, ...)
{
    if (c->failed)
        return;
    c->failed = true;
    int n = snprintf(c->error, c->error_size, "%s: entry %zu (code %ld): ", c->file, c->index,
                     c->code);
    if (n < 0 || (size_t)n >= c->error_size)
        return;
    va_list args;
    va_start(args, format);
    vsnprintf(c->error + n, c->error_size - (size_t)n, format, args);
    va_end(args);
}

static const char *check_string(struct checker *c, json_t *object, const char *field,
                                bool nullable)
{
    json_t *value = json_object_get(object, field);
    if (nullable && (!value || json_is_null(value)))
        return NULL;
    if (!json_is_string(value) || json_string_length(value) == 0) {
        check_fail(c, "field '%s' must be a non-empty string%s", field,
                   nullable ? " or null" : "");
        return NULL;
    }
    const char *s = json_string_value(value);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20) {
            check_fail(c, "field '%s' holds a control byte", field);
            return NULL;
        }
    return s;
}

static void check_text(struct checker *c, json_t *object, const char *language,
                       struct catalog_text *text)
{
    json_t *block = json_object_get(object, language);
    if (!json_is_object(block)) {
        check_fail(c, "field '%s' must be an object with title, meaning and advice", language);
        return;
    }
    text->title = check_string(c, block, "title", false);
    text->meaning = check_string(c, block, "meaning", false);
    text->advice = check_string(c, block, "advice", false);
}

static const struct catalog_header *check_headers(struct checker *c, json_t *object,
                                                  size_t *count)
{
    json_t *list = json_object_get(object, "headers");
    *count = 0;
    if (!json_is_array(list)) {
        check_fail(c, "field 'headers' must be an array");
        return NULL;
    }
    if (json_array_size(list) == 0)
        return NULL;
    struct catalog_header *headers = calloc(json_array_size(list), sizeof *headers);
    if (!headers) {
        check_fail(c, "out of memory");
        return NULL;
    }
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item) {
        headers[i].name = check_string(c, item, "name", false);
        headers[i].value = check_string(c, item, "value", false);
        headers[i].why[LANGUAGE_EN] = check_string(c, item, "en", false);
        headers[i].why[LANGUAGE_ZH] = check_string(c, item, "zh", false);
    }
    *count = json_array_size(list);
    return headers;
}

/* The optional "examples" and "links" of an entry: the curl lines and browser links of its
 * /codes/ page, with the code's own facts rather than in a second table in pages.c. */
static void check_examples(struct checker *c, json_t *object, struct catalog_entry *entry)
{
    json_t *list = json_object_get(object, "examples");
    if (list && (!json_is_array(list) || json_array_size(list) > CATALOG_MAX_EXAMPLES)) {
        check_fail(c, "field 'examples' must be an array of at most %d", CATALOG_MAX_EXAMPLES);
        return;
    }
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item) {
        struct catalog_example *e = &entry->examples[i];
        e->command = check_string(c, item, "command", false);
        e->statuses = check_string(c, item, "statuses", false);
        e->why[LANGUAGE_EN] = check_string(c, item, "en", false);
        e->why[LANGUAGE_ZH] = check_string(c, item, "zh", false);
    }
    entry->example_count = list ? json_array_size(list) : 0;
    list = json_object_get(object, "links");
    if (list && (!json_is_array(list) || json_array_size(list) > CATALOG_MAX_LINKS)) {
        check_fail(c, "field 'links' must be an array of at most %d", CATALOG_MAX_LINKS);
        return;
    }
    json_array_foreach(list, i, item) {
        struct catalog_link *l = &entry->links[i];
        l->url = check_string(c, item, "url", false);
        if (l->url && l->url[0] != '/')
            check_fail(c, "field 'links.url' must be a path on this server");
        l->why[LANGUAGE_EN] = check_string(c, item, "en", false);
        l->why[LANGUAGE_ZH] = check_string(c, item, "zh", false);
    }
    entry->link_count = list ? json_array_size(list) : 0;
}

static enum persistence check_persistence(struct checker *c, json_t *object, unsigned code)
{
    const char *value = check_string(c, object, "persistence", true);
    /* 304 is neither: it is not a redirect to keep or forget, nor a failure to retry. */
    bool needed = code >= 300 && code < 600 && code != 304;
    if (!value) {
        if (needed)
            check_fail(c, "field 'persistence' must be \"temporary\" or \"permanent\" for %uxx "
                       "(but 304)", code / 100);
        return PERSISTENCE_NONE;
    }
    if (strcmp(value, "temporary") == 0)
        return PERSISTENCE_TEMPORARY;
    if (strcmp(value, "permanent") == 0)
        return PERSISTENCE_PERMANENT;
    check_fail(c, "field 'persistence' must be \"temporary\", \"permanent\" or null");
    return PERSISTENCE_NONE;
}

/* A vendor name as ?vendor= takes it: 1-32 lowercase letters and digits. */
static const char *check_vendor(struct checker *c, json_t *object, bool required)
{
    const char *vendor = check_string(c, object, "vendor", !required);
    if (!vendor)
        return NULL;
    size_t n = strlen(vendor);
    bool valid = n <= 32;
    for (const char *p = vendor; *p; p++)
        valid = valid && ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'));
    if (!valid)
        check_fail(c, "field 'vendor' must be 1-32 lowercase letters and digits");
    return vendor;
}

/* The source, persistence and texts every meaning has, the entry's own or another's. */
static void check_meaning(struct checker *c, json_t *object, struct catalog_entry *entry)
{
    entry->reason = check_string(c, object, "reason", false);
    json_t *official = json_object_get(object, "official");
    if (!json_is_boolean(official))
        check_fail(c, "field 'official' must be true or false");
    entry->official = json_is_true(official);
    json_t *source = json_object_get(object, "source");
    if (!json_is_object(source)) {
        check_fail(c, "field 'source' must be an object with name, section and url");
        return;
    }
    entry->source_name = check_string(c, source, "name", false);
    entry->source_section = check_string(c, source, "section", true);
    entry->source_url = check_string(c, source, "url", false);
    if (entry->source_url && strncmp(entry->source_url, "https://", 8) != 0)
        check_fail(c, "field 'source.url' must start with https://");
    entry->persistence = check_persistence(c, object, entry->code);
    check_text(c, object, "en", &entry->text[LANGUAGE_EN]);
    check_text(c, object, "zh", &entry->text[LANGUAGE_ZH]);
}

/* "also": the other vendors' meanings of the entry's number. Each names its vendor, and so
 * must the entry itself, so that ?vendor= can pick any of them. */
static void check_also(struct checker *c, json_t *object, struct catalog_entry *entry)
{
    json_t *list = json_object_get(object, "also");
    if (!list)
        return;
    if (!json_is_array(list) || json_array_size(list) == 0 || json_array_size(list) > 4) {
        check_fail(c, "field 'also' must be an array of 1 to 4 meanings");
        return;
    }
    if (!entry->vendor) {
        check_fail(c, "an entry with 'also' must name its own 'vendor'");
        return;
    }
    struct catalog_entry *also = calloc(json_array_size(list), sizeof *also);
    if (!also) {
        check_fail(c, "out of memory");
        return;
    }
    entry->also = also;
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item) {
        struct catalog_entry *a = &also[i];
        a->code = entry->code;
        a->sub = entry->sub;
        a->vendor = check_vendor(c, item, true);
        check_meaning(c, item, a);
        if (a->official)
            check_fail(c, "another vendor's meaning ('also') cannot be official");
        for (size_t j = 0; a->vendor && j < i; j++)
            if (strcmp(also[j].vendor, a->vendor) == 0)
                check_fail(c, "vendor '%s' is listed twice", a->vendor);
        if (a->vendor && strcmp(a->vendor, entry->vendor) == 0)
            check_fail(c, "vendor '%s' is the entry's own", a->vendor);
        entry->also_count = i + 1;
    }
}

static void check_entry(struct checker *c, json_t *object, struct catalog_entry *entry)
{
    if (!json_is_object(object)) {
        check_fail(c, "an entry must be an object");
        return;
    }
    json_t *code = json_object_get(object, "code");
    if (!json_is_integer(code) || json_integer_value(code) < 100 ||
        json_integer_value(code) > MAX_CODE) {
        check_fail(c, "field 'code' must be an integer from 100 to 999");
        return;
    }
    c->code = (long)json_integer_value(code);
    entry->code = (unsigned)c->code;
    json_t *sub = json_object_get(object, "sub");
    if (sub && !json_is_null(sub)) {
        if (!json_is_integer(sub) || json_integer_value(sub) < 1 ||
            json_integer_value(sub) > 999) {
            check_fail(c, "field 'sub' must be null or an integer from 1 to 999");
            return;
        }
        entry->sub = (unsigned)json_integer_value(sub);
    }
    check_meaning(c, object, entry);
    entry->headers = check_headers(c, object, &entry->header_count);
    check_examples(c, object, entry);
    entry->vendor = check_vendor(c, object, false);
    check_also(c, object, entry);
}

static void check_class(struct checker *c, json_t *object)
{
    json_t *digit = json_object_get(object, "class");
    if (!json_is_integer(digit) || json_integer_value(digit) < 1 ||
        json_integer_value(digit) > 9) {
        check_fail(c, "field 'class' must be an integer from 1 to 9");
        return;
    }
    struct catalog_class *class = &catalog.classes[json_integer_value(digit)];
    class->digit = (unsigned)json_integer_value(digit);
    class->range = check_string(c, object, "range", false);
    class->official = json_is_true(json_object_get(object, "official"));
    check_text(c, object, "en", &class->text[LANGUAGE_EN]);
    check_text(c, object, "zh", &class->text[LANGUAGE_ZH]);
}

static json_t *parse_asset(const struct asset *asset, struct checker *c)
{
    json_error_t parse_error;
    json_t *document = json_loadb((const char *)asset->data, asset->size, 0, &parse_error);
    if (!document) {
        snprintf(c->error, c->error_size, "%s: line %d: %s", asset->name, parse_error.line,
                 parse_error.text);
        c->failed = true;
        return NULL;
    }
    json_t **grown = realloc(catalog.documents,
                             (catalog.document_count + 1) * sizeof *catalog.documents);
    if (!grown) {
        json_decref(document);
        check_fail(c, "out of memory");
        return NULL;
    }
    catalog.documents = grown;
    catalog.documents[catalog.document_count++] = document;
    if (!json_is_array(document)) {
        snprintf(c->error, c->error_size, "%s: the file must hold a JSON array", asset->name);
        c->failed = true;
        return NULL;
    }
    return document;
}

static int compare_entries(const void *a, const void *b)
{
    const struct catalog_entry *x = a, *y = b;
    if (x->code != y->code)
        return x->code < y->code ? -1 : 1;
    return x->sub < y->sub ? -1 : x->sub > y->sub;
}

static bool load_entries(struct checker *c, const struct asset *files)
{
    size_t total = 0;
    for (const struct asset *a = files; a->name; a++) {
        if (strncmp(a->name, CATALOG_PREFIX, strlen(CATALOG_PREFIX)) != 0 ||
            strcmp(a->name, CLASSES_FILE) == 0)
            continue;
        json_t *document = parse_asset(a, c);
        if (!document)
            return false;
        struct catalog_entry *grown = realloc(
            catalog.entries, (total + json_array_size(document)) * sizeof *catalog.entries);
        if (!grown) {
            check_fail(c, "out of memory");
            return false;
        }
        catalog.entries = grown;
        c->file = a->name;
        size_t i;
        json_t *item;
        json_array_foreach(document, i, item) {
            c->index = i;
            c->code = 0;
            catalog.entries[total] = (struct catalog_entry){ 0 };
            check_entry(c, item, &catalog.entries[total]);
            total++;
            catalog.entry_count = total;
            if (c->failed)
                return false;
        }
    }
    if (total == 0) {
        snprintf(c->error, c->error_size, "no catalogue files under static/" CATALOG_PREFIX);
        return false;
    }
    qsort(catalog.entries, total, sizeof *catalog.entries, compare_entries);
    return true;
}

static bool index_entries(struct checker *c)
{
    for (size_t i = 0; i < catalog.entry_count; i++) {
        struct catalog_entry *e = &catalog.entries[i];
        char key[16];
        if (e->sub)
            snprintf(key, sizeof key, "%u.%u", e->code, e->sub);
        else
            snprintf(key, sizeof key, "%u", e->code);
        e->key = strdup(key);
        if (!e->key) {
            check_fail(c, "out of memory");
            return false;
        }
        if (e->vendor) {
            struct strbuf vendors = { 0 };
            strbuf_append(&vendors, e->vendor);
            for (size_t a = 0; a < e->also_count; a++) {
                ((struct catalog_entry *)e->also)[a].key = e->key;
                strbuf_printf(&vendors, ", %s", e->also[a].vendor);
            }
            size_t ignored;
            e->vendors = strbuf_take(&vendors, &ignored);
            if (!e->vendors) {
                check_fail(c, "out of memory");
                return false;
            }
        }
        if (i > 0 && compare_entries(e, &catalog.entries[i - 1]) == 0) {
            snprintf(c->error, c->error_size, "code %s is listed twice in the catalogue", key);
            c->failed = true;
            return false;
        }
        if (!e->sub) {
            catalog.by_code[e->code] = e;
            continue;
        }
        /* Sub-statuses follow their parent in sorted order, so a list is built in one pass. */
        struct strbuf list = { 0 };
        if (catalog.subs_list[e->code]) {
            strbuf_append(&list, catalog.subs_list[e->code]);
            strbuf_append(&list, ", ");
            free(catalog.subs_list[e->code]);
        }
        strbuf_append(&list, key);
        size_t ignored;
        catalog.subs_list[e->code] = strbuf_take(&list, &ignored);
    }
    for (size_t i = 0; i < catalog.entry_count; i++)
        if (catalog.entries[i].sub && !catalog.by_code[catalog.entries[i].code]) {
            snprintf(c->error, c->error_size, "sub-status %s has no entry for its code %u",
                     catalog.entries[i].key, catalog.entries[i].code);
            return false;
        }
    return true;
}

static bool load_classes(struct checker *c, const struct asset *files)
{
    const struct asset *a = files;
    while (a->name && strcmp(a->name, CLASSES_FILE) != 0)
        a++;
    if (!a->name) {
        snprintf(c->error, c->error_size, "static/%s is missing", CLASSES_FILE);
        return false;
    }
    json_t *document = parse_asset(a, c);
    if (!document)
        return false;
    c->file = a->name;
    size_t i;
    json_t *item;
    json_array_foreach(document, i, item) {
        c->index = i;
        check_class(c, item);
        if (c->failed)
            return false;
    }
    for (unsigned digit = 1; digit <= 9; digit++)
        if (!catalog.classes[digit].range) {
            snprintf(c->error, c->error_size, "%s: class %ux is missing", a->name, digit);
            return false;
        }
    return true;
}

static json_t *text_json(const struct catalog_text *text)
{
    return json_pack("{s:s, s:s, s:s}", "title", text->title, "meaning", text->meaning, "advice",
                     text->advice);
}

/* /codes.json: the files merged, with the derived fields (key, class) a client would
 * otherwise recompute. */
static bool build_json(struct checker *c)
{
    json_t *codes = json_array();
    for (size_t i = 0; i < catalog.entry_count; i++) {
        const struct catalog_entry *e = &catalog.entries[i];
        json_t *headers = json_array();
        for (size_t h = 0; h < e->header_count; h++)
            json_array_append_new(headers,
                                  json_pack("{s:s, s:s, s:s, s:s}", "name", e->headers[h].name,
                                            "value", e->headers[h].value, "en",
                                            e->headers[h].why[LANGUAGE_EN], "zh",
                                            e->headers[h].why[LANGUAGE_ZH]));
        static const char *const persistence_names[] = { NULL, "temporary", "permanent" };
        json_t *entry = json_pack(
            "{s:s, s:i, s:o, s:s, s:s, s:b, s:{s:s, s:s?, s:s}, s:s?, s:o, s:o, s:o}",
            "key", e->key, "code", (int)e->code, "sub", e->sub ? json_integer(e->sub) : json_null(),
            "reason", e->reason, "class", catalog_class_of(e->code)->range, "official", e->official,
            "source", "name", e->source_name, "section", e->source_section, "url", e->source_url,
            "persistence", persistence_names[e->persistence], "zh", text_json(&e->text[LANGUAGE_ZH]),
            "en", text_json(&e->text[LANGUAGE_EN]), "headers", headers);
        if (!entry) {
            json_decref(codes);
            check_fail(c, "could not build /codes.json");
            return false;
        }
        if (e->vendor)
            json_object_set_new(entry, "vendor", json_string(e->vendor));
        if (e->also_count) {
            json_t *also = json_array();
            for (size_t a = 0; a < e->also_count; a++) {
                const struct catalog_entry *m = &e->also[a];
                json_array_append_new(
                    also, json_pack("{s:s, s:s, s:b, s:{s:s, s:s?, s:s}, s:s?, s:o, s:o}",
                                    "vendor", m->vendor, "reason", m->reason, "official",
                                    m->official, "source", "name", m->source_name, "section",
                                    m->source_section, "url", m->source_url, "persistence",
                                    persistence_names[m->persistence], "zh",
                                    text_json(&m->text[LANGUAGE_ZH]), "en",
                                    text_json(&m->text[LANGUAGE_EN])));
            }
            json_object_set_new(entry, "also", also);
        }
        char url[64];
        snprintf(url, sizeof url, "/status/%s", e->key);
        json_object_set_new(entry, "status_url", json_string(url));
        snprintf(url, sizeof url, "/codes/%s", e->key);
        json_object_set_new(entry, "explain_url", json_string(url));
        json_array_append_new(codes, entry);
    }
    json_t *classes = json_array();
    for (unsigned digit = 1; digit <= 9; digit++) {
        const struct catalog_class *k = &catalog.classes[digit];
        json_array_append_new(classes, json_pack("{s:i, s:s, s:b, s:o, s:o}", "class", digit,
                                                 "range", k->range, "official", k->official, "zh",
                                                 text_json(&k->text[LANGUAGE_ZH]), "en",
                                                 text_json(&k->text[LANGUAGE_EN])));
    }
    json_t *root = json_pack("{s:s, s:o, s:o}", "server", "statusd/" STATUSD_VERSION, "classes",
                             classes, "codes", codes);
    catalog.json = root ? json_dumps(root, JSON_INDENT(1)) : NULL;
    json_decref(root);
    if (!catalog.json) {
        check_fail(c, "could not build /codes.json");
        return false;
    }
    catalog.json_length = strlen(catalog.json);
    return true;
}

bool catalog_load(char *error, size_t error_size)
{
    return catalog_load_from(assets, error, error_size);
}

bool catalog_load_from(const struct asset *files, char *error, size_t error_size)
{
    struct checker c = { .file = "catalog", .error = error, .error_size = error_size };
    error[0] = '\0';
    bool ok = load_classes(&c, files) && load_entries(&c, files) && index_entries(&c) &&
              build_json(&c);
    if (!ok)
        catalog_unload();
    return ok;
}

void catalog_unload(void)
{
    for (size_t i = 0; i < catalog.entry_count; i++) {
        free((void *)catalog.entries[i].headers);
        free((void *)catalog.entries[i].key);
        free((void *)catalog.entries[i].also);
        free((void *)catalog.entries[i].vendors);
    }
    for (size_t i = 0; i < catalog.document_count; i++)
        json_decref(catalog.documents[i]);
    for (size_t code = 0; code <= MAX_CODE; code++)
        free(catalog.subs_list[code]);
    free(catalog.documents);
    free(catalog.entries);
    free(catalog.json);
    memset(&catalog, 0, sizeof catalog);
}

const struct catalog_entry *catalog_find(unsigned code, unsigned sub)
{
    if (code > MAX_CODE)
        return NULL;
    const struct catalog_entry *parent = catalog.by_code[code];
    if (!sub || !parent)
        return parent;
    for (const struct catalog_entry *e = parent + 1;
         e < catalog.entries + catalog.entry_count && e->code == code; e++)
        if (e->sub == sub)
            return e;
    return NULL;
}

const struct catalog_class *catalog_class_of(unsigned code)
{
    unsigned digit = code / 100;
    return digit >= 1 && digit <= 9 ? &catalog.classes[digit] : NULL;
}

const char *catalog_reason(unsigned code)
{
    const struct catalog_entry *entry = catalog_find(code, 0);
    if (entry && entry->reason)
        return entry->reason;
    const struct catalog_class *class = catalog_class_of(code);
    if (class && class->text[LANGUAGE_EN].title)
        return class->text[LANGUAGE_EN].title;
    return "Unknown";
}

size_t catalog_count(void)
{
    return catalog.entry_count;
}

const struct catalog_entry *catalog_at(size_t index)
{
    return index < catalog.entry_count ? &catalog.entries[index] : NULL;
}

const char *catalog_subs_list(unsigned code)
{
    return code <= MAX_CODE && catalog.subs_list[code] ? catalog.subs_list[code] : "";
}

const char *catalog_json(size_t *length)
{
    *length = catalog.json_length;
    return catalog.json;
}

const struct catalog_header *catalog_header(const struct catalog_entry *entry, const char *name)
{
    for (size_t i = 0; entry && i < entry->header_count; i++)
        if (strcasecmp(entry->headers[i].name, name) == 0)
            return &entry->headers[i];
    return NULL;
}

bool status_has_content(unsigned code)
{
    return code >= 200 && code != 204 && code != 205 && code != 304;
}

bool status_is_redirect(unsigned code)
{
    return code == 301 || code == 302 || code == 303 || status_keeps_method(code);
}

bool status_keeps_method(unsigned code)
{
    return code == 307 || code == 308;
}

const struct catalog_entry *catalog_find_vendor(unsigned code, unsigned sub, const char *vendor)
{
    const struct catalog_entry *e = catalog_find(code, sub);
    if (!e || !e->vendor)
        return NULL;
    if (strcasecmp(e->vendor, vendor) == 0)
        return e;
    for (size_t i = 0; i < e->also_count; i++)
        if (strcasecmp(e->also[i].vendor, vendor) == 0)
            return &e->also[i];
    return NULL;
}
