/* The API's credentials: CubeFS's authKey is the lowercase hex MD5 of a volume's owner, and
 * access / secret keys are random alphanumeric strings. Both come from OpenSSL's libcrypto (the
 * EVP digest API and its CSPRNG), which libh2o already links. */
#ifndef CFS_COMMON_DIGEST_H
#define CFS_COMMON_DIGEST_H

#include <stddef.h>

#define DIGEST_MD5_HEX_SIZE 33 /* 32 hex digits and the NUL */

/* Lowercase hex MD5 of the len bytes at data into out. -EIO when libcrypto refuses MD5 (a FIPS
 * build); out is then untouched. */
int digest_md5_hex(const void *data, size_t len, char out[DIGEST_MD5_HEX_SIZE]);

/* len random characters of [0-9a-zA-Z] and a NUL into out (len + 1 bytes), drawn without modulo
 * bias, as CubeFS makes access keys (16) and secret keys (32). -EIO when the generator fails. */
int digest_random_key(char *out, size_t len);

#endif
