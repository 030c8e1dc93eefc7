/* FNV-1a and splitmix64: see hash.h for the contract. */
#include "hash.h"

#include <sys/random.h>
#include <time.h>

#define FNV1A64_PRIME 0x100000001b3ULL

uint64_t hash_fnv1a64(uint64_t hash, const void *data, size_t length)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < length; i++)
        hash = (hash ^ p[i]) * FNV1A64_PRIME;
    return hash;
}

uint64_t hash_fnv1a64_string(const char *text)
{
    uint64_t hash = HASH_FNV1A64_OFFSET;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        hash = (hash ^ *p) * FNV1A64_PRIME;
    return hash;
}

uint64_t hash_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

double hash_unit_interval(uint64_t x)
{
    return (double)(x >> 11) * 0x1.0p-53;
}

uint64_t hash_fresh_seed(void)
{
    uint64_t seed;
    if (getrandom(&seed, sizeof seed, GRND_NONBLOCK) == (ssize_t)sizeof seed)
        return seed;
    /* No entropy yet (early boot): the clock still differs between requests. */
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}
