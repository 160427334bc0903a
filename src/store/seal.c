/*
 * seal.c — sealing values at rest: key derivation from the master key, the AAD that
 * binds a value to its row, and AES-256-GCM seal/unseal with a per-value key and nonce
 * (layout in internal.h, rationale in docs/store.md §Sealing).
 *
 * It does not read the master key (masterkey.c) or touch SQLite. Every temporary key is
 * wiped before return (style R9). Spec: protocol.md §5 (shares sealed at rest).
 */
#include <string.h>

#include "common/tkms_ct.h"
#include "store/internal.h"

static const char aad_label[] = "tkms-store-aad-v1";
static const char value_info[] = "tkms-store-value-v1";
static const char seal_info[] = "tkms-store-seal-v1";
static const char key_id_info[] = "tkms-store-key-id-v1";

#define VALUE_OKM_BYTES (TKMS_PRIM_AEAD_KEY_BYTES + TKMS_PRIM_AEAD_NONCE_BYTES)

void store_aad_set(store_aad *a, const char *table, uint64_t k1, uint64_t k2, const char *purpose) {
    TKMS_ASSERT(table != NULL && strlen(table) <= STORE_NAME_BYTES_MAX);
    TKMS_ASSERT(purpose != NULL && strlen(purpose) <= STORE_NAME_BYTES_MAX);
    a->table = table;
    a->k1 = k1;
    a->k2 = k2;
    a->purpose = purpose;
    memset(a->context, 0, sizeof a->context);
}

static void put_be64(uint8_t *p, uint64_t v) {
    TKMS_ASSERT(p != NULL);
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

static size_t put_name(uint8_t *p, const char *name) {
    size_t n = strlen(name);
    TKMS_ASSERT(n <= STORE_NAME_BYTES_MAX);
    p[0] = (uint8_t)n;
    memcpy(p + 1, name, n);
    return n + 1;
}

static size_t aad_encode(uint8_t out[STORE_AAD_BYTES_MAX], const tkms_store *s,
                         const store_aad *a) {
    TKMS_ASSERT(a->table != NULL && a->purpose != NULL);
    size_t n = 0;
    memcpy(out, aad_label, sizeof aad_label - 1);
    n += sizeof aad_label - 1;
    memcpy(out + n, s->db_id, STORE_DB_ID_BYTES);
    n += STORE_DB_ID_BYTES;
    n += put_name(out + n, a->table);
    put_be64(out + n, a->k1);
    put_be64(out + n + 8, a->k2);
    n += 16;
    n += put_name(out + n, a->purpose);
    memcpy(out + n, a->context, STORE_CONTEXT_BYTES);
    n += STORE_CONTEXT_BYTES;
    TKMS_ASSERT(n <= STORE_AAD_BYTES_MAX);
    return n;
}

static void value_keys(uint8_t okm[VALUE_OKM_BYTES], const uint8_t key[TKMS_STORE_SECRET_BYTES],
                       const uint8_t salt[STORE_SALT_BYTES]) {
    TKMS_ASSERT(okm != NULL && key != NULL);
    TKMS_ASSERT(salt != NULL);
    tkms_err err =
        tkms_prim_hkdf_sha256(okm, VALUE_OKM_BYTES, key, TKMS_STORE_SECRET_BYTES, salt,
                              STORE_SALT_BYTES, (const uint8_t *)value_info, sizeof value_info - 1);
    /* The length is a constant within HKDF's range: failure is a programmer error. */
    TKMS_ASSERT(err == TKMS_OK);
}

void store_seal(uint8_t *out, const tkms_store *s, const uint8_t key[TKMS_STORE_SECRET_BYTES],
                const store_aad *aad, const uint8_t *pt, size_t pt_len) {
    TKMS_ASSERT(out != NULL && key != NULL);
    TKMS_ASSERT(pt != NULL || pt_len == 0);
    uint8_t aad_bytes[STORE_AAD_BYTES_MAX];
    size_t aad_len = aad_encode(aad_bytes, s, aad);
    uint8_t okm[VALUE_OKM_BYTES];
    tkms_rng_fill(s->rng, out, STORE_SALT_BYTES);
    value_keys(okm, key, out);
    tkms_err err =
        tkms_prim_aead_seal(out + STORE_SALT_BYTES, out + STORE_SALT_BYTES + pt_len, okm,
                            okm + TKMS_PRIM_AEAD_KEY_BYTES, aad_bytes, aad_len, pt, pt_len);
    tkms_wipe(okm, sizeof okm);
    TKMS_ASSERT(err == TKMS_OK); /* sealing cannot fail on valid input */
}

tkms_err store_unseal(uint8_t *pt, size_t pt_len, const tkms_store *s,
                      const uint8_t key[TKMS_STORE_SECRET_BYTES], const store_aad *aad,
                      const uint8_t *sealed, size_t sealed_len) {
    TKMS_ASSERT(pt != NULL || pt_len == 0);
    TKMS_ASSERT(key != NULL);
    if (sealed == NULL || sealed_len != pt_len + STORE_SEAL_OVERHEAD) {
        if (pt_len > 0) {
            tkms_wipe(pt, pt_len);
        }
        return TKMS_ERR_STORE_TAMPERED;
    }
    uint8_t aad_bytes[STORE_AAD_BYTES_MAX];
    size_t aad_len = aad_encode(aad_bytes, s, aad);
    uint8_t okm[VALUE_OKM_BYTES];
    value_keys(okm, key, sealed);
    tkms_err err =
        tkms_prim_aead_open(pt, okm, okm + TKMS_PRIM_AEAD_KEY_BYTES, aad_bytes, aad_len,
                            sealed + STORE_SALT_BYTES, pt_len, sealed + STORE_SALT_BYTES + pt_len);
    tkms_wipe(okm, sizeof okm);
    /* aead_open zeroes pt on failure: no unauthenticated byte reaches the caller. */
    return err == TKMS_OK ? TKMS_OK : TKMS_ERR_STORE_TAMPERED;
}

tkms_err store_keys_derive(tkms_store *s, const tkms_store_secret *master) {
    TKMS_ASSERT(s != NULL && master != NULL);
    TKMS_ASSERT(sizeof s->seal_key == TKMS_STORE_SECRET_BYTES);
    tkms_err err = tkms_prim_hkdf_sha256(s->seal_key, sizeof s->seal_key, master->bytes,
                                         sizeof master->bytes, s->db_id, sizeof s->db_id,
                                         (const uint8_t *)seal_info, sizeof seal_info - 1);
    if (err == TKMS_OK) {
        err = tkms_prim_hkdf_sha256(s->key_id, sizeof s->key_id, master->bytes,
                                    sizeof master->bytes, s->db_id, sizeof s->db_id,
                                    (const uint8_t *)key_id_info, sizeof key_id_info - 1);
    }
    TKMS_ASSERT(err == TKMS_OK);
    return err;
}
