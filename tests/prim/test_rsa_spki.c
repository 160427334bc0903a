/*
 * test_rsa_spki.c — the node's RSA public-key path (src/prim/rsa.c, crypto.md §9): our own
 * strict PEM + DER reader for an RSA SubjectPublicKeyInfo, against OpenSSL.
 *
 * - OpenSSL-generated 2048/3072/4096-bit keys are accepted (also as CRLF, without the final
 *   newline, 76-column and one-line bodies) and the ciphertext decrypts with
 *   tkms_prim_rsa_oaep_decrypt and with an independently configured OpenSSL context
 *   (pins OAEP-SHA-256, MGF1-SHA-256, empty label). The node's out_max = 0 probe and the
 *   OAEP length limits keep their errors; the private-key path keeps its checks.
 * - A table of hand-built keys: each malformation (truncated DER, long-form and indefinite
 *   lengths, negative / zero / padded INTEGERs, trailing bytes at every level, other OIDs,
 *   NULL parameters missing, unused bits, e even / 1 / 0 / >= 2^32, 1024..16384-bit moduli,
 *   PEM framing variants) gets its exact error.
 * - A differential loop (200 seeded cases: valid keys of known factorization with assorted e,
 *   DER-level and PEM-level mutations) where our verdict must equal OpenSSL's
 *   PEM_read_bio_PUBKEY + type + size verdict, except for the intentional stricter rejects
 *   of rsa.c, which are recomputed here independently from OpenSSL's own parse: PEM not
 *   byte-identical to a re-rendering of its DER (label PUBLIC KEY, no headers, one width
 *   that is a multiple of 4 and <= 76 or one line, LF or CRLF, optional final newline), DER
 *   not identical to OpenSSL's re-encoding (i2d_PUBKEY), n or e not positive, e not odd in
 *   [3, 2^32). Each accepted key whose OpenSSL-parsed (n, e) we can invert is decrypted.
 * Run: <build>/tests/prim/prim_test_rsa_spki (TKMS_TEST_SEED=n varies the differential loop);
 *      prim_test_rsa_spki --write-corpus DIR writes the seeds of tests/prim/corpus/fuzz_rsa_pem.
 */
/* RSA_get0_key: the sign of the n and e OpenSSL parsed, which the param API drops. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "prim/prim.h"
#include "test_util.h"

enum { DER_MAX = 6144, PEM_MAX = 12288, INTEGER_BYTES_MAX = 2100 };

static const uint8_t OID_RSA[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01};
static const uint8_t OID_RSA_PSS[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a};
static const uint8_t OID_EC[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01};
static const uint8_t OID_P256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
static const uint8_t OID_BAD[] = {0x2a, 0x80, 0x48}; /* a sub-identifier with a leading 0x80 */
static const uint8_t NULL_PARAMS[] = {0x05, 0x00};
static const uint8_t MSG[] =
    "{\"CompressedBytes\":\"l5Gx6wTq0hDqyrOBO3fRH4y8p6Ng0JM4mNtMcjj6KI0X\"}";

/* ---- a DER writer with the knobs the malformations need ---------------------------- */

enum { L_NONE, L_OUTER, L_ALG, L_OID, L_BITS, L_RSAKEY, L_N, L_E };         /* long form */
enum { T_NONE, T_AFTER, T_OUTER_END, T_ALG_END, T_BITS_END, T_RSAKEY_END }; /* trailing */

typedef struct {
    const uint8_t *oid;
    size_t oid_len;
    const uint8_t *params; /* raw TLV bytes after the OID */
    size_t params_len;
    uint8_t unused_bits;
    uint8_t n[INTEGER_BYTES_MAX]; /* INTEGER contents, sign byte included */
    size_t n_len;
    uint8_t e[INTEGER_BYTES_MAX];
    size_t e_len;
    int long_level;  /* that TLV's length gets one more length byte than needed */
    int trail_level; /* a NULL TLV (05 00) appended there */
} spki_spec;

static size_t put_len(uint8_t *out, size_t len, bool extra) {
    size_t k = 0;
    if (len < 0x80 && !extra) {
        out[k++] = (uint8_t)len;
    } else if (len < 0x100 && !(extra && len >= 0x80)) {
        out[k++] = 0x81; /* extra && len < 0x80: 81 len */
        out[k++] = (uint8_t)len;
    } else if (len < 0x10000 && !(extra && len >= 0x100)) {
        out[k++] = 0x82;
        out[k++] = (uint8_t)(len >> 8);
        out[k++] = (uint8_t)len;
    } else {
        out[k++] = 0x83;
        out[k++] = (uint8_t)(len >> 16);
        out[k++] = (uint8_t)(len >> 8);
        out[k++] = (uint8_t)len;
    }
    return k;
}

static size_t put_tlv(uint8_t *out, uint8_t tag, const uint8_t *c, size_t len, bool extra) {
    out[0] = tag;
    size_t k = 1 + put_len(out + 1, len, extra);
    memmove(out + k, c, len);
    return k + len;
}

static size_t put_trail(uint8_t *out, const spki_spec *s, int level) {
    if (s->trail_level != level) {
        return 0;
    }
    memcpy(out, NULL_PARAMS, 2);
    return 2;
}

static size_t spki_build(uint8_t *out, const spki_spec *s) {
    static uint8_t rsakey[DER_MAX], bits[DER_MAX], alg[256], body[DER_MAX];
    size_t k = put_tlv(rsakey, 0x02, s->n, s->n_len, s->long_level == L_N);
    k += put_tlv(rsakey + k, 0x02, s->e, s->e_len, s->long_level == L_E);
    k += put_trail(rsakey + k, s, T_RSAKEY_END);
    size_t b = 0;
    bits[b++] = s->unused_bits;
    b += put_tlv(bits + b, 0x30, rsakey, k, s->long_level == L_RSAKEY);
    b += put_trail(bits + b, s, T_BITS_END);
    size_t a = put_tlv(alg, 0x06, s->oid, s->oid_len, s->long_level == L_OID);
    memcpy(alg + a, s->params, s->params_len);
    a += s->params_len;
    a += put_trail(alg + a, s, T_ALG_END);
    size_t o = put_tlv(body, 0x30, alg, a, s->long_level == L_ALG);
    o += put_tlv(body + o, 0x03, bits, b, s->long_level == L_BITS);
    o += put_trail(body + o, s, T_OUTER_END);
    size_t len = put_tlv(out, 0x30, body, o, s->long_level == L_OUTER);
    len += put_trail(out + len, s, T_AFTER);
    assert_true(len <= DER_MAX);
    return len;
}

/* INTEGER contents of a non-negative v: big-endian, a 0x00 sign byte if the top bit is set. */
static size_t int_content(uint8_t *out, const BIGNUM *v) {
    size_t len = (size_t)BN_num_bytes(v);
    if (len == 0) {
        out[0] = 0;
        return 1;
    }
    assert_true(len < INTEGER_BYTES_MAX);
    BN_bn2bin(v, out + 1);
    if (out[1] & 0x80) {
        out[0] = 0;
        return len + 1;
    }
    memmove(out, out + 1, len);
    return len;
}

static void spec_rsa(spki_spec *s, const BIGNUM *n, const BIGNUM *e) {
    memset(s, 0, sizeof *s);
    s->oid = OID_RSA;
    s->oid_len = sizeof OID_RSA;
    s->params = NULL_PARAMS;
    s->params_len = sizeof NULL_PARAMS;
    s->n_len = int_content(s->n, n);
    s->e_len = int_content(s->e, e);
}

/* A random odd modulus of exactly `bits` bits (nobody can decrypt: for parser tests). */
static BIGNUM *random_modulus(int bits) {
    BIGNUM *n = BN_new();
    assert_int_equal(BN_rand(n, bits, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ODD), 1);
    return n;
}

static BIGNUM *bn_word(unsigned long w) {
    BIGNUM *v = BN_new();
    assert_int_equal(BN_set_word(v, w), 1);
    return v;
}

/* ---- PEM ------------------------------------------------------------------------- */

/* Renders der as PEM: width 0 = the body on one line. Returns the length (NUL-terminated). */
static size_t pem_render(char *out, const char *label, const uint8_t *der, size_t len, size_t width,
                         bool crlf, bool final_nl) {
    static char b64[PEM_MAX];
    assert_true(len / 3 * 4 + 8 < sizeof b64);
    size_t b64_len = (size_t)EVP_EncodeBlock((unsigned char *)b64, der, (int)len);
    const char *eol = crlf ? "\r\n" : "\n";
    size_t o = (size_t)sprintf(out, "-----BEGIN %s-----%s", label, eol);
    width = width == 0 ? b64_len : width;
    for (size_t i = 0; i < b64_len; i += width) {
        size_t n = b64_len - i < width ? b64_len - i : width;
        assert_true(o + n + 80 < PEM_MAX);
        memcpy(out + o, b64 + i, n);
        o += n;
        o += (size_t)sprintf(out + o, "%s", eol);
    }
    o += (size_t)sprintf(out + o, "-----END %s-----%s", label, final_nl ? eol : "");
    return o;
}

static size_t pem_std(char *out, const uint8_t *der, size_t len) {
    return pem_render(out, "PUBLIC KEY", der, len, 64, false, true);
}

static size_t pem_of_pkey(char *out, EVP_PKEY *key, bool private_key) {
    BIO *bio = BIO_new(BIO_s_mem());
    int ok = private_key ? PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL)
                         : PEM_write_bio_PUBKEY(bio, key);
    assert_int_equal(ok, 1);
    char *data;
    long len = BIO_get_mem_data(bio, &data);
    assert_true(len > 0 && len < PEM_MAX);
    memcpy(out, data, (size_t)len);
    out[len] = 0;
    BIO_free(bio);
    return (size_t)len;
}

/* ---- the two verdicts -------------------------------------------------------------- */

static tkms_err ours(uint8_t *ct, size_t *ct_len, const char *pem, size_t len) {
    *ct_len = 12345;
    tkms_err err = tkms_prim_rsa_oaep_encrypt(ct, ct_len, 1100, pem, len, MSG, sizeof MSG - 1);
    if (err != TKMS_OK) {
        assert_int_equal(*ct_len, 0);
    }
    return err;
}

static tkms_err ours_only(const char *pem, size_t len) {
    uint8_t ct[1100];
    size_t ct_len;
    return ours(ct, &ct_len, pem, len);
}

/* What the previous implementation did: OpenSSL's decoder, then type and size. */
static tkms_err openssl_verdict(EVP_PKEY **out, const char *pem, size_t len) {
    *out = NULL;
    if (len == 0 || len > TKMS_PRIM_RSA_PEM_BYTES_MAX) {
        return TKMS_ERR_PRIM_BAD_PEM;
    }
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    EVP_PKEY *key = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
    BIO_free(bio);
    if (key == NULL) {
        return TKMS_ERR_PRIM_BAD_PEM;
    }
    *out = key;
    if (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) {
        return TKMS_ERR_PRIM_NOT_RSA;
    }
    int bits = EVP_PKEY_get_bits(key);
    if (bits < TKMS_PRIM_RSA_BITS_MIN || bits > TKMS_PRIM_RSA_BITS_MAX) {
        return TKMS_ERR_PRIM_RSA_KEY_SIZE;
    }
    return TKMS_OK;
}

/* Decrypts ct with an OpenSSL context configured the classic way (ctrl calls), so the
   OAEP parameters are pinned independently of rsa.c. */
static void decrypt_check(EVP_PKEY *priv, const uint8_t *ct, size_t ct_len, const EVP_MD *md) {
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, priv, NULL);
    assert_non_null(ctx);
    assert_int_equal(EVP_PKEY_decrypt_init(ctx), 1);
    assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING), 1);
    assert_int_equal(EVP_PKEY_CTX_set_rsa_oaep_md(ctx, md), 1);
    assert_int_equal(EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()), 1);
    uint8_t back[1100];
    size_t back_len = sizeof back;
    int ok = EVP_PKEY_decrypt(ctx, back, &back_len, ct, ct_len);
    EVP_PKEY_CTX_free(ctx);
    if (md == EVP_sha256()) {
        assert_int_equal(ok, 1);
        assert_int_equal(back_len, sizeof MSG - 1);
        assert_memory_equal(back, MSG, sizeof MSG - 1);
    } else {
        assert_int_not_equal(ok, 1);
    }
}

/* ---- OpenSSL-generated keys -------------------------------------------------------- */

/* The PEM variants rsa.c accepts besides OpenSSL's own output, for one DER. */
static size_t pem_variant(char *out, const uint8_t *der, size_t len, int which) {
    static const struct {
        size_t width;
        bool crlf, final_nl;
    } V[] = {{64, false, true}, {64, true, true},  {64, false, false},
             {64, true, false}, {76, false, true}, {0, false, true},
             {0, true, false},  {4, false, true},  {68, true, true}};
    return pem_render(out, "PUBLIC KEY", der, len, V[which].width, V[which].crlf,
                      V[which].final_nl);
}
enum { PEM_VARIANTS = 9 };

static void check_generated(EVP_PKEY *key, size_t bits) {
    static char pub[PEM_MAX], priv[PEM_MAX], variant[PEM_MAX];
    uint8_t ct[1100], back[1100];
    size_t ct_len, back_len, pub_len = pem_of_pkey(pub, key, false);
    size_t priv_len = pem_of_pkey(priv, key, true);
    assert_int_equal(ours(ct, &ct_len, pub, pub_len), TKMS_OK);
    assert_int_equal(ct_len, bits / 8);
    assert_int_equal(
        tkms_prim_rsa_oaep_decrypt(back, &back_len, sizeof back, priv, priv_len, ct, ct_len),
        TKMS_OK);
    assert_int_equal(back_len, sizeof MSG - 1);
    assert_memory_equal(back, MSG, sizeof MSG - 1);
    decrypt_check(key, ct, ct_len, EVP_sha256());
    decrypt_check(key, ct, ct_len, EVP_sha1()); /* another OAEP hash must not open it */
    /* the same key in every accepted layout */
    uint8_t *der = NULL;
    int der_len = i2d_PUBKEY(key, &der);
    assert_true(der_len > 0);
    for (int v = 0; v < PEM_VARIANTS; v++) {
        size_t len = pem_variant(variant, der, (size_t)der_len, v);
        assert_int_equal(ours(ct, &ct_len, variant, len), TKMS_OK);
        decrypt_check(key, ct, ct_len, EVP_sha256());
    }
    assert_int_equal(pem_variant(variant, der, (size_t)der_len, 0), pub_len);
    assert_memory_equal(variant, pub, pub_len); /* variant 0 is OpenSSL's own layout */
    OPENSSL_free(der);
    /* The node's probe (node/secrets.c): out_max 0 -> LENGTH once the key passed. */
    size_t none_len = 1;
    assert_int_equal(tkms_prim_rsa_oaep_encrypt(ct, &none_len, 0, pub, pub_len, MSG, 1),
                     TKMS_ERR_PRIM_LENGTH);
    assert_int_equal(none_len, 0);
    /* The longest OAEP message, and one byte more. */
    size_t max_msg = bits / 8 - 2 * 32 - 2;
    static uint8_t big[1100];
    assert_int_equal(tkms_prim_rsa_oaep_encrypt(ct, &ct_len, sizeof ct, pub, pub_len, big, max_msg),
                     TKMS_OK);
    assert_int_equal(
        tkms_prim_rsa_oaep_encrypt(ct, &ct_len, sizeof ct, pub, pub_len, big, max_msg + 1),
        TKMS_ERR_PRIM_LENGTH);
    assert_int_equal(
        tkms_prim_rsa_oaep_encrypt(ct, &ct_len, bits / 8 - 1, pub, pub_len, MSG, sizeof MSG - 1),
        TKMS_ERR_PRIM_LENGTH);
}

static void test_generated_keys(void **state) {
    (void)state;
    static const unsigned sizes[] = {2048, 3072, 4096};
    for (size_t i = 0; i < 3; i++) {
        EVP_PKEY *key = EVP_RSA_gen(sizes[i]);
        assert_non_null(key);
        check_generated(key, sizes[i]);
        EVP_PKEY_free(key);
    }
}

/* The app's side keeps OpenSSL's decoder; its checks and errors are unchanged. */
static void test_private_path(void **state) {
    (void)state;
    static char priv[PEM_MAX], pub[PEM_MAX];
    uint8_t ct[1100], back[1100];
    size_t ct_len, back_len = 7;
    assert_int_equal(tkms_prim_rsa_keygen(priv, pub, sizeof priv, 2048), TKMS_OK);
    size_t priv_len = strlen(priv), pub_len = strlen(pub);
    assert_int_equal(ours(ct, &ct_len, pub, pub_len), TKMS_OK);
    assert_int_equal(
        tkms_prim_rsa_oaep_decrypt(back, &back_len, sizeof back, pub, pub_len, ct, ct_len),
        TKMS_ERR_PRIM_BAD_PEM); /* a public key is not a private one */
    assert_int_equal(back_len, 0);
    assert_int_equal(tkms_prim_rsa_oaep_decrypt(back, &back_len, sizeof back, priv, 0, ct, ct_len),
                     TKMS_ERR_PRIM_BAD_PEM);
    assert_int_equal(tkms_prim_rsa_oaep_decrypt(back, &back_len, 10, priv, priv_len, ct, ct_len),
                     TKMS_ERR_PRIM_RSA); /* plaintext longer than out_max */
    static char other[PEM_MAX];
    EVP_PKEY *ec = EVP_EC_gen("P-256"), *small = EVP_RSA_gen(1024);
    size_t len = pem_of_pkey(other, ec, true);
    assert_int_equal(
        tkms_prim_rsa_oaep_decrypt(back, &back_len, sizeof back, other, len, ct, ct_len),
        TKMS_ERR_PRIM_NOT_RSA);
    len = pem_of_pkey(other, small, true);
    assert_int_equal(
        tkms_prim_rsa_oaep_decrypt(back, &back_len, sizeof back, other, len, ct, ct_len),
        TKMS_ERR_PRIM_RSA_KEY_SIZE);
    EVP_PKEY_free(ec);
    EVP_PKEY_free(small);
    assert_int_equal(
        tkms_prim_rsa_oaep_decrypt(back, &back_len, sizeof back, priv, priv_len, ct, ct_len),
        TKMS_OK);
    assert_memory_equal(back, MSG, sizeof MSG - 1);
}

/* ---- the table of malformed and boundary keys --------------------------------------- */

enum { E_KEEP = -1 };

/* e variants of the 2048-bit base key: hex INTEGER contents, or a word when e_hex is NULL. */
static const struct {
    const char *name;
    unsigned long e;
    const char *e_hex;
    tkms_err want;
} E_CASES[] = {
    {"e = 0", 0, "00", TKMS_ERR_PRIM_BAD_PEM},
    {"e = 1", 1, NULL, TKMS_ERR_PRIM_BAD_PEM},
    {"e = 2", 2, NULL, TKMS_ERR_PRIM_BAD_PEM},
    {"e = 65536 (even)", 65536, NULL, TKMS_ERR_PRIM_BAD_PEM},
    {"e = 2^32 + 1 (huge)", 0, "0100000001", TKMS_ERR_PRIM_BAD_PEM},
    {"e = 2^64 + 1 (huge)", 0, "010000000000000001", TKMS_ERR_PRIM_BAD_PEM},
    {"e = -1", 0, "ff", TKMS_ERR_PRIM_BAD_PEM},
    {"e = 65537 with a needless 00", 0, "00010001", TKMS_ERR_PRIM_BAD_PEM},
    {"e empty", 0, "", TKMS_ERR_PRIM_BAD_PEM},
    {"e = 3", 3, NULL, TKMS_OK},
    {"e = 17", 17, NULL, TKMS_OK},
    {"e = 2^31 + 1", 0, "0080000001", TKMS_OK},
    {"e = 2^32 - 1 (largest)", 0, "00ffffffff", TKMS_OK},
};
enum { N_LONG = 7, N_TRAIL = 5, N_E = sizeof E_CASES / sizeof E_CASES[0] };

static tkms_err e_case(spki_spec *s, int id, const char **name) {
    *name = E_CASES[id].name;
    if (E_CASES[id].e_hex != NULL) {
        long len = tu_unhex(s->e, sizeof s->e, E_CASES[id].e_hex);
        assert_true(len >= 0);
        s->e_len = (size_t)len;
    } else {
        BIGNUM *e = bn_word(E_CASES[id].e);
        s->e_len = int_content(s->e, e);
        BN_free(e);
    }
    return E_CASES[id].want;
}

/* INTEGER n, algorithm and BIT STRING variants; *name NULL past the last one. */
static tkms_err shape_case(spki_spec *s, int id, const char **name) {
    static const char *NAMES[] = {"negative n (no sign byte)",
                                  "n with a needless 00",
                                  "n = 0",
                                  "n empty",
                                  "RSA-PSS OID",
                                  "EC OID with P-256 parameters",
                                  "malformed OID",
                                  "rsaEncryption without NULL parameters",
                                  "rsaEncryption with OID parameters",
                                  "BIT STRING with 1 unused bit",
                                  "the valid base key",
                                  "empty OID",
                                  "OID ending inside a sub-identifier",
                                  "parameters: a cut TLV",
                                  "parameters: a high-tag-number tag",
                                  "rsaEncryption with OCTET STRING parameters"};
    static const uint8_t OID_CUT[] = {0x2a, 0x86}, CUT_TLV[] = {0x05},
                         HIGH_TAG[] = {0x1f, 0x01, 0x00}, OCTETS[] = {0x04, 0x00};
    *name = id < 16 ? NAMES[id] : NULL;
    switch (id) {
    case 0:
        assert_int_equal(s->n[0], 0);
        memmove(s->n, s->n + 1, --s->n_len);
        return TKMS_ERR_PRIM_BAD_PEM;
    case 1:
        memmove(s->n + 1, s->n, s->n_len++);
        return TKMS_ERR_PRIM_BAD_PEM;
    case 2:
    case 3:
        s->n[0] = 0;
        s->n_len = id == 2 ? 1 : 0;
        return TKMS_ERR_PRIM_BAD_PEM;
    case 4:
        s->oid = OID_RSA_PSS;
        return TKMS_ERR_PRIM_NOT_RSA;
    case 5:
        s->oid = OID_EC;
        s->oid_len = sizeof OID_EC;
        s->params = OID_P256;
        s->params_len = sizeof OID_P256;
        return TKMS_ERR_PRIM_NOT_RSA;
    case 6:
        s->oid = OID_BAD;
        s->oid_len = sizeof OID_BAD;
        return TKMS_ERR_PRIM_BAD_PEM;
    case 7:
    case 8:
        s->params = OID_P256;
        s->params_len = id == 7 ? 0 : sizeof OID_P256;
        return TKMS_ERR_PRIM_BAD_PEM;
    case 9:
        s->unused_bits = 1;
        return TKMS_ERR_PRIM_BAD_PEM;
    case 11:
    case 12:
        s->oid = OID_CUT;
        s->oid_len = id == 11 ? 0 : sizeof OID_CUT;
        return TKMS_ERR_PRIM_BAD_PEM;
    case 13:
        s->params = CUT_TLV;
        s->params_len = sizeof CUT_TLV;
        return TKMS_ERR_PRIM_BAD_PEM;
    case 14:
        s->oid = OID_EC;
        s->oid_len = sizeof OID_EC;
        s->params = HIGH_TAG;
        s->params_len = sizeof HIGH_TAG;
        return TKMS_ERR_PRIM_BAD_PEM;
    case 15:
        s->params = OCTETS;
        s->params_len = sizeof OCTETS;
        return TKMS_ERR_PRIM_BAD_PEM;
    default:
        return TKMS_OK;
    }
}

/* Case `id` applied to a spec holding a 2048-bit n and e = 65537: long-form lengths,
   trailing TLVs, e variants, then shape variants. Returns the expected error. */
static tkms_err der_case(spki_spec *s, int id, const char **name) {
    static const int LONG[] = {L_OUTER, L_ALG, L_OID, L_BITS, L_RSAKEY, L_N, L_E};
    static const char *LONG_NAMES[] = {"long-form length: outer",  "long-form length: alg",
                                       "long-form length: oid",    "long-form length: bits",
                                       "long-form length: rsakey", "long-form length: n",
                                       "long-form length: e"};
    static const char *TRAIL_NAMES[] = {
        "trailing TLV after the SPKI", "trailing TLV in SPKI", "trailing TLV in alg (two params)",
        "trailing TLV in BIT STRING", "trailing TLV in RSAPublicKey"};
    if (id < N_LONG) {
        s->long_level = LONG[id];
        *name = LONG_NAMES[id];
        return TKMS_ERR_PRIM_BAD_PEM;
    }
    id -= N_LONG;
    if (id < N_TRAIL) {
        s->trail_level = T_AFTER + id;
        *name = TRAIL_NAMES[id];
        return TKMS_ERR_PRIM_BAD_PEM;
    }
    id -= N_TRAIL;
    return id < N_E ? e_case(s, id, name) : shape_case(s, id - N_E, name);
}

static void check_pem(const char *name, const char *pem, size_t len, tkms_err want) {
    tkms_err got = ours_only(pem, len);
    if (got != want) {
        fail_msg("%s: got %s, want %s", name, tkms_err_name(got), tkms_err_name(want));
    }
}

static void check_der(const char *name, const uint8_t *der, size_t len, tkms_err want) {
    static char pem[PEM_MAX];
    check_pem(name, pem, pem_std(pem, der, len), want);
}

static void test_der_table(void **state) {
    (void)state;
    static spki_spec s;
    static uint8_t der[DER_MAX];
    BIGNUM *n = random_modulus(2048), *e = bn_word(65537);
    const char *name = "";
    int count = 0;
    for (int id = 0; name != NULL; id++) {
        spec_rsa(&s, n, e);
        tkms_err want = der_case(&s, id, &name);
        if (name != NULL) {
            check_der(name, der, spki_build(der, &s), want);
            count++;
        }
    }
    assert_true(count > 30);
    /* every truncation of the valid DER */
    spec_rsa(&s, n, e);
    size_t len = spki_build(der, &s);
    for (size_t cut = 0; cut < len; cut++) {
        check_der("truncated DER", der, cut, TKMS_ERR_PRIM_BAD_PEM);
    }
    /* raw edits: indefinite length, other tags, an empty BIT STRING */
    static uint8_t raw[DER_MAX];
    memcpy(raw, der, len);
    raw[1] = 0x80;
    memmove(raw + 2, der + 4, len - 4);
    raw[len - 2] = raw[len - 1] = 0; /* 30 80 ... 00 00 */
    check_der("indefinite length", raw, len, TKMS_ERR_PRIM_BAD_PEM);
    memcpy(raw, der, len);
    raw[0] = 0x31;
    check_der("SET, not SEQUENCE", raw, len, TKMS_ERR_PRIM_BAD_PEM);
    memcpy(raw, der, len);
    raw[4] = 0x3f; /* a high-tag-number form tag */
    check_der("high tag number", raw, len, TKMS_ERR_PRIM_BAD_PEM);
    uint8_t empty_bits[] = {0x30, 0x11, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                            0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00, 0x03, 0x00};
    check_der("empty BIT STRING", empty_bits, sizeof empty_bits, TKMS_ERR_PRIM_BAD_PEM);
    empty_bits[1] = 0x12;
    uint8_t only_unused[20];
    memcpy(only_unused, empty_bits, 19);
    only_unused[18] = 0x01;
    only_unused[19] = 0x00;
    check_der("BIT STRING of just the unused-bits byte", only_unused, 20, TKMS_ERR_PRIM_BAD_PEM);
    static const uint8_t CUT81[] = {0x30, 0x81}, CUT82[] = {0x30, 0x82, 0x01},
                         SHORT81[] = {0x30, 0x81, 0x01, 0x00}, LEN83[] = {0x30, 0x83, 0, 0, 1, 0};
    check_der("cut after 81", CUT81, sizeof CUT81, TKMS_ERR_PRIM_BAD_PEM);
    check_der("cut inside 82", CUT82, sizeof CUT82, TKMS_ERR_PRIM_BAD_PEM);
    check_der("81 for a short length", SHORT81, sizeof SHORT81, TKMS_ERR_PRIM_BAD_PEM);
    check_der("three length bytes", LEN83, sizeof LEN83, TKMS_ERR_PRIM_BAD_PEM);
    BN_free(n);
    BN_free(e);
}

/* Modulus sizes around both limits; an even n parses and fails in OpenSSL (TKMS_ERR_PRIM_RSA). */
static void test_modulus_sizes(void **state) {
    (void)state;
    static spki_spec s;
    static uint8_t der[DER_MAX];
    static const struct {
        int bits;
        tkms_err want;
    } SIZES[] = {{1024, TKMS_ERR_PRIM_RSA_KEY_SIZE},
                 {2047, TKMS_ERR_PRIM_RSA_KEY_SIZE},
                 {2048, TKMS_OK},
                 {2049, TKMS_OK},
                 {3072, TKMS_OK},
                 {8192, TKMS_OK},
                 {8193, TKMS_ERR_PRIM_RSA_KEY_SIZE},
                 {8200, TKMS_ERR_PRIM_RSA_KEY_SIZE},
                 {16384, TKMS_ERR_PRIM_RSA_KEY_SIZE}};
    BIGNUM *e = bn_word(65537), *even = bn_word(65536);
    for (size_t i = 0; i < sizeof SIZES / sizeof SIZES[0]; i++) {
        BIGNUM *n = random_modulus(SIZES[i].bits);
        spec_rsa(&s, n, e);
        size_t len = spki_build(der, &s);
        static char pem[PEM_MAX];
        size_t pem_len = pem_std(pem, der, len);
        uint8_t ct[1100];
        size_t ct_len;
        assert_int_equal(ours(ct, &ct_len, pem, pem_len), SIZES[i].want);
        if (SIZES[i].want == TKMS_OK) {
            assert_int_equal(ct_len, ((size_t)SIZES[i].bits + 7) / 8);
        }
        EVP_PKEY *key;
        assert_int_equal(openssl_verdict(&key, pem, pem_len), SIZES[i].want); /* as before */
        EVP_PKEY_free(key);
        spec_rsa(&s, n, even); /* bad e is reported before the size */
        check_der("even e", der, spki_build(der, &s), TKMS_ERR_PRIM_BAD_PEM);
        BN_free(n);
    }
    BIGNUM *n = random_modulus(2048);
    BN_clear_bit(n, 0);
    spec_rsa(&s, n, e);
    check_der("even n", der, spki_build(der, &s), TKMS_ERR_PRIM_RSA);
    BN_free(n);
    BN_free(e);
    BN_free(even);
}

/* ---- PEM framing ----------------------------------------------------------------- */

/* text with `insert` put at offset at (0 = front; SIZE_MAX = end). */
static size_t spliced(char *out, const char *text, size_t len, size_t at, const char *insert) {
    at = at > len ? len : at;
    size_t ins = strlen(insert);
    memcpy(out, text, at);
    memcpy(out + at, insert, ins);
    memcpy(out + at + ins, text + at, len - at);
    out[len + ins] = 0;
    return len + ins;
}

static size_t line_start(const char *pem, int line) { /* offset of line `line` (0-based) */
    size_t o = 0;
    for (int i = 0; i < line; i++) {
        o = (size_t)(strchr(pem + o, '\n') - pem) + 1;
    }
    return o;
}

static void test_pem_framing(void **state) {
    (void)state;
    static char pem[PEM_MAX], other[PEM_MAX], buf[PEM_MAX];
    EVP_PKEY *key = EVP_RSA_gen(2048);
    assert_non_null(key);
    size_t len = pem_of_pkey(pem, key, false);
    assert_int_equal(ours_only(pem, len), TKMS_OK);
    size_t body2 = line_start(pem, 2), end_line = (size_t)(strstr(pem, "-----END") - pem);
    const struct {
        const char *name;
        size_t at;
        const char *insert;
    } INS[] = {
        {"text before BEGIN", 0, "key:\n"},      {"newline before BEGIN", 0, "\n"},
        {"text after END", SIZE_MAX, "x"},       {"blank line after END", SIZE_MAX, "\n"},
        {"space after END", SIZE_MAX, " "},      {"space after BEGIN", 26, " "},
        {"blank line after BEGIN", 27, "\n"},    {"blank line before END", end_line, "\n"},
        {"header line", 27, "Comment: x\n"},     {"space in a body line", body2 + 8, " "},
        {"tab at a line end", body2 + 64, "\t"}, {"CR in an LF file", body2 + 64, "\r"},
        {"dash in the body", body2 + 3, "-"},    {"quad of padding mid-body", body2, "===="},
    };
    for (size_t i = 0; i < sizeof INS / sizeof INS[0]; i++) {
        check_pem(INS[i].name, buf, spliced(buf, pem, len, INS[i].at, INS[i].insert),
                  TKMS_ERR_PRIM_BAD_PEM);
    }
    check_pem("a NUL counted after END", pem, len + 1, TKMS_ERR_PRIM_BAD_PEM);
    check_pem("cut inside END", pem, len - 3, TKMS_ERR_PRIM_BAD_PEM);
    check_pem("no END line", pem, end_line, TKMS_ERR_PRIM_BAD_PEM);
    check_pem("empty input", pem, 0, TKMS_ERR_PRIM_BAD_PEM);
    check_pem("over 8192 bytes", pem, TKMS_PRIM_RSA_PEM_BYTES_MAX + 1, TKMS_ERR_PRIM_BAD_PEM);
    check_pem("only BEGIN", pem, 27, TKMS_ERR_PRIM_BAD_PEM);
    check_pem("only BEGIN, no newline", pem, 26, TKMS_ERR_PRIM_BAD_PEM);
    check_pem("BEGIN and a lone CR", "-----BEGIN PUBLIC KEY-----\r", 27, TKMS_ERR_PRIM_BAD_PEM);
    check_pem("garbage", "garbage", 7, TKMS_ERR_PRIM_BAD_PEM);
    check_pem("empty body", "-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n", 52,
              TKMS_ERR_PRIM_BAD_PEM);
    /* other labels: lower case, PKCS#1, a private key, mismatched END */
    memcpy(buf, pem, len);
    memcpy(buf + 11, "public key", 10);
    check_pem("lower-case label", buf, len, TKMS_ERR_PRIM_BAD_PEM);
    check_pem("PKCS#8 private key", other, pem_of_pkey(other, key, true), TKMS_ERR_PRIM_BAD_PEM);
    /* PKCS#1 RSAPublicKey ("RSA PUBLIC KEY"), which OpenSSL's PUBKEY reader accepts: the
       BIT STRING contents of the 2048-bit SPKI (30 82 01 22 | 30 0d .. 05 00 | 03 82 01 0f 00) */
    uint8_t *spki = NULL;
    int spki_len = i2d_PUBKEY(key, &spki);
    assert_int_equal(spki_len, 294);
    size_t p1 = pem_render(other, "RSA PUBLIC KEY", spki + 24, 270, 64, false, true);
    OPENSSL_free(spki);
    EVP_PKEY *back;
    assert_int_equal(openssl_verdict(&back, other, p1), TKMS_OK);
    EVP_PKEY_free(back);
    check_pem("PKCS#1 RSA PUBLIC KEY", other, p1, TKMS_ERR_PRIM_BAD_PEM);
    memcpy(buf, pem, len);
    size_t e = (size_t)(strstr(buf, "-----END") - buf);
    size_t n = spliced(other, buf, len, e + 9, "RSA ");
    check_pem("END RSA PUBLIC KEY", other, n, TKMS_ERR_PRIM_BAD_PEM);
    EVP_PKEY_free(key);
}

/* Line layout: widths, ragged lines, padding placement, non-canonical base64, endings. */
static void test_pem_lines(void **state) {
    (void)state;
    static spki_spec s;
    static uint8_t der[DER_MAX];
    static char pem[PEM_MAX], buf[PEM_MAX];
    BIGNUM *n = random_modulus(2048), *e = bn_word(3);
    spec_rsa(&s, n, e);
    size_t len = spki_build(der, &s);
    assert_int_equal(len % 3, 1); /* base64 ends in "==" */
    static const struct {
        size_t width;
        tkms_err want;
    } W[] = {{4, TKMS_OK},
             {60, TKMS_OK},
             {64, TKMS_OK},
             {72, TKMS_OK},
             {76, TKMS_OK},
             {0, TKMS_OK},
             {63, TKMS_ERR_PRIM_BAD_PEM},
             {65, TKMS_ERR_PRIM_BAD_PEM},
             {80, TKMS_ERR_PRIM_BAD_PEM},
             {2, TKMS_ERR_PRIM_BAD_PEM}};
    for (size_t i = 0; i < sizeof W / sizeof W[0]; i++) {
        for (int crlf = 0; crlf < 2; crlf++) {
            char name[64];
            snprintf(name, sizeof name, "width %zu%s", W[i].width, crlf ? " CRLF" : "");
            check_pem(name, pem, pem_render(pem, "PUBLIC KEY", der, len, W[i].width, crlf, crlf),
                      W[i].want);
        }
    }
    size_t plen = pem_std(pem, der, len);
    size_t l1 = line_start(pem, 1), l2 = line_start(pem, 2), end = line_start(pem, 7);
    /* a first line of 32 and then 64: the second line is longer than the first */
    check_pem("short first line", buf, spliced(buf, pem, plen, l1 + 32, "\n"),
              TKMS_ERR_PRIM_BAD_PEM);
    /* the last line longer than the others: join the last two body lines */
    memcpy(buf, pem, plen);
    assert_int_equal(buf[end - 1], '\n');
    memmove(buf + end - 1, buf + end, plen - end);
    check_pem("long last line", buf, plen - 1, TKMS_ERR_PRIM_BAD_PEM);
    /* mixed endings */
    check_pem("one CRLF line in LF", buf, spliced(buf, pem, plen, l2 - 1, "\r"),
              TKMS_ERR_PRIM_BAD_PEM);
    size_t c = pem_render(pem, "PUBLIC KEY", der, len, 64, true, true);
    memcpy(buf, pem, c);
    memmove(buf + c - 2, buf + c - 1, 1); /* END line ends in LF in a CRLF file */
    check_pem("LF END in CRLF", buf, c - 1, TKMS_ERR_PRIM_BAD_PEM);
    check_pem("CR after END, no LF", pem, c - 1, TKMS_ERR_PRIM_BAD_PEM);
    check_pem("bare LF blank line in CRLF", buf, spliced(buf, pem, c, 28, "\n"),
              TKMS_ERR_PRIM_BAD_PEM);
    /* padding that is not at the end: the first 46 bytes end in "==" */
    static char b64[PEM_MAX];
    size_t o = (size_t)sprintf(buf, "-----BEGIN PUBLIC KEY-----\n");
    o += (size_t)EVP_EncodeBlock((unsigned char *)buf + o, der, 46);
    assert_int_equal(buf[o - 1], '=');
    buf[o++] = '\n';
    size_t rest = pem_render(b64, "X", der + 46, len - 46, 64, false, true);
    size_t head = strlen("-----BEGIN X-----\n"), tail = strlen("-----END X-----\n");
    memcpy(buf + o, b64 + head, rest - head - tail); /* the body lines of the rest */
    o += rest - head - tail;
    o += (size_t)sprintf(buf + o, "-----END PUBLIC KEY-----\n");
    check_pem("padding mid-body", buf, o, TKMS_ERR_PRIM_BAD_PEM);
    /* non-zero bits under the padding: "xY==" -> the char before == gets a low bit */
    plen = pem_std(pem, der, len);
    char *pad = strstr(pem, "==");
    assert_non_null(pad);
    pad[-1] = pad[-1] == 'A' ? 'B' : pad[-1] == 'Q' ? 'R' : pad[-1] == 'g' ? 'h' : 'x';
    check_pem("non-canonical padding bits", pem, plen, TKMS_ERR_PRIM_BAD_PEM);
    BN_free(n);
    BN_free(e);
}

/* ---- the differential loop ---------------------------------------------------------- */

/* A modulus of known factorization (a product of random primes) and lambda(n), so any
   invertible e gets its d: the loop can decrypt what we encrypted under OpenSSL's parse. */
typedef struct {
    BIGNUM *n;
    BIGNUM *lambda;
} known_key;

/* p - 1 shares no factor with 2^32 - 1 = 3 * 5 * 17 * 257 * 65537: every odd e of pick_e()
   below 2^32 (3, 17, 65537, 2^32 - 1) is then invertible mod lambda(n). */
static bool prime_fits_e(const BIGNUM *p) {
    static const BN_ULONG Q[] = {3, 5, 17, 257, 65537};
    for (size_t i = 0; i < 5; i++) {
        if (BN_mod_word(p, Q[i]) == 1) {
            return false;
        }
    }
    return true;
}

/* A prime of exactly `bits` bits (top two set) drawn from the seeded test PRNG, so the
   whole loop replays from TKMS_TEST_SEED. */
static void seeded_prime(BIGNUM *p, int bits, tu_rng *r, BN_CTX *bn) {
    uint8_t buf[128];
    size_t len = ((size_t)bits + 7) / 8;
    assert_true(bits >= 16 && len <= sizeof buf);
    tu_rng_bytes(r, buf, len);
    assert_non_null(BN_bin2bn(buf, (int)len, p));
    (void)BN_mask_bits(p, bits); /* 0 when p is already short enough: fine */
    assert_int_equal(BN_set_bit(p, bits - 1) && BN_set_bit(p, bits - 2) && BN_set_bit(p, 0), 1);
    while (!prime_fits_e(p) || BN_check_prime(p, bn, NULL) != 1) {
        assert_int_equal(BN_add_word(p, 2), 1);
    }
    assert_int_equal(BN_num_bits(p), bits); /* from >= 3/4 * 2^bits: no prime gap is that wide */
}

/* n of about target_bits (target or target + 1) from primes of prime_bits, the last one
   sized to land there. */
static void known_key_make(known_key *k, int target_bits, int prime_bits, tu_rng *r, BN_CTX *bn) {
    k->n = BN_new();
    k->lambda = BN_new();
    BIGNUM *p = BN_new(), *pm1 = BN_new(), *g = BN_new();
    assert_int_equal(BN_one(k->n) && BN_one(k->lambda), 1);
    for (bool last = false; !last;) {
        int have = BN_num_bits(k->n), size = prime_bits;
        if (have + prime_bits + 64 > target_bits) {
            size = target_bits - have + 1; /* bit lengths a, c multiply to a + c - 1 or a + c */
            last = true;
        }
        seeded_prime(p, size, r, bn);
        assert_int_equal(BN_mul(k->n, k->n, p, bn), 1);
        assert_int_equal(BN_sub(pm1, p, BN_value_one()), 1);
        /* lambda = lcm(lambda, p - 1) */
        assert_int_equal(BN_gcd(g, k->lambda, pm1, bn), 1);
        assert_int_equal(BN_mul(k->lambda, k->lambda, pm1, bn), 1);
        assert_int_equal(BN_div(k->lambda, NULL, k->lambda, g, bn), 1);
    }
    int bits = BN_num_bits(k->n);
    assert_true(bits == target_bits || bits == target_bits + 1);
    BN_free(p);
    BN_free(pm1);
    BN_free(g);
}

typedef struct {
    int agree_accept, agree_reject, stricter_pem, stricter_der, stricter_e, decrypted;
    int code_differs; /* both reject, with different codes (documented in rsa.c) */
} diff_stats;

/* rsa.c's PEM rule, stated independently: the input is byte-identical to the rendering of
   OpenSSL's decoded DER with label PUBLIC KEY, no headers, the input's own line ending,
   first-line width (a multiple of 4 and <= 76 unless the body is one line) and final
   newline. *data gets the DER OpenSSL read (caller frees) or NULL. */
static bool pem_is_strict(uint8_t **data, long *data_len, const char *pem, size_t len) {
    static char render[PEM_MAX];
    char *name = NULL, *header = NULL;
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    int ok = PEM_read_bio(bio, &name, &header, data, data_len);
    BIO_free(bio);
    if (ok != 1) {
        *data = NULL;
        return false;
    }
    bool strict = strcmp(name, "PUBLIC KEY") == 0 && header[0] == 0 && len > 28;
    OPENSSL_free(name);
    OPENSSL_free(header);
    if (!strict) {
        return false;
    }
    bool crlf = pem[26] == '\r';
    size_t body = 26 + (crlf ? 2 : 1);
    const char *nl = memchr(pem + body, '\n', len - body);
    if (nl == NULL) {
        return false;
    }
    size_t width = (size_t)(nl - pem) - body - (crlf ? 1 : 0);
    size_t b64_len = ((size_t)*data_len + 2) / 3 * 4;
    if (width == 0 || (b64_len > width && (width % 4 != 0 || width > 76))) {
        return false;
    }
    size_t r = pem_render(render, "PUBLIC KEY", *data, (size_t)*data_len, width, crlf,
                          pem[len - 1] == '\n');
    return r == len && memcmp(render, pem, len) == 0;
}

static bool der_is_canonical(EVP_PKEY *key, const uint8_t *data, long data_len) {
    uint8_t *der = NULL;
    int len = i2d_PUBKEY(key, &der);
    bool same = len == data_len && memcmp(der, data, (size_t)len) == 0;
    OPENSSL_free(der);
    return same;
}

static bool e_is_allowed(const BIGNUM *e) {
    BIGNUM *three = bn_word(3);
    bool ok = !BN_is_negative(e) && BN_is_odd(e) && BN_cmp(e, three) >= 0 && BN_num_bits(e) <= 32;
    BN_free(three);
    return ok;
}

/* Decrypts ct under (n, e) if n is k's and e is invertible mod lambda(n). */
static bool decrypt_known(const known_key *k, const BIGNUM *n, const BIGNUM *e, const uint8_t *ct,
                          size_t ct_len) {
    if (BN_cmp(n, k->n) != 0) {
        return false;
    }
    BN_CTX *bn = BN_CTX_new();
    BIGNUM *d = BN_mod_inverse(NULL, e, k->lambda, bn);
    BN_CTX_free(bn);
    if (d == NULL) {
        return false;
    }
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    assert_int_equal(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) &&
                         OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) &&
                         OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_D, d),
                     1);
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    EVP_PKEY *priv = NULL;
    assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
    assert_int_equal(EVP_PKEY_fromdata(ctx, &priv, EVP_PKEY_KEYPAIR, params), 1);
    decrypt_check(priv, ct, ct_len, EVP_sha256());
    EVP_PKEY_free(priv);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_clear_free(d);
    return true;
}

/* One case: our verdict against OpenSSL's, with the stricter rejects explained. */
static void diff_check(diff_stats *st, const char *pem, size_t len, const known_key *k, int no) {
    uint8_t ct[1100];
    size_t ct_len;
    tkms_err mine = ours(ct, &ct_len, pem, len);
    EVP_PKEY *key;
    tkms_err theirs = openssl_verdict(&key, pem, len);
    uint8_t *data = NULL;
    long data_len = 0;
    bool pem_ok = key != NULL && pem_is_strict(&data, &data_len, pem, len);
    bool der_ok = pem_ok && der_is_canonical(key, data, data_len);
    const BIGNUM *n = NULL, *e = NULL;
    if (key != NULL && EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA) {
        RSA_get0_key(EVP_PKEY_get0_RSA(key), &n, &e, NULL);
    }
    bool e_ok = n != NULL && !BN_is_negative(n) && e_is_allowed(e);
    bool strict = pem_ok && der_ok && (theirs == TKMS_ERR_PRIM_NOT_RSA || e_ok);
    tkms_err want = strict || theirs == TKMS_ERR_PRIM_BAD_PEM ? theirs : TKMS_ERR_PRIM_BAD_PEM;
    bool match = mine == want;
    if (theirs == TKMS_OK && strict && mine == TKMS_ERR_PRIM_RSA) {
        match = !BN_is_odd(n); /* parsed; OpenSSL's arithmetic refuses an even n */
    }
    if ((theirs == TKMS_ERR_PRIM_BAD_PEM || (theirs == TKMS_ERR_PRIM_NOT_RSA && !strict)) &&
        mine == TKMS_ERR_PRIM_NOT_RSA) {
        match = true; /* an SPKI of another algorithm that OpenSSL cannot decode */
        st->code_differs += theirs == TKMS_ERR_PRIM_BAD_PEM;
    }
    if (!match) {
        fail_msg("case %d (TKMS_TEST_SEED=%llu): ours %s, OpenSSL %s, pem strict %d, der "
                 "canonical %d, e allowed %d\n%.*s",
                 no, (unsigned long long)tu_seed(), tkms_err_name(mine), tkms_err_name(theirs),
                 pem_ok, der_ok, e_ok, (int)(len < 600 ? len : 600), pem);
    }
    if (mine == TKMS_OK) {
        assert_int_equal(ct_len, (size_t)BN_num_bytes(n));
        st->decrypted += decrypt_known(k, n, e, ct, ct_len);
    }
    bool both_accept = (mine == TKMS_OK || mine == TKMS_ERR_PRIM_RSA) && theirs == TKMS_OK;
    st->agree_accept += both_accept;
    st->agree_reject += theirs != TKMS_OK;
    st->stricter_pem += theirs == TKMS_OK && !pem_ok;
    st->stricter_der += theirs == TKMS_OK && pem_ok && !der_ok;
    st->stricter_e += theirs == TKMS_OK && pem_ok && der_ok && !e_ok;
    OPENSSL_free(data);
    EVP_PKEY_free(key);
}

static size_t pick_pos(tu_rng *r, size_t len) { /* mostly the headers and e */
    uint64_t x = tu_rng_next(r);
    size_t head = len < 32 ? len : 32, tail = len < 8 ? len : 8;
    if (len == 0) {
        return 0;
    }
    switch (x % 10) {
    case 0:
    case 1:
    case 2:
    case 3:
        return (size_t)(x >> 8) % head;
    case 4:
    case 5:
    case 6:
        return len - tail + (size_t)(x >> 8) % tail;
    default:
        return (size_t)(x >> 8) % len;
    }
}

/* e for a case: mostly usual ones, sometimes each kind of bad one. */
static BIGNUM *pick_e(tu_rng *r) {
    static const unsigned long E[] = {65537, 65537, 65537, 65537,        65537,        65537,
                                      65537, 65537, 3,     17,           0xffffffffUL, 1,
                                      0,     2,     65536, 0x100000001UL};
    uint64_t x = tu_rng_next(r) % 18;
    if (x < 16) {
        return bn_word(E[x]);
    }
    BIGNUM *e = BN_new(); /* random odd 33..64-bit (too large) */
    assert_int_equal(BN_rand(e, 33 + (int)(x & 31), BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ODD), 1);
    return e;
}

static size_t mutate_der(uint8_t *der, size_t len, spki_spec *s, tu_rng *r) {
    size_t pos = pick_pos(r, len);
    uint8_t byte = (uint8_t)tu_rng_next(r);
    switch (tu_rng_next(r) % 9) {
    case 0:
        der[pos] ^= (uint8_t)(1u << (byte & 7));
        return len;
    case 1:
        der[pos] = byte;
        return len;
    case 2:
        memmove(der + pos + 1, der + pos, len - pos);
        der[pos] = byte;
        return len + 1;
    case 3:
        memmove(der + pos, der + pos + 1, len - pos - 1);
        return len - 1;
    case 4:
        return pos;
    case 5:
        der[len] = byte;
        return len + 1;
    case 6:
        s->long_level = 1 + (int)(byte % 7);
        return spki_build(der, s);
    case 7:
        s->trail_level = 1 + (int)(byte % 5);
        return spki_build(der, s);
    default:
        s->unused_bits = byte & 7;
        return spki_build(der, s);
    }
}

static size_t mutate_pem(char *pem, size_t len, tu_rng *r) {
    static const char CHARS[] = " \t\r\n=A/-:";
    size_t pos = (size_t)(tu_rng_next(r) % (len + 1));
    char c[2] = {CHARS[tu_rng_next(r) % (sizeof CHARS - 1)], 0};
    static char tmp[PEM_MAX];
    switch (tu_rng_next(r) % 6) {
    case 0:
        len = spliced(tmp, pem, len, pos, c);
        break;
    case 1:
        pos = pos < len ? pos : len - 1;
        memmove(pem + pos, pem + pos + 1, len - pos - 1);
        return len - 1;
    case 2:
        pos = pos < len ? pos : len - 1;
        pem[pos] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[pos % 64];
        return len;
    case 3:
        len = spliced(tmp, pem, len, 0, tu_rng_next(r) % 2 ? "\n" : "Key:\n");
        break;
    case 4:
        len = spliced(tmp, pem, len, len, tu_rng_next(r) % 2 ? "\n" : "trailer");
        break;
    default:
        return len; /* the layout alone */
    }
    memcpy(pem, tmp, len + 1);
    return len;
}

/* Builds case `no` into pem: a key from the pool, an e, then maybe one mutation. */
static size_t diff_case(char *pem, int *key_index, const known_key *pool, size_t pool_count,
                        tu_rng *r) {
    static spki_spec s;
    static uint8_t der[DER_MAX + 8];
    static const size_t WIDTHS[] = {64, 64, 64, 76, 0, 4, 60, 63, 80, 65};
    *key_index = (int)(tu_rng_next(r) % pool_count);
    BIGNUM *e = pick_e(r);
    spec_rsa(&s, pool[*key_index].n, e);
    BN_free(e);
    size_t len = spki_build(der, &s);
    uint64_t kind = tu_rng_next(r) % 100;
    if (kind < 30) {
        return pem_std(pem, der, len);
    }
    if (kind < 65) {
        len = mutate_der(der, len, &s, r);
        return pem_std(pem, der, len);
    }
    uint64_t x = tu_rng_next(r);
    bool crlf = (x >> 8) % 2, final_nl = (x >> 9) % 4 != 0;
    len = pem_render(pem, (x >> 12) % 8 == 0 ? "RSA PUBLIC KEY" : "PUBLIC KEY", der, len,
                     WIDTHS[x % 10], crlf, final_nl);
    return mutate_pem(pem, len, r);
}

static void test_differential(void **state) {
    (void)state;
    static const int SHAPES[][2] = {{1024, 128}, {2047, 256}, {2048, 128}, {2048, 256},
                                    {2048, 192}, {2176, 128}, {3072, 256}, {3072, 512},
                                    {4096, 256}, {8192, 512}, {8192, 256}};
    enum { POOL = sizeof SHAPES / sizeof SHAPES[0], CASES = 200 };
    known_key pool[POOL];
    tu_rng r;
    tu_rng_seed(&r, tu_seed());
    BN_CTX *bn = BN_CTX_new();
    for (size_t i = 0; i < POOL; i++) {
        known_key_make(&pool[i], SHAPES[i][0], SHAPES[i][1], &r, bn);
    }
    BN_CTX_free(bn);
    diff_stats st = {0};
    static char pem[PEM_MAX];
    for (int no = 0; no < CASES; no++) {
        int k;
        size_t len = diff_case(pem, &k, pool, POOL, &r);
        diff_check(&st, pem, len, &pool[k], no);
    }
    printf("# differential: %d cases; both accept %d (decrypted %d), OpenSSL rejects %d (codes "
           "differ %d); stricter rejects: PEM %d, DER %d, e %d\n",
           CASES, st.agree_accept, st.decrypted, st.agree_reject, st.code_differs, st.stricter_pem,
           st.stricter_der, st.stricter_e);
    assert_int_equal(st.agree_accept + st.agree_reject + st.stricter_pem + st.stricter_der +
                         st.stricter_e,
                     CASES);
    assert_true(st.agree_accept >= 20); /* the mix stays meaningful (about 25-50 each) */
    assert_true(st.decrypted >= 15);
    assert_true(st.agree_reject >= 20);
    assert_true(st.stricter_pem >= 1 && st.stricter_der >= 1 && st.stricter_e >= 1);
    for (size_t i = 0; i < POOL; i++) {
        BN_free(pool[i].n);
        BN_free(pool[i].lambda);
    }
}

/* ---- fuzz seeds ---------------------------------------------------------------------- */

static void write_seed(const char *dir, const char *name, const char *pem, size_t len) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(pem, 1, len, f), len);
    fclose(f);
    printf("%-28s %5zu bytes, ours: %s\n", name, len, tkms_err_name(ours_only(pem, len)));
}

static void write_spec_seed(const char *dir, const char *name, const spki_spec *s) {
    static uint8_t der[DER_MAX];
    static char pem[PEM_MAX];
    write_seed(dir, name, pem, pem_std(pem, der, spki_build(der, s)));
}

/* The seeds of tests/prim/corpus/fuzz_rsa_pem (random moduli: regenerating changes bytes). */
static void write_corpus(const char *dir) {
    static spki_spec s;
    static uint8_t der[DER_MAX];
    static char pem[PEM_MAX];
    BIGNUM *n = random_modulus(2048), *e = bn_word(65537);
    static const struct {
        const char *name;
        int id; /* der_case() */
    } CASES[] = {{"long_form_outer.pem", 0},
                 {"long_form_n.pem", 5},
                 {"trailing_after.pem", 7},
                 {"trailing_in_bits.pem", 10},
                 {"e_zero.pem", 12},
                 {"e_one.pem", 13},
                 {"e_even.pem", 15},
                 {"e_huge.pem", 17},
                 {"e_3.pem", 21},
                 {"e_max.pem", 24},
                 {"negative_n.pem", 25},
                 {"n_padded.pem", 26},
                 {"oid_rsa_pss.pem", 29},
                 {"oid_ec.pem", 30},
                 {"no_null_params.pem", 32},
                 {"unused_bits.pem", 34}};
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        const char *name;
        spec_rsa(&s, n, e);
        (void)der_case(&s, CASES[i].id, &name);
        write_spec_seed(dir, CASES[i].name, &s);
    }
    spec_rsa(&s, n, e);
    size_t len = spki_build(der, &s);
    write_seed(dir, "truncated_der.pem", pem, pem_std(pem, der, len - 10));
    write_seed(dir, "crlf_no_newline.pem", pem,
               pem_render(pem, "PUBLIC KEY", der, len, 64, true, false));
    write_seed(dir, "one_line.pem", pem, pem_render(pem, "PUBLIC KEY", der, len, 0, false, true));
    write_seed(dir, "pkcs1_label.pem", pem,
               pem_render(pem, "RSA PUBLIC KEY", der + 24, len - 24, 64, false, true));
    static const int BITS[] = {8192, 8193, 16384};
    static const char *NAMES[] = {"rsa8192.pem", "rsa8193.pem", "rsa16384.pem"};
    for (size_t i = 0; i < 3; i++) {
        BIGNUM *big = random_modulus(BITS[i]);
        spec_rsa(&s, big, e);
        write_spec_seed(dir, NAMES[i], &s);
        BN_free(big);
    }
    BN_free(n);
    BN_free(e);
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "--write-corpus") == 0) {
        write_corpus(argv[2]);
        return 0;
    }
    printf("# seed %llu (TKMS_TEST_SEED)\n", (unsigned long long)tu_seed());
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generated_keys), cmocka_unit_test(test_private_path),
        cmocka_unit_test(test_der_table),      cmocka_unit_test(test_modulus_sizes),
        cmocka_unit_test(test_pem_framing),    cmocka_unit_test(test_pem_lines),
        cmocka_unit_test(test_differential),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
