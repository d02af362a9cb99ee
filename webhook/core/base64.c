/*
 * base64.c - standard base64 with padding (see base64.h).
 */
#include "base64.h"

#include <stdint.h>
#include <stdlib.h>

static const char gmw_b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t gmw_base64_encoded_len(size_t n)
{
    return (n / 3 + (n % 3 != 0)) * 4;
}

char *gmw_base64_encode(const void *src, size_t n)
{
    const unsigned char *in = src;
    if (n / 3 >= (SIZE_MAX - 8) / 4)
        return NULL;
    size_t outlen = gmw_base64_encoded_len(n);
    char *out = malloc(outlen + 1);
    if (out == NULL)
        return NULL;
    size_t i = 0, o = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = gmw_b64_alphabet[v >> 18 & 63];
        out[o++] = gmw_b64_alphabet[v >> 12 & 63];
        out[o++] = gmw_b64_alphabet[v >> 6 & 63];
        out[o++] = gmw_b64_alphabet[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = gmw_b64_alphabet[v >> 18 & 63];
        out[o++] = gmw_b64_alphabet[v >> 12 & 63];
        out[o++] = '=';
        out[o++] = '=';
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        out[o++] = gmw_b64_alphabet[v >> 18 & 63];
        out[o++] = gmw_b64_alphabet[v >> 12 & 63];
        out[o++] = gmw_b64_alphabet[v >> 6 & 63];
        out[o++] = '=';
    }
    out[o] = '\0';
    return out;
}
