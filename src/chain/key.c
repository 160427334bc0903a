/*
 * key.c — operator secp256k1 keys: validation, Ethereum address derivation
 * (keccak256(uncompressed public key without its 0x04 prefix)[12..32)), key files,
 * recoverable ECDSA signing and public-key recovery via libsecp256k1.
 *
 * Key files hold 64 hex digits and must not be readable by group or others (mode 0600);
 * a looser mode is refused, not repaired, so a leak is noticed. Secret bytes are wiped
 * from every buffer they pass through and never appear in error text.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include "chain/internal.h"
#include "common/tkms_assert.h"
#include "common/tkms_ct.h"
#include "prim/prim.h"

#define KEY_FILE_BYTES_MAX 256

static tkms_err random_bytes(uint8_t *out, size_t len) {
    size_t done = 0;
    while (done < len) {
        ssize_t n = getrandom(out + done, len - done, 0);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return TKMS_ERR_RANDOM;
        }
        done += (size_t)n;
    }
    return TKMS_OK;
}

/* A fresh context randomized against side channels (cheap since libsecp256k1 0.2). */
static secp256k1_context *signing_context(void) {
    secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    uint8_t seed[32];
    if (ctx != NULL &&
        (random_bytes(seed, sizeof seed) != TKMS_OK || !secp256k1_context_randomize(ctx, seed))) {
        secp256k1_context_destroy(ctx);
        ctx = NULL;
    }
    tkms_wipe(seed, sizeof seed);
    return ctx;
}

static void address_from_pubkey(tkms_chain_address *out, const secp256k1_pubkey *pub) {
    uint8_t serialized[65];
    size_t len = sizeof serialized;
    int ok = secp256k1_ec_pubkey_serialize(secp256k1_context_static, serialized, &len, pub,
                                           SECP256K1_EC_UNCOMPRESSED);
    TKMS_ASSERT(ok == 1 && len == 65);
    uint8_t hash[32];
    tkms_prim_keccak256(hash, serialized + 1, 64);
    memcpy(out->bytes, hash + 12, 20);
}

TKMS_EXPORT tkms_err tkms_chain_key_from_bytes(tkms_chain_key *out, const uint8_t sk[32]) {
    TKMS_ASSERT(out != NULL && sk != NULL);
    memset(out, 0, sizeof *out);
    if (!secp256k1_ec_seckey_verify(secp256k1_context_static, sk)) {
        return TKMS_ERR_CHAIN_KEY_INVALID; /* zero or >= group order */
    }
    secp256k1_context *ctx = signing_context();
    if (ctx == NULL) {
        return TKMS_ERR_RANDOM;
    }
    secp256k1_pubkey pub;
    int ok = secp256k1_ec_pubkey_create(ctx, &pub, sk);
    secp256k1_context_destroy(ctx);
    if (!ok) {
        return TKMS_ERR_CHAIN_KEY_INVALID;
    }
    memcpy(out->sk, sk, 32);
    address_from_pubkey(&out->address, &pub);
    return TKMS_OK;
}

TKMS_EXPORT void tkms_chain_key_wipe(tkms_chain_key *k) {
    if (k != NULL) {
        tkms_wipe(k, sizeof *k);
    }
}

static tkms_err key_text_parse(tkms_chain_key *out, char *text, size_t len) {
    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' ')) {
        len--;
    }
    text[len] = 0;
    uint8_t sk[32];
    tkms_err err = tkms_chain_hex_decode(sk, sizeof sk, text);
    if (err != TKMS_OK) {
        err = TKMS_ERR_CHAIN_KEY_FORMAT;
    } else {
        err = tkms_chain_key_from_bytes(out, sk);
    }
    tkms_wipe(sk, sizeof sk);
    return err;
}

TKMS_EXPORT tkms_err tkms_chain_key_load(tkms_chain_key *out, const char *path) {
    TKMS_ASSERT(out != NULL && path != NULL);
    memset(out, 0, sizeof *out);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        return TKMS_ERR_IO;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return TKMS_ERR_IO;
    }
    if ((st.st_mode & 077) != 0) {
        close(fd);
        return TKMS_ERR_CHAIN_KEY_PERMISSIONS;
    }
    char text[KEY_FILE_BYTES_MAX + 1];
    ssize_t n = read(fd, text, KEY_FILE_BYTES_MAX);
    close(fd);
    tkms_err err;
    if (n < 0) {
        err = TKMS_ERR_IO;
    } else if (n == KEY_FILE_BYTES_MAX) {
        err = TKMS_ERR_CHAIN_KEY_FORMAT;
    } else {
        err = key_text_parse(out, text, (size_t)n);
    }
    tkms_wipe(text, sizeof text);
    return err;
}

TKMS_EXPORT tkms_err tkms_chain_key_generate(tkms_chain_key *out) {
    TKMS_ASSERT(out != NULL);
    memset(out, 0, sizeof *out);
    uint8_t sk[32];
    tkms_err err = TKMS_ERR_CHAIN_KEY_INVALID;
    for (int tries = 0; tries < 8 && err == TKMS_ERR_CHAIN_KEY_INVALID; tries++) {
        err = random_bytes(sk, sizeof sk);
        if (err == TKMS_OK) {
            err = tkms_chain_key_from_bytes(out, sk); /* invalid with probability ~2^-128 */
        }
    }
    tkms_wipe(sk, sizeof sk);
    return err;
}

TKMS_EXPORT tkms_err tkms_chain_key_save(const char *path, const tkms_chain_key *k) {
    TKMS_ASSERT(path != NULL && k != NULL);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        return errno == EEXIST ? TKMS_ERR_CHAIN_KEY_EXISTS : TKMS_ERR_IO;
    }
    char text[2 + 64 + 2];
    tkms_chain_hex_encode(text, k->sk, 32);
    text[66] = '\n';
    text[67] = 0;
    bool ok = fchmod(fd, 0600) == 0 && write(fd, text, 67) == 67 && fsync(fd) == 0;
    tkms_wipe(text, sizeof text);
    ok = close(fd) == 0 && ok;
    if (!ok) {
        unlink(path);
        return TKMS_ERR_IO;
    }
    return TKMS_OK;
}

tkms_err chain_ecdsa_sign(uint8_t sig64[64], int *recid, const uint8_t hash32[32],
                          const tkms_chain_key *key) {
    TKMS_ASSERT(sig64 != NULL && recid != NULL);
    TKMS_ASSERT(hash32 != NULL && key != NULL);
    memset(sig64, 0, 64);
    *recid = 0;
    secp256k1_context *ctx = signing_context();
    if (ctx == NULL) {
        return TKMS_ERR_RANDOM;
    }
    secp256k1_ecdsa_recoverable_signature sig;
    int ok = secp256k1_ecdsa_sign_recoverable(ctx, &sig, hash32, key->sk, NULL, NULL);
    if (ok) {
        ok = secp256k1_ecdsa_recoverable_signature_serialize_compact(ctx, sig64, recid, &sig);
    }
    secp256k1_context_destroy(ctx);
    if (!ok) {
        memset(sig64, 0, 64);
        return TKMS_ERR_CHAIN_KEY_INVALID;
    }
    TKMS_ASSERT(*recid == 0 || *recid == 1); /* 2/3 need r >= n: negligible, never seen */
    return TKMS_OK;
}

tkms_err chain_ecdsa_recover(tkms_chain_address *out, const uint8_t hash32[32],
                             const uint8_t sig64[64], int recid) {
    TKMS_ASSERT(out != NULL && hash32 != NULL && sig64 != NULL);
    memset(out, 0, sizeof *out);
    secp256k1_ecdsa_recoverable_signature sig;
    secp256k1_pubkey pub;
    if (recid < 0 || recid > 1 ||
        !secp256k1_ecdsa_recoverable_signature_parse_compact(secp256k1_context_static, &sig, sig64,
                                                             recid) ||
        !secp256k1_ecdsa_recover(secp256k1_context_static, &pub, &sig, hash32)) {
        return TKMS_ERR_CHAIN_TX_BAD_SIGNATURE;
    }
    address_from_pubkey(out, &pub);
    return TKMS_OK;
}
