/* main() for the replay build of a fuzz target: runs LLVMFuzzerTestOneInput once on every file
 * in the directories (or on the files) named on the command line, so the seed corpus and the
 * crash inputs kept in fuzz/regression/ are checked by the normal test suite, with gcc and
 * without libFuzzer. A broken invariant aborts, which fails the test.
 *
 *   fuzz_replay_range fuzz/corpus/range fuzz/regression/range
 *   fuzz_replay_range crash-1234abcd        (reproduce one input under a debugger) */
#include "fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>

/* Reads path into a heap block of exactly its size, as libFuzzer hands inputs over. */
static int replay_file(const char *path)
{
    FILE *file = fopen(path, "rb");
    if (!file) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    struct stat info;
    if (fstat(fileno(file), &info) != 0) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        fclose(file);
        return -1;
    }
    size_t size = (size_t)info.st_size;
    uint8_t *data = malloc(size ? size : 1);
    if (!data || fread(data, 1, size, file) != size) {
        fprintf(stderr, "replay: %s: could not read %zu bytes\n", path, size);
        free(data);
        fclose(file);
        return -1;
    }
    fclose(file);
    fprintf(stderr, "replay: %s (%zu bytes)\n", path, size);
    LLVMFuzzerTestOneInput(data, size);
    free(data);
    return 0;
}

/* Every regular file of dir in name order, so a run is repeatable; dot files (.gitkeep) are
 * not inputs. Returns how many were replayed, -1 on an error. */
static long replay_directory(const char *dir)
{
    struct dirent **names;
    int n = scandir(dir, &names, NULL, alphasort);
    if (n < 0) {
        fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
        return -1;
    }
    long replayed = 0;
    for (int i = 0; i < n; i++) {
        char path[4096];
        struct stat info;
        int length = snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
        bool is_input = names[i]->d_name[0] != '.' && length > 0 &&
                        (size_t)length < sizeof path && stat(path, &info) == 0 &&
                        S_ISREG(info.st_mode);
        if (is_input) {
            if (replay_file(path) != 0)
                replayed = -1;
            else if (replayed >= 0)
                replayed++;
        }
        free(names[i]);
    }
    free(names);
    return replayed;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s DIRECTORY|FILE...\n", argv[0]);
        return 2;
    }
    long total = 0;
    for (int i = 1; i < argc; i++) {
        struct stat info;
        if (stat(argv[i], &info) != 0) {
            fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
            return 1;
        }
        long replayed = S_ISDIR(info.st_mode) ? replay_directory(argv[i])
                                              : (replay_file(argv[i]) == 0 ? 1 : -1);
        if (replayed < 0)
            return 1;
        total += replayed;
    }
    /* An empty corpus would make the test pass while checking nothing. */
    if (total == 0) {
        fprintf(stderr, "replay: no input found\n");
        return 1;
    }
    printf("replayed %ld inputs\n", total);
    return 0;
}
