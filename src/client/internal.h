/* internal.h — what the files of src/client share. */
#ifndef TKMS_CLIENT_INTERNAL_H
#define TKMS_CLIENT_INTERNAL_H

#include "client/client.h"

/* The BIP-39 English word list (bip39_english.c, generated). */
extern const char *const BIP39_ENGLISH[2048];

/* The eigenx JSON body {"CompressedBytes":"<base64>"} to its 48 bytes (strict). */
tkms_err client_partial_parse(uint8_t enc[TKMS_BLS_G1_BYTES], const uint8_t *json, size_t len);

#endif
