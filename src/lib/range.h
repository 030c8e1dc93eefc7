/* The Range request header (RFC 9110 §14.2), bytes unit only. */
#ifndef STATUSD_RANGE_H
#define STATUSD_RANGE_H

#include <stddef.h>
#include <stdint.h>

#define RANGE_MAX 16

struct byte_range {
    uint64_t first;
    uint64_t last; /* inclusive */
};

enum range_result {
    RANGE_IGNORED,       /* absent, another unit, or malformed: send the whole representation */
    RANGE_SATISFIABLE,   /* at least one range overlaps the representation */
    RANGE_UNSATISFIABLE, /* none does: 416 with Content-Range: bytes * / length */
};

/* Parses header against a representation of length bytes. Satisfiable ranges are clipped to
 * the representation and written to ranges (at most RANGE_MAX; more is treated as malformed,
 * as RFC 9110 §14.2 lets a server ignore a Range it finds abusive). */
enum range_result range_parse(const char *header, uint64_t length, struct byte_range *ranges,
                              size_t *count);

#endif
