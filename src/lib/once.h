/* Render once, share forever: the one cache statusd uses for answers that depend only on the
 * URL (a /status/{code} response, a /codes/{code} page, the index).
 *
 * once_get returns the slot's value, building it with build(context) the first time; later
 * callers get the same pointer without a lock or an allocation. Lock-free: two threads may
 * build at the same moment; the first to store wins and the other's value is given to
 * destroy. NULL when build fails (nothing is stored, the next caller tries again).
 * once_clear destroys the value; only when no other thread can use the slot any more. */
#ifndef STATUSD_ONCE_H
#define STATUSD_ONCE_H

#include <stdatomic.h>

struct once {
    _Atomic(void *) value;
};

void *once_get(struct once *slot, void *(*build)(void *context), void (*destroy)(void *value),
               void *context);
void once_clear(struct once *slot, void (*destroy)(void *value));

#endif
