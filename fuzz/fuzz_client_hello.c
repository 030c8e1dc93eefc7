/* The first bytes of a connection (src/h2/client_hello.c): the TLS ClientHello's ALPN and the
 * h2c preface. Invariants: nothing is read past the input (ASan), and a decided result never
 * changes as more bytes arrive, which is what lets the accept loop decide on a peek. */
#include "fuzz.h"

#include "h2/client_hello.h"

static void check_stable(enum client_hello_result (*classify)(const uint8_t *, size_t),
                         const uint8_t *data, size_t size)
{
    enum client_hello_result whole = classify(data, size);
    FUZZ_ASSERT(whole == CLIENT_HELLO_H2 || whole == CLIENT_HELLO_NOT_H2 ||
                whole == CLIENT_HELLO_NEED_MORE || whole == CLIENT_HELLO_NOT_TLS);
    /* Past the bound nothing is left to wait for. */
    if (size >= CLIENT_HELLO_MAX_BYTES)
        FUZZ_ASSERT(whole != CLIENT_HELLO_NEED_MORE);
    /* Prefixes: a few lengths, so each input stays cheap. */
    size_t cuts[] = { 0, 1, 5, 9, size / 3, size / 2, size - size / 8, size ? size - 1 : 0 };
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        if (cuts[i] > size)
            continue;
        enum client_hello_result part = classify(data, cuts[i]);
        FUZZ_ASSERT(part == CLIENT_HELLO_NEED_MORE || part == whole);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_stable(client_hello_classify, data, size);
    check_stable(client_hello_classify_plain, data, size);
    /* The plain classifier never says NOT_TLS: it does not look for TLS. */
    FUZZ_ASSERT(client_hello_classify_plain(data, size) != CLIENT_HELLO_NOT_TLS);
    return 0;
}
