/* Render once, share forever: see once.h for the contract. */
#include "once.h"

#include <stddef.h>

void *once_get(struct once *slot, void *(*build)(void *context), void (*destroy)(void *value),
               void *context)
{
    void *value = atomic_load_explicit(&slot->value, memory_order_acquire);
    if (value)
        return value;
    value = build(context);
    if (!value)
        return NULL;
    void *expected = NULL;
    /* acq_rel: the value's bytes are published with it, and a loser sees the winner's. */
    if (!atomic_compare_exchange_strong_explicit(&slot->value, &expected, value,
                                                 memory_order_acq_rel, memory_order_acquire)) {
        destroy(value);
        value = expected;
    }
    return value;
}

void once_clear(struct once *slot, void (*destroy)(void *value))
{
    void *value = atomic_exchange(&slot->value, NULL);
    if (value)
        destroy(value);
}
