#include "status_cache.h"

#include "catalog.h"

#include <stdlib.h>

#define FIRST_CODE 100
#define LAST_CODE 999
#define VARIANTS (FORMAT_COUNT * LANGUAGES_COUNT * STATUS_CACHE_CODINGS)

/* One slot per (code or catalogue entry, format, languages, coding). Plain codes are indexed by
 * number; sub-statuses by their catalogue position, after the plain codes. */
static struct once *slots;
static size_t slot_count;

bool status_cache_init(void)
{
    slot_count = ((LAST_CODE - FIRST_CODE + 1) + catalog_count()) * VARIANTS;
    slots = calloc(slot_count, sizeof *slots);
    return slots != NULL;
}

void status_cache_free(void)
{
    for (size_t i = 0; i < slot_count; i++)
        once_clear(&slots[i], status_cache_entry_free);
    free(slots);
    slots = NULL;
    slot_count = 0;
}

void status_cache_entry_free(void *entry)
{
    struct status_cache_entry *e = entry;
    MHD_destroy_response(e->response);
    free(e->frozen);
    free(e);
}

struct once *status_cache_slot(unsigned code, unsigned sub, enum format format,
                               enum languages languages, unsigned coding)
{
    if (!slots || code < FIRST_CODE || code > LAST_CODE)
        return NULL;
    size_t index = code - FIRST_CODE;
    if (sub) {
        const struct catalog_entry *entry = catalog_find(code, sub);
        if (!entry)
            return NULL;
        index = (LAST_CODE - FIRST_CODE + 1) + (size_t)(entry - catalog_at(0));
    }
    if (coding >= STATUS_CACHE_CODINGS)
        return NULL;
    size_t variant = ((size_t)format * LANGUAGES_COUNT + (size_t)languages) * STATUS_CACHE_CODINGS +
                     coding;
    return &slots[index * VARIANTS + variant];
}
