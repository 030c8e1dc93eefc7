#include "negotiate.h"

#include "httplist.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *const format_content_types[FORMAT_COUNT] = {
    [FORMAT_TEXT] = "text/plain; charset=utf-8",
    [FORMAT_HTML] = "text/html; charset=utf-8",
    [FORMAT_JSON] = "application/json",
};

static const char *const format_media_types[FORMAT_COUNT] = {
    [FORMAT_TEXT] = "text/plain",
    [FORMAT_HTML] = "text/html",
    [FORMAT_JSON] = "application/json",
};

/* One element of an Accept or Accept-Language list, as pointers into the header value. */
struct list_item {
    const char *value; /* "text/html" or "zh-CN", not NUL-terminated */
    size_t length;
    int quality;       /* q times 1000, as RFC 9110 §12.4.2 allows three decimals */
};

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

/* RFC 9110 §12.4.2: qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ).
 * Anything else is treated as q=1 rather than dropping the element, as browsers do. */
static int parse_quality(const char *s, size_t n)
{
    if (n == 0 || (s[0] != '0' && s[0] != '1'))
        return 1000;
    int whole = s[0] - '0';
    int fraction = 0, digits = 0;
    if (n > 1) {
        if (s[1] != '.' || n > 5)
            return 1000;
        for (size_t i = 2; i < n; i++) {
            if (s[i] < '0' || s[i] > '9')
                return 1000;
            fraction = fraction * 10 + (s[i] - '0');
            digits++;
        }
    }
    while (digits++ < 3)
        fraction *= 10;
    int q = whole * 1000 + fraction;
    return q > 1000 ? 1000 : q;
}

/* Reads the next element from *cursor; false at the end. The list is split by httplist; the
 * element's value ends at its first ';' or whitespace, and of its parameters only q matters
 * (media-type parameters such as charset are ignored). */
static bool next_item(const char **cursor, struct list_item *item)
{
    struct httplist_item element;
    if (!httplist_next(cursor, &element))
        return false;
    const char *p = element.start, *end = element.start + element.length;
    while (p < end && *p != ';' && !is_space(*p))
        p++;
    item->value = element.start;
    item->length = (size_t)(p - element.start);
    item->quality = 1000;
    while (p < end) {
        if (*p++ != ';')
            continue;
        while (p < end && is_space(*p))
            p++;
        if (end - p >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
            const char *q = p + 2, *q_end = q;
            while (q_end < end && *q_end != ';' && !is_space(*q_end))
                q_end++;
            item->quality = parse_quality(q, (size_t)(q_end - q));
            p = q_end;
        }
    }
    return true;
}

static bool item_is(const struct list_item *item, const char *s)
{
    return item->length == strlen(s) && strncasecmp(item->value, s, item->length) == 0;
}

/* How specifically a media range names a type: 3 exact, 2 "type/any", 1 "any/any", 0 none. */
static int media_match(const struct list_item *item, const char *media_type)
{
    if (item_is(item, media_type))
        return 3;
    const char *slash = strchr(media_type, '/');
    size_t major = (size_t)(slash - media_type);
    if (item->length == major + 2 && strncasecmp(item->value, media_type, major + 1) == 0 &&
        item->value[major + 1] == '*')
        return 2;
    if (item_is(item, "*/*"))
        return 1;
    return 0;
}

struct format_score {
    int quality;     /* -1: not mentioned */
    int specificity;
    int position;
};

static void score_formats(const char *accept, struct format_score scores[FORMAT_COUNT])
{
    for (int f = 0; f < FORMAT_COUNT; f++)
        scores[f] = (struct format_score){ -1, 0, 0 };
    struct list_item item;
    int position = 0;
    while (next_item(&accept, &item)) {
        position++;
        for (int f = 0; f < FORMAT_COUNT; f++) {
            int specificity = media_match(&item, format_media_types[f]);
            /* The most specific range decides a type's q (RFC 9110 §12.5.1). */
            if (specificity > scores[f].specificity) {
                scores[f] = (struct format_score){ item.quality, specificity, position };
            }
        }
    }
}

enum format negotiate_format(const char *accept)
{
    if (!accept || !*accept)
        return FORMAT_TEXT;
    struct format_score scores[FORMAT_COUNT];
    score_formats(accept, scores);
    int best = -1;
    for (int f = 0; f < FORMAT_COUNT; f++) {
        if (scores[f].quality <= 0)
            continue;
        if (best < 0 || scores[f].quality > scores[best].quality ||
            (scores[f].quality == scores[best].quality &&
             (scores[f].specificity > scores[best].specificity ||
              (scores[f].specificity == scores[best].specificity &&
               scores[f].position < scores[best].position))))
            best = f;
    }
    return best < 0 ? FORMAT_TEXT : (enum format)best;
}

bool negotiate_accepts(const char *accept, enum format format)
{
    if (!accept || !*accept)
        return true;
    struct format_score scores[FORMAT_COUNT];
    score_formats(accept, scores);
    return scores[format].quality > 0;
}

double negotiate_quality(const char *accept, const char *media_type)
{
    if (!accept || !*accept)
        return 1.0;
    struct format_score best = { -1, 0, 0 };
    struct list_item item;
    while (next_item(&accept, &item)) {
        int specificity = media_match(&item, media_type);
        if (specificity > best.specificity)
            best = (struct format_score){ item.quality, specificity, 0 };
    }
    return best.quality < 0 ? -1.0 : best.quality / 1000.0;
}

int negotiate_coding_quality(const char *accept_encoding, enum coding coding)
{
    int named = -1, star = -1;
    struct list_item item;
    while (accept_encoding && next_item(&accept_encoding, &item)) {
        enum coding listed;
        /* The first entry for a coding counts; a repeat is ignored. */
        if (named < 0 && coding_from_name(item.value, item.length, &listed) && listed == coding)
            named = item.quality;
        else if (star < 0 && item_is(&item, "*"))
            star = item.quality;
    }
    if (named >= 0)
        return named;
    if (star >= 0)
        return star;
    /* Identity unnamed is acceptable (RFC 9110 §12.5.3 rule 2) but the last resort: below
     * any coding the client named, however low its q ("gzip;q=0.5" still gets gzip). */
    return coding == CODING_IDENTITY ? 1 : 0;
}

bool negotiate_coding(const char *accept_encoding, enum coding *coding)
{
    static const enum coding preference[CODING_COUNT] = {
        CODING_BR, CODING_ZSTD, CODING_GZIP, CODING_DEFLATE, CODING_IDENTITY,
    };
    int best_quality = 0;
    for (int i = 0; i < CODING_COUNT; i++) {
        int quality = negotiate_coding_quality(accept_encoding, preference[i]);
        if (quality > best_quality) {
            best_quality = quality;
            *coding = preference[i];
        }
    }
    return best_quality > 0;
}

/* Does a language range ("zh", "zh-CN", "*") cover the language tag prefix? */
static int language_match(const struct list_item *item, const char *language)
{
    size_t n = strlen(language);
    if (item->length >= n && strncasecmp(item->value, language, n) == 0 &&
        (item->length == n || item->value[n] == '-'))
        return 2;
    if (item_is(item, "*"))
        return 1;
    return 0;
}

enum languages negotiate_languages(const char *accept_language)
{
    if (!accept_language || !*accept_language)
        return LANGUAGES_ZH_EN;
    static const char *const tags[LANGUAGE_COUNT] = { [LANGUAGE_ZH] = "zh", [LANGUAGE_EN] = "en" };
    struct format_score scores[LANGUAGE_COUNT] = { { -1, 0, 0 }, { -1, 0, 0 } };
    struct list_item item;
    int position = 0;
    while (next_item(&accept_language, &item)) {
        position++;
        for (int l = 0; l < LANGUAGE_COUNT; l++) {
            int specificity = language_match(&item, tags[l]);
            if (specificity > scores[l].specificity ||
                (specificity && specificity == scores[l].specificity &&
                 item.quality > scores[l].quality))
                scores[l] = (struct format_score){ item.quality, specificity, position };
        }
    }
    const struct format_score *zh = &scores[LANGUAGE_ZH], *en = &scores[LANGUAGE_EN];
    bool english_first = en->quality > zh->quality ||
                         (en->quality == zh->quality && en->quality > 0 &&
                          en->position < zh->position);
    return english_first ? LANGUAGES_EN_ZH : LANGUAGES_ZH_EN;
}

bool negotiate_format_name(const char *name, enum format *format)
{
    static const char *const names[FORMAT_COUNT] = { "text", "html", "json" };
    for (int f = 0; f < FORMAT_COUNT; f++)
        if (strcmp(name, names[f]) == 0) {
            *format = (enum format)f;
            return true;
        }
    return false;
}

bool negotiate_language_name(const char *name, enum languages *languages)
{
    if (strcmp(name, "zh") == 0)
        *languages = LANGUAGES_ZH;
    else if (strcmp(name, "en") == 0)
        *languages = LANGUAGES_EN;
    else
        return false;
    return true;
}

int languages_count(enum languages languages)
{
    return languages == LANGUAGES_ZH || languages == LANGUAGES_EN ? 1 : 2;
}

enum language languages_at(enum languages languages, int i)
{
    switch (languages) {
    case LANGUAGES_ZH: return LANGUAGE_ZH;
    case LANGUAGES_EN: return LANGUAGE_EN;
    case LANGUAGES_EN_ZH: return i == 0 ? LANGUAGE_EN : LANGUAGE_ZH;
    default: return i == 0 ? LANGUAGE_ZH : LANGUAGE_EN;
    }
}
