/* Accept and Accept-Language (src/http/negotiate.c). The input is a header value, optionally
 * followed by '\n' and a media type for negotiate_quality. Besides valid enum values, the
 * three Accept functions must agree with one another: they are three views of one q-value
 * table, and the server uses them together (format for the body, accepts for 406). */
#include "fuzz.h"

#include "negotiate.h"

static const char *const media_types[FORMAT_COUNT] = {
    [FORMAT_TEXT] = "text/plain",
    [FORMAT_HTML] = "text/html",
    [FORMAT_JSON] = "application/json",
};

static void check_quality(double q)
{
    FUZZ_ASSERT(q == -1.0 || (q >= 0.0 && q <= 1.0));
}

static void check_accept(const char *accept)
{
    enum format chosen = negotiate_format(accept);
    FUZZ_ASSERT(chosen >= FORMAT_TEXT && chosen < FORMAT_COUNT);
    double quality[FORMAT_COUNT];
    bool any_accepted = false;
    for (int f = 0; f < FORMAT_COUNT; f++) {
        quality[f] = negotiate_quality(accept, media_types[f]);
        check_quality(quality[f]);
        bool accepted = negotiate_accepts(accept, (enum format)f);
        FUZZ_ASSERT(accepted == (quality[f] > 0));
        any_accepted = any_accepted || accepted;
    }
    if (!any_accepted) {
        FUZZ_ASSERT(chosen == FORMAT_TEXT); /* the documented default */
        return;
    }
    /* Highest q wins: nothing the client accepts is preferred over the chosen format. */
    FUZZ_ASSERT(quality[chosen] > 0);
    for (int f = 0; f < FORMAT_COUNT; f++)
        FUZZ_ASSERT(quality[f] <= quality[chosen]);
}

static void check_accept_language(const char *accept_language)
{
    enum languages order = negotiate_languages(accept_language);
    /* A header only orders the languages; dropping one is ?lang='s job. */
    FUZZ_ASSERT(order == LANGUAGES_ZH_EN || order == LANGUAGES_EN_ZH);
    FUZZ_ASSERT(languages_count(order) == 2);
    FUZZ_ASSERT(languages_at(order, 0) != languages_at(order, 1));
}

/* ?format= and ?lang= take only the names they list. */
static void check_names(const char *name)
{
    enum format format = FORMAT_COUNT;
    if (negotiate_format_name(name, &format))
        FUZZ_ASSERT(format >= FORMAT_TEXT && format < FORMAT_COUNT);
    enum languages languages = LANGUAGES_COUNT;
    if (negotiate_language_name(name, &languages))
        FUZZ_ASSERT(languages == LANGUAGES_ZH || languages == LANGUAGES_EN);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *header, *media_type;
    fuzz_split(data, size, &header, &media_type);
    check_accept(header);
    check_accept_language(header);
    check_names(header);
    if (media_type && strchr(media_type, '/'))
        check_quality(negotiate_quality(header, media_type));
    free(header);
    free(media_type);
    return 0;
}
