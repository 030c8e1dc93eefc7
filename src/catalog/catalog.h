/* The status catalogue: every code statusd can explain, loaded once at start-up from the JSON
 * files in static/catalog/ (embedded in the binary) and validated field by field. */
#ifndef STATUSD_CATALOG_H
#define STATUSD_CATALOG_H

#include <stdbool.h>
#include <stddef.h>

enum language { LANGUAGE_ZH, LANGUAGE_EN, LANGUAGE_COUNT };

enum persistence { PERSISTENCE_NONE, PERSISTENCE_TEMPORARY, PERSISTENCE_PERMANENT };

struct catalog_text {
    const char *title;
    const char *meaning;
    const char *advice;
};

/* A header the code carries on purpose. The value may hold a placeholder in braces
 * ({length}, {end}, {etag}, {methods}) that is filled in per response. */
struct catalog_header {
    const char *name;
    const char *value;
    const char *why[LANGUAGE_COUNT];
};

/* A command that shows the code for a reason (/codes/{code} lists them): the command, the
 * statuses it prints, and why, in both languages. */
struct catalog_example {
    const char *command;
    const char *statuses;
    const char *why[LANGUAGE_COUNT];
};

/* A URL to open in a browser for the code, and what it shows. */
struct catalog_link {
    const char *url;
    const char *why[LANGUAGE_COUNT];
};

#define CATALOG_MAX_EXAMPLES 4
#define CATALOG_MAX_LINKS 3

struct catalog_entry {
    unsigned code;
    unsigned sub;             /* IIS sub-status after the dot, 0 for none */
    const char *key;          /* "404" or "403.4": what /status/ and /codes/ take */
    const char *reason;
    bool official;
    const char *source_name;  /* "RFC 9110", "nginx", ... */
    const char *source_section; /* may be NULL */
    const char *source_url;
    enum persistence persistence;
    struct catalog_text text[LANGUAGE_COUNT];
    const struct catalog_header *headers;
    size_t header_count;
    /* What demonstrates the code beyond `curl -i /status/{code}` (optional fields). */
    struct catalog_example examples[CATALOG_MAX_EXAMPLES];
    size_t example_count;
    struct catalog_link links[CATALOG_MAX_LINKS];
    size_t link_count;
    /* Who uses the number this way, as ?vendor= names it ("twitter", "iis"), or NULL. */
    const char *vendor;
    /* Other vendors' meanings of the same number ("also" in the files): entries of their own
     * with the same code, sub and key, never official, carrying no headers of their own. */
    const struct catalog_entry *also;
    size_t also_count;
    /* "twitter, spring": every vendor name of this entry and its others, or NULL if none. */
    const char *vendors;
};

/* A class (1xx ... 9xx): what a code means when the catalogue has no entry for it. */
struct catalog_class {
    unsigned digit;           /* 1 for 1xx */
    const char *range;        /* "1xx" */
    bool official;
    struct catalog_text text[LANGUAGE_COUNT];
};

/* Loads and checks every catalogue file. On failure returns false with a message naming the
 * file, the entry and the field in error. */
bool catalog_load(char *error, size_t error_size);
/* The same from files other than the embedded ones (a list ending with a NULL name, as
 * assets[] does): how fuzz/fuzz_catalog.c feeds arbitrary bytes to the validation. */
struct asset;
bool catalog_load_from(const struct asset *files, char *error, size_t error_size);
void catalog_unload(void);

/* The entry for code (sub 0 = the code itself), or NULL. */
const struct catalog_entry *catalog_find(unsigned code, unsigned sub);
/* The meaning of code (sub) that vendor gives it (case-insensitive): the entry itself or one
 * of its others; NULL when no meaning of that number is vendor's. */
const struct catalog_entry *catalog_find_vendor(unsigned code, unsigned sub, const char *vendor);
/* The class of a code from 100 to 999. */
const struct catalog_class *catalog_class_of(unsigned code);
/* The reason phrase for a status line: the entry's reason, or its class's English title for an
 * uncatalogued code ("Client Error"), or "Unknown" outside 100-999. Never NULL, allocates
 * nothing: libmicrohttpd calls it for every response (src/daemon/reason.c). */
const char *catalog_reason(unsigned code);
/* Entries sorted by code, then sub-status. */
size_t catalog_count(void);
const struct catalog_entry *catalog_at(size_t index);
/* "401.1, 401.2, ..." : the known sub-statuses of code, or "" when it has none. */
const char *catalog_subs_list(unsigned code);
/* Facts RFC 9110 gives every code, catalogued or not, written once here.
 * status_has_content: false for 1xx, 204, 205 and 304, which never carry content (§6.4.1,
 * §15.3.6); status_is_redirect: 301, 302, 303, 307, 308, whose Location a client follows
 * (§15.4); status_keeps_method: 307 and 308, which forbid turning POST into GET. */
bool status_has_content(unsigned code);
bool status_is_redirect(unsigned code);
bool status_keeps_method(unsigned code);

/* The merged catalogue as served at /codes.json. */
const char *catalog_json(size_t *length);
/* The header of entry called name (case-insensitive), or NULL. */
const struct catalog_header *catalog_header(const struct catalog_entry *entry, const char *name);

#endif
