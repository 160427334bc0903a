/* internal.h — what the files of src/client share. */
#ifndef TKMS_CLIENT_INTERNAL_H
#define TKMS_CLIENT_INTERNAL_H

#include "client/client.h"

/* The BIP-39 English word list (bip39_english.c, generated). */
extern const char *const BIP39_ENGLISH[2048];

#endif
