/* The {code} part of /status/{code}: one code ("404"), an IIS sub-status ("403.4", or "500-13"
 * as the seed documents write it), a range of codes ("500-504"), a list picked uniformly
 * ("200,500-504") or by weight ("200:9,500:1", "200,500-504:3"). A weight on a range is every
 * code's: 500-504:3 is 500:3,501:3,502:3,503:3,504:3. A range is one item, whatever its
 * length, so a list stays within CODELIST_MAX items. */
#ifndef STATUSD_CODELIST_H
#define STATUSD_CODELIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CODELIST_MAX 64

struct code_choice {
    unsigned code; /* 100-999 */
    unsigned last; /* the last code of a range ("500-504": 504), code itself otherwise */
    unsigned sub;  /* 0 for none */
    double weight; /* 1 unless given */
};

struct code_list {
    struct code_choice items[CODELIST_MAX];
    size_t count;
};

enum codelist_error {
    CODELIST_OK,
    CODELIST_SYNTAX,       /* not digits, or an empty item */
    CODELIST_RANGE,        /* a code outside 100-999 */
    CODELIST_TOO_MANY,     /* more than CODELIST_MAX items */
    CODELIST_WEIGHT,       /* a weight that is not a number >= 0 */
    CODELIST_ZERO_WEIGHTS, /* every weight is 0 */
};

/* Parses spec into list. Codes are exactly three digits; a weight is a decimal number >= 0
 * (at most 1e9). On error, *bad_item is the 0-based position of the offending item. */
enum codelist_error codelist_parse(const char *spec, struct code_list *list, size_t *bad_item);

/* The code chosen by a random number in [0, 1), by weight, uniformly inside a range: a copy of
 * its item with code (and last) set to the one code picked. */
struct code_choice codelist_pick(const struct code_list *list, double random);

/* A number in [0, 1) that depends only on (spec, seed): ?seed= makes picks reproducible. */
double codelist_seeded_random(const char *spec, uint64_t seed);
/* A number in [0, 1) from a per-thread generator. */
double codelist_random(void);

#endif
