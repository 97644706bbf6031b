/* The generated file a Linux guest serves: SplitMix64 from `seed`, each output's 8 bytes
   little-endian, the stream cut at `size` bytes. `gen SEED SIZE` writes the bytes; run as
   the CGI `/cgi-bin/file` it reads `seed=S&size=N` from QUERY_STRING and answers with
   headers first. kvmlab's `real::generated` computes the same stream. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t next(uint64_t *state) {
    *state += 0x9E3779B97F4A7C15ull;
    uint64_t z = *state;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* The decimal value of `key` in a query string, or -1 when absent or not a number. */
static int query_value(const char *query, const char *key, uint64_t *value) {
    size_t length = strlen(key);
    const char *p = query;
    while (p && *p) {
        if (strncmp(p, key, length) == 0 && p[length] == '=') {
            char *end;
            const char *digits = p + length + 1;
            if (*digits < '0' || *digits > '9')
                return -1;
            *value = strtoull(digits, &end, 10);
            return (*end == 0 || *end == '&') ? 0 : -1;
        }
        p = strchr(p, '&');
        if (p)
            p++;
    }
    return -1;
}

static int stream(uint64_t seed, uint64_t size) {
    static unsigned char buffer[65536];
    uint64_t state = seed;
    while (size) {
        size_t chunk = size < sizeof buffer ? (size_t)size : sizeof buffer;
        for (size_t i = 0; i < chunk; i += 8) {
            uint64_t z = next(&state);
            for (size_t b = 0; b < 8 && i + b < chunk; b++)
                buffer[i + b] = (unsigned char)(z >> (8 * b));
        }
        if (fwrite(buffer, 1, chunk, stdout) != chunk)
            return 1;
        size -= chunk;
    }
    return fflush(stdout) != 0;
}

int main(int argc, char **argv) {
    uint64_t seed, size;
    if (argc == 3) {
        char *end_seed, *end_size;
        seed = strtoull(argv[1], &end_seed, 10);
        size = strtoull(argv[2], &end_size, 10);
        if (*end_seed || *end_size || !*argv[1] || !*argv[2]) {
            fprintf(stderr, "usage: gen SEED SIZE (decimal numbers)\n");
            return 2;
        }
        return stream(seed, size);
    }
    const char *query = getenv("QUERY_STRING");
    if (!query || query_value(query, "seed", &seed) || query_value(query, "size", &size)) {
        printf("Status: 400 Bad Request\r\nContent-Type: text/plain\r\n\r\n"
               "ask for /cgi-bin/file?seed=S&size=N (decimal numbers)\n");
        return 0;
    }
    printf("Content-Type: application/octet-stream\r\nContent-Length: %llu\r\n\r\n",
           (unsigned long long)size);
    return stream(seed, size);
}
