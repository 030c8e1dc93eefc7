/* The reason phrase on the status line comes from the catalogue, not from libmicrohttpd.
 *
 * libmicrohttpd 0.9.75 writes "HTTP/1.1 <code> <phrase>" itself and takes the phrase from its
 * own table, which says "Non-Standard Status" for 418, 420, 520 ... and "Switch Proxy" for 306,
 * while statusd's body says "I'm a teapot" or "(Unused)". The library looks the phrase up
 * through these two exported functions, and it calls them through its PLT (they are ordinary
 * dynamic symbols, not internal calls). An executable that defines a function of the same name
 * is searched first by the dynamic linker (ELF symbol interposition), so defining both here
 * replaces the library's table for every response, with no change to the library or to how
 * responses are queued. See docs/libmicrohttpd.md §1, including the risk: a later library
 * version may call its table directly, and the status line would silently go back to the
 * library's phrases (tests/raw/test_reason.py would catch it).
 *
 * This file is linked into the executable itself, not the core library: a static library
 * member nobody references would be left out by the linker, and the symbols must sit in the
 * executable's dynamic symbol table (`nm -D build/src/statusd` lists them).
 *
 * Both run on libmicrohttpd's threads for every response: they only read the catalogue, which
 * is fixed once loaded, and allocate nothing (catalog_reason in src/catalog/catalog.c). */
#include "catalog.h"

#include <microhttpd.h>
#include <string.h>

const char *MHD_get_reason_phrase_for(unsigned int code)
{
    return catalog_reason(code);
}

size_t MHD_get_reason_phrase_len_for(unsigned int code)
{
    return strlen(catalog_reason(code));
}
