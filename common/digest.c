#include "common/digest.h"

#include <errno.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <string.h>

int digest_md5_hex(const void *data, size_t len, char out[DIGEST_MD5_HEX_SIZE])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;

    if (EVP_Digest(data, len, md, &mdlen, EVP_md5(), NULL) != 1 || mdlen != 16) {
        return -EIO;
    }
    for (unsigned int i = 0; i < mdlen; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 0xf];
    }
    out[2 * mdlen] = '\0';
    return 0;
}

int digest_random_key(char *out, size_t len)
{
    static const char alphabet[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    /* 248 = 4 * 62: bytes at or above it are drawn again, so every character is equally likely. */
    enum { ALPHABET = sizeof(alphabet) - 1, LIMIT = 256 / ALPHABET * ALPHABET };
    unsigned char buf[64];
    size_t n = 0;

    while (n < len) {
        if (RAND_bytes(buf, sizeof(buf)) != 1) {
            return -EIO;
        }
        for (size_t i = 0; i < sizeof(buf) && n < len; i++) {
            if (buf[i] < LIMIT) {
                out[n++] = alphabet[buf[i] % ALPHABET];
            }
        }
    }
    out[len] = '\0';
    return 0;
}
