/* Content negotiation: which representation (Accept) and which language order
 * (Accept-Language) a client gets. Pure functions over header values, so they are unit-tested
 * and fuzzed without a server. */
#ifndef STATUSD_NEGOTIATE_H
#define STATUSD_NEGOTIATE_H

#include "catalog.h"
#include "coding.h"

#include <stdbool.h>

enum format { FORMAT_TEXT, FORMAT_HTML, FORMAT_JSON, FORMAT_COUNT };

/* Both languages in either order, or just one. */
enum languages { LANGUAGES_ZH_EN, LANGUAGES_EN_ZH, LANGUAGES_ZH, LANGUAGES_EN, LANGUAGES_COUNT };

/* The best of text, HTML and JSON for an Accept value (NULL: no header). Highest q wins; among
 * equal q an exact type beats a wildcard, then the one the client listed first, then text.
 * When the client accepts none of them the default (text) is sent: RFC 9110 §12.5.1 allows
 * disregarding Accept, and an explanation the client did not ask for beats none. */
enum format negotiate_format(const char *accept);

/* Whether the client accepts format at all (q > 0); NULL accepts everything. */
bool negotiate_accepts(const char *accept, enum format format);

/* The q (0 to 1) an Accept value gives media_type (which must hold a '/'), taken from the
 * most specific range that names it: the exact type, then "type/any", then "any/any", the
 * first of equals. -1 when no range names it; 1 for NULL or an empty Accept, which accepts
 * everything (RFC 9110 §12.5.1). */
double negotiate_quality(const char *accept, const char *media_type);

/* Both languages, the one Accept-Language prefers first; Chinese first when it says nothing. */
enum languages negotiate_languages(const char *accept_language);

/* The q (0 to 1000) an Accept-Encoding value gives coding, by RFC 9110 §12.5.3: the entry that
 * names it, else "*", else 0 (not acceptable), except identity, which is acceptable unless
 * excluded by name or by "*", as a last resort (q 0.001) when not named. NULL (no header) or
 * an empty value: identity only (a client that names no coding is sent none, though §12.5.3
 * would allow any). A malformed q counts as 1, as in Accept. */
int negotiate_coding_quality(const char *accept_encoding, enum coding coding);

/* The coding a response gets: the highest q above 0; among equals br, then zstd, gzip,
 * deflate and identity last (compressing was asked for). False when none is acceptable
 * (identity excluded too): RFC 9110 §12.5.3's case for a 406 or for ignoring the header. */
bool negotiate_coding(const char *accept_encoding, enum coding *coding);

/* ?format= and ?lang= values; false when the value is not one of the accepted ones. */
bool negotiate_format_name(const char *name, enum format *format);
bool negotiate_language_name(const char *name, enum languages *languages);

/* How many languages a choice shows (1 or 2) and which comes at position i. */
int languages_count(enum languages languages);
enum language languages_at(enum languages languages, int i);

extern const char *const format_content_types[FORMAT_COUNT];

#endif
