/*
 * rsa.c — RSA-OAEP (SHA-256 for OAEP and MGF1, empty label) for wrapping partials to an
 * app's ephemeral key (crypto.md §9), plus key generation and decryption for apps and
 * tests. Keys arrive as PEM from outside: the size, the PEM framing, the key type and
 * the modulus size are each checked with their own error before any use.
 *
 * The public key (the node's path, once per /v1/secrets request and version) is parsed
 * here, not by OpenSSL's generic decoder, whose set-up alone cost ~84% of the wrap: a
 * strict PEM reader (RFC 7468 framing) and a strict DER reader for one structure,
 *   SubjectPublicKeyInfo ::= SEQUENCE { SEQUENCE { OID rsaEncryption, NULL },
 *                                       BIT STRING { 0x00, SEQUENCE { INTEGER n, INTEGER e } } }
 * then the key is handed to OpenSSL as the two numbers (EVP_PKEY_fromdata). What is accepted,
 * and what OpenSSL's PEM_read_bio_PUBKEY would accept that is refused here on purpose:
 * - PEM: exactly "-----BEGIN PUBLIC KEY-----", base64 lines, "-----END PUBLIC KEY-----";
 *   lines end in LF or CRLF (the same throughout), the newline after END is optional.
 *   Body lines all have one width W (a multiple of 4, at most 76: 64 is what OpenSSL, Go and
 *   most tools write, 76 is MIME) except a shorter last line, or the body is one line.
 *   Refused: text before BEGIN or after END, other labels (PKCS#1 "RSA PUBLIC KEY",
 *   private keys, certificates), headers, blank lines, spaces, tabs, ragged or mixed-ending
 *   lines, base64 that is not canonical (tkms_prim_base64_decode). All: TKMS_ERR_PRIM_BAD_PEM.
 * - DER, not BER: definite lengths in the fewest bytes, nothing trailing at any level,
 *   the NULL parameters present, no unused bits in the BIT STRING, INTEGERs minimal and
 *   positive. Any other algorithm OID in a well-formed SPKI is TKMS_ERR_PRIM_NOT_RSA
 *   (its key bytes are not looked at; OpenSSL says BAD_PEM when it cannot decode them).
 * - e odd and 3 <= e < 2^32 (TKMS_ERR_PRIM_BAD_PEM): e = 1 or even e is not an RSA key
 *   (e = 1 would send the OAEP block in clear, and the padding is invertible without the
 *   key); every common tool uses 65537 or 3, and capping e at 32 bits bounds the public
 *   exponentiation the node does for an app. OpenSSL parses all of these.
 * - n of TKMS_PRIM_RSA_BITS_MIN..MAX bits (TKMS_ERR_PRIM_RSA_KEY_SIZE), checked last. An
 *   even n parses but fails in OpenSSL's Montgomery set-up (TKMS_ERR_PRIM_RSA), as before.
 * Private keys (the app's side: decrypt, keygen) still go through OpenSSL's decoder.
 *
 * Cost (callgrind, one 2048-bit wrap, bench_tss node_rsa_wrap_2048): 5.24M instructions in
 * here before, 0.60M now, of which ~0.48M is OpenSSL's RSA and OAEP arithmetic.
 * Nothing is cached between calls (prim.h: no state between calls): the per-call OpenSSL
 * objects are the key and two EVP_PKEY_CTX, which OpenSSL does not allow to share between
 * threads; the algorithm fetches behind them hit OpenSSL's own thread-safe method store.
 * Caching the "RSA" keymgmt context would save ~17k instructions (~3%): not worth a global.
 */
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <string.h>

#include "common/tkms_assert.h"
#include "common/tkms_ct.h"
#include "prim/prim.h"

#define PEM_BEGIN "-----BEGIN PUBLIC KEY-----"
#define PEM_END "-----END PUBLIC KEY-----"
#define PEM_LINE_WIDTH_MAX 76
/* The DER of a PEM of at most TKMS_PRIM_RSA_PEM_BYTES_MAX bytes fits (3 bytes per 4 chars). */
#define SPKI_DER_BYTES_MAX (TKMS_PRIM_RSA_PEM_BYTES_MAX / 4 * 3)
#define RSA_MODULUS_BYTES_MAX (TKMS_PRIM_RSA_BITS_MAX / 8)
#define RSA_EXPONENT_BYTES_MAX 4 /* e < 2^32 */

_Static_assert(TKMS_PRIM_RSA_BITS_MAX % 8 == 0, "modulus buffer holds whole bytes");
_Static_assert(SPKI_DER_BYTES_MAX < 0x10000, "DER lengths fit two length bytes");
_Static_assert(sizeof PEM_BEGIN - 1 + sizeof PEM_END - 1 < TKMS_PRIM_RSA_PEM_BYTES_MAX,
               "the framing fits the size limit");

/* 1.2.840.113549.1.1.1 (RFC 8017 A.1), DER content octets. */
static const uint8_t OID_RSA_ENCRYPTION[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01};

enum {
    DER_INTEGER = 0x02,
    DER_BIT_STRING = 0x03,
    DER_NULL = 0x05,
    DER_OID = 0x06,
    DER_SEQUENCE = 0x30
};

/* The RSA public key as parsed: big-endian magnitudes pointing into the DER buffer, each
   without a sign byte and with a non-zero first byte. */
typedef struct {
    tkms_prim_buf n;
    tkms_prim_buf e;
} rsa_public;

/* ---- PEM ---------------------------------------------------------------------------- */

/* The next line of in[*pos..len): its bytes in *line, and *pos moved past its terminator,
   which must be eol (eol_len 1: "\n", 2: "\r\n"). False if no terminator follows. */
static bool pem_line(tkms_prim_buf *line, size_t *pos, const char *in, size_t len, size_t eol_len) {
    TKMS_ASSERT(*pos <= len);
    TKMS_ASSERT(eol_len == 1 || eol_len == 2);
    const char *nl = memchr(in + *pos, '\n', len - *pos);
    if (nl == NULL) {
        return false;
    }
    size_t end = (size_t)(nl - in);
    if (end - *pos + 1 < eol_len || (eol_len == 2 && in[end - 1] != '\r')) {
        return false;
    }
    line->ptr = (const uint8_t *)in + *pos;
    line->len = end + 1 - eol_len - *pos;
    *pos = end + 1;
    return true;
}

static bool line_is(const tkms_prim_buf *line, const char *text) {
    size_t len = strlen(text);
    return line->len == len && memcmp(line->ptr, text, len) == 0;
}

/* Where the body is: the width of its lines (0 before the first), the length of the
   previous line (0 before the first), and whether that line ended in padding. */
typedef struct {
    size_t width;
    size_t prev_len;
    bool padded;
} pem_body;

/* One body line: the width rule of the file comment, then its base64 appended to der.
   Padding may only end the last line, so a line after a padded one is refused. */
static tkms_err pem_body_line(uint8_t *der, size_t *der_len, pem_body *body,
                              const tkms_prim_buf *line) {
    TKMS_ASSERT(*der_len <= SPKI_DER_BYTES_MAX);
    if (line->len == 0 || line->len % 4 != 0) {
        return TKMS_ERR_PRIM_BAD_PEM;
    }
    if (body->width == 0) {
        body->width = line->len; /* the first line sets the width */
    } else if (body->width > PEM_LINE_WIDTH_MAX || body->prev_len != body->width ||
               line->len > body->width || body->padded) {
        return TKMS_ERR_PRIM_BAD_PEM;
    }
    size_t got = 0;
    tkms_err err = tkms_prim_base64_decode(der + *der_len, &got, SPKI_DER_BYTES_MAX - *der_len,
                                           (const char *)line->ptr, line->len);
    if (err != TKMS_OK) {
        return TKMS_ERR_PRIM_BAD_PEM; /* not base64, or (impossible at this size) too long */
    }
    *der_len += got;
    body->prev_len = line->len;
    body->padded = line->ptr[line->len - 1] == '=';
    return TKMS_OK;
}

/* pem[0..pem_len) -> the DER it holds, with the framing of the file comment. */
static tkms_err pem_decode(uint8_t der[SPKI_DER_BYTES_MAX], size_t *der_len, const char *pem,
                           size_t pem_len) {
    *der_len = 0;
    size_t begin_len = sizeof PEM_BEGIN - 1;
    if (pem_len < begin_len + 1 || memcmp(pem, PEM_BEGIN, begin_len) != 0) {
        return TKMS_ERR_PRIM_BAD_PEM;
    }
    /* The BEGIN line fixes the line ending: CRLF if it ends in "\r\n", else LF. */
    size_t eol_len = pem[begin_len] == '\r' ? 2 : 1;
    size_t pos = 0;
    tkms_prim_buf line;
    if (!pem_line(&line, &pos, pem, pem_len, eol_len) || !line_is(&line, PEM_BEGIN)) {
        return TKMS_ERR_PRIM_BAD_PEM;
    }
    pem_body body = {0, 0, false};
    /* Each turn consumes at least one byte of the input: bounded by pem_len. */
    for (;;) {
        size_t line_start = pos;
        if (!pem_line(&line, &pos, pem, pem_len, eol_len)) {
            /* The last line may lack its newline, if it is END. */
            line.ptr = (const uint8_t *)pem + line_start;
            line.len = pem_len - line_start;
            pos = pem_len;
            if (!line_is(&line, PEM_END)) {
                return TKMS_ERR_PRIM_BAD_PEM;
            }
        }
        TKMS_ASSERT(pos > line_start);
        if (line_is(&line, PEM_END)) {
            break;
        }
        tkms_err err = pem_body_line(der, der_len, &body, &line);
        if (err != TKMS_OK) {
            return err;
        }
    }
    if (pos != pem_len || *der_len == 0) {
        return TKMS_ERR_PRIM_BAD_PEM; /* text after END, or no body */
    }
    return TKMS_OK;
}

/* ---- DER ---------------------------------------------------------------------------- */

/* Reads one TLV from the front of *in: any tag in the low-tag-number form if tag is 0,
   else exactly tag; a definite length in the fewest bytes (short form below 128, one
   length byte below 256, two above: the input is smaller than 64 KiB) that fits *in.
   *content is the value; *in moves past it. */
static bool der_take(tkms_prim_buf *content, tkms_prim_buf *in, uint8_t tag) {
    TKMS_ASSERT(in->len <= SPKI_DER_BYTES_MAX);
    if (in->len < 2 || (tag != 0 && in->ptr[0] != tag) || (in->ptr[0] & 0x1f) == 0x1f) {
        return false;
    }
    size_t len = in->ptr[1], header = 2;
    if (len == 0x81) {
        len = in->len >= 3 ? in->ptr[2] : 0;
        header = 3;
        if (len < 0x80) {
            return false; /* absent, or fits the short form */
        }
    } else if (len == 0x82) {
        len = in->len >= 4 ? (size_t)in->ptr[2] << 8 | in->ptr[3] : 0;
        header = 4;
        if (len < 0x100) {
            return false; /* absent, or fits one length byte */
        }
    } else if (len >= 0x80) {
        return false; /* indefinite (0x80), or more length bytes than any key here needs */
    }
    if (len > in->len - header) {
        return false;
    }
    content->ptr = in->ptr + header;
    content->len = len;
    in->ptr += header + len;
    in->len -= header + len;
    return true;
}

/* An OBJECT IDENTIFIER's content: non-empty, each sub-identifier minimal (no leading 0x80)
   and the last one complete (its last byte has the high bit clear). */
static bool der_oid_is_valid(const tkms_prim_buf *oid) {
    if (oid->len == 0 || (oid->ptr[oid->len - 1] & 0x80) != 0) {
        return false;
    }
    bool start = true;
    for (size_t i = 0; i < oid->len; i++) {
        if (start && oid->ptr[i] == 0x80) {
            return false;
        }
        start = (oid->ptr[i] & 0x80) == 0;
    }
    return true;
}

/* A positive INTEGER in the fewest bytes; *magnitude is its value without the sign byte
   (first byte non-zero). Zero and negative numbers are refused. */
static bool der_take_positive(tkms_prim_buf *magnitude, tkms_prim_buf *in) {
    tkms_prim_buf c;
    if (!der_take(&c, in, DER_INTEGER) || c.len == 0 || (c.ptr[0] & 0x80) != 0) {
        return false; /* not an INTEGER, empty, or negative */
    }
    if (c.ptr[0] == 0) {
        if (c.len == 1 || (c.ptr[1] & 0x80) == 0) {
            return false; /* zero, or a sign byte the value does not need */
        }
        c.ptr++;
        c.len--;
    }
    TKMS_ASSERT(c.len > 0 && c.ptr[0] != 0);
    *magnitude = c;
    return true;
}

static size_t magnitude_bits(const tkms_prim_buf *m) {
    TKMS_ASSERT(m->len > 0);
    TKMS_ASSERT(m->ptr[0] != 0);
    size_t bits = (m->len - 1) * 8;
    for (unsigned top = m->ptr[0]; top != 0; top >>= 1) {
        bits++;
    }
    return bits;
}

/* The SPKI's outer shape: SEQUENCE { SEQUENCE { OID, [one parameters TLV] }, BIT STRING },
   nothing after any part. Sets the algorithm OID, its parameters (len 0: absent) and the
   BIT STRING's content. */
static bool spki_split(tkms_prim_buf *oid, tkms_prim_buf *params, tkms_prim_buf *bits,
                       const uint8_t *der, size_t der_len) {
    tkms_prim_buf in = {der, der_len}, spki, alg;
    if (!der_take(&spki, &in, DER_SEQUENCE) || in.len != 0 ||
        !der_take(&alg, &spki, DER_SEQUENCE) || !der_take(bits, &spki, DER_BIT_STRING) ||
        spki.len != 0 || !der_take(oid, &alg, DER_OID) || !der_oid_is_valid(oid)) {
        return false;
    }
    *params = alg; /* the rest of the AlgorithmIdentifier, as raw TLV bytes */
    tkms_prim_buf one;
    return alg.len == 0 || (der_take(&one, &alg, 0) && alg.len == 0);
}

/* der -> (n, e) with every check of the file comment, in this order: shape (BAD_PEM),
   algorithm (NOT_RSA), RSA encoding and e (BAD_PEM), modulus size (RSA_KEY_SIZE). */
static tkms_err spki_decode(rsa_public *key, const uint8_t *der, size_t der_len) {
    tkms_prim_buf oid, params, bits, rsa_key;
    if (!spki_split(&oid, &params, &bits, der, der_len)) {
        return TKMS_ERR_PRIM_BAD_PEM;
    }
    if (oid.len != sizeof OID_RSA_ENCRYPTION ||
        memcmp(oid.ptr, OID_RSA_ENCRYPTION, sizeof OID_RSA_ENCRYPTION) != 0) {
        return TKMS_ERR_PRIM_NOT_RSA;
    }
    /* RFC 8017 A.1: the parameters SHALL be NULL; BIT STRING: no unused bits. */
    if (params.len != 2 || params.ptr[0] != DER_NULL || params.ptr[1] != 0 || bits.len < 1 ||
        bits.ptr[0] != 0) {
        return TKMS_ERR_PRIM_BAD_PEM;
    }
    tkms_prim_buf in = {bits.ptr + 1, bits.len - 1};
    if (!der_take(&rsa_key, &in, DER_SEQUENCE) || in.len != 0 ||
        !der_take_positive(&key->n, &rsa_key) || !der_take_positive(&key->e, &rsa_key) ||
        rsa_key.len != 0) {
        return TKMS_ERR_PRIM_BAD_PEM;
    }
    const tkms_prim_buf *e = &key->e;
    if (e->len > RSA_EXPONENT_BYTES_MAX || (e->ptr[e->len - 1] & 1) == 0 ||
        (e->len == 1 && e->ptr[0] < 3)) {
        return TKMS_ERR_PRIM_BAD_PEM; /* e >= 2^32, even, or 1 */
    }
    size_t n_bits = magnitude_bits(&key->n);
    if (n_bits < TKMS_PRIM_RSA_BITS_MIN || n_bits > TKMS_PRIM_RSA_BITS_MAX) {
        return TKMS_ERR_PRIM_RSA_KEY_SIZE;
    }
    return TKMS_OK;
}

/* ---- OpenSSL ------------------------------------------------------------------------ */

/* A big-endian magnitude as the native-endian unsigned integer that OSSL_PARAM_construct_BN
   takes (OSSL_PARAM(3)), in out[0..len): no BIGNUM round trip. */
static void to_native(uint8_t *out, const tkms_prim_buf *be) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    memcpy(out, be->ptr, be->len);
#else
    for (size_t i = 0; i < be->len; i++) {
        out[i] = be->ptr[be->len - 1 - i];
    }
#endif
}

/* The EVP_PKEY for a decoded (n, e): OpenSSL's RSA import only copies the two numbers,
   so a failure here is OpenSSL's own (out of memory) and aborts. */
static EVP_PKEY *rsa_public_pkey(const rsa_public *key) {
    TKMS_ASSERT(key->n.len <= RSA_MODULUS_BYTES_MAX);
    TKMS_ASSERT(key->e.len <= RSA_EXPONENT_BYTES_MAX);
    uint8_t n[RSA_MODULUS_BYTES_MAX], e[RSA_EXPONENT_BYTES_MAX];
    to_native(n, &key->n);
    to_native(e, &key->e);
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_BN(OSSL_PKEY_PARAM_RSA_N, n, key->n.len),
        OSSL_PARAM_construct_BN(OSSL_PKEY_PARAM_RSA_E, e, key->e.len),
        OSSL_PARAM_construct_end(),
    };
    EVP_PKEY *pkey = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    TKMS_ASSERT(ctx != NULL);
    int ok = EVP_PKEY_fromdata_init(ctx) == 1 &&
             EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) == 1;
    EVP_PKEY_CTX_free(ctx);
    TKMS_ASSERT(ok);
    TKMS_ASSERT(EVP_PKEY_get_size(pkey) == (int)key->n.len);
    return pkey;
}

/* Parses a PEM private key (PKCS#8, the app's side) with the size and type checks. */
static tkms_err load_private_key(EVP_PKEY **out, const char *pem, size_t pem_len) {
    *out = NULL;
    if (pem_len == 0 || pem_len > TKMS_PRIM_RSA_PEM_BYTES_MAX) {
        return TKMS_ERR_PRIM_BAD_PEM;
    }
    BIO *bio = BIO_new_mem_buf(pem, (int)pem_len);
    TKMS_ASSERT(bio != NULL);
    EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    BIO_free(bio);
    if (key == NULL) {
        return TKMS_ERR_PRIM_BAD_PEM;
    }
    if (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) {
        EVP_PKEY_free(key);
        return TKMS_ERR_PRIM_NOT_RSA;
    }
    int bits = EVP_PKEY_get_bits(key);
    if (bits < TKMS_PRIM_RSA_BITS_MIN || bits > TKMS_PRIM_RSA_BITS_MAX) {
        EVP_PKEY_free(key);
        return TKMS_ERR_PRIM_RSA_KEY_SIZE;
    }
    *out = key;
    return TKMS_OK;
}

/* OAEP with SHA-256 for OAEP and MGF1 and the default empty label, set in one call at
   init rather than by three ctrls (each a separate parameter round trip). */
static EVP_PKEY_CTX *oaep_ctx(EVP_PKEY *key, bool encrypt) {
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
    TKMS_ASSERT(ctx != NULL);
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_ASYM_CIPHER_PARAM_PAD_MODE,
                                         (char *)OSSL_PKEY_RSA_PAD_MODE_OAEP, 0),
        OSSL_PARAM_construct_utf8_string(OSSL_ASYM_CIPHER_PARAM_OAEP_DIGEST, (char *)"SHA256", 0),
        OSSL_PARAM_construct_utf8_string(OSSL_ASYM_CIPHER_PARAM_MGF1_DIGEST, (char *)"SHA256", 0),
        OSSL_PARAM_construct_end(),
    };
    int ok =
        encrypt ? EVP_PKEY_encrypt_init_ex(ctx, params) : EVP_PKEY_decrypt_init_ex(ctx, params);
    TKMS_ASSERT(ok == 1);
    return ctx;
}

/* The node's path: our parser, then OpenSSL for the arithmetic only. The output size is
   checked before any OpenSSL object exists, so a caller probing the key with out_max = 0
   (node/secrets.c) pays for the parse alone. */
TKMS_EXPORT tkms_err tkms_prim_rsa_oaep_encrypt(uint8_t *out, size_t *out_len, size_t out_max,
                                                const char *pem, size_t pem_len, const uint8_t *msg,
                                                size_t msg_len) {
    *out_len = 0;
    if (pem_len == 0 || pem_len > TKMS_PRIM_RSA_PEM_BYTES_MAX) {
        return TKMS_ERR_PRIM_BAD_PEM;
    }
    uint8_t der[SPKI_DER_BYTES_MAX];
    size_t der_len = 0;
    rsa_public key;
    tkms_err err = pem_decode(der, &der_len, pem, pem_len);
    err = err != TKMS_OK ? err : spki_decode(&key, der, der_len);
    if (err != TKMS_OK) {
        return err;
    }
    size_t need = key.n.len; /* the modulus size in bytes: >= 256 */
    TKMS_ASSERT(need >= TKMS_PRIM_RSA_BITS_MIN / 8);
    if (out_max < need || msg_len > need - 2 * TKMS_PRIM_SHA256_BYTES - 2) {
        return TKMS_ERR_PRIM_LENGTH;
    }
    EVP_PKEY *pkey = rsa_public_pkey(&key);
    EVP_PKEY_CTX *ctx = oaep_ctx(pkey, true);
    size_t len = out_max;
    int ok = EVP_PKEY_encrypt(ctx, out, &len, msg, msg_len);
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(pkey);
    if (ok != 1) {
        return TKMS_ERR_PRIM_RSA;
    }
    TKMS_ASSERT(len == need);
    *out_len = len;
    return TKMS_OK;
}

TKMS_EXPORT tkms_err tkms_prim_rsa_oaep_decrypt(uint8_t *out, size_t *out_len, size_t out_max,
                                                const char *pem, size_t pem_len, const uint8_t *ct,
                                                size_t ct_len) {
    EVP_PKEY *key;
    *out_len = 0;
    tkms_err err = load_private_key(&key, pem, pem_len);
    if (err != TKMS_OK) {
        return err;
    }
    EVP_PKEY_CTX *ctx = oaep_ctx(key, false);
    size_t len = 0;
    int ok = EVP_PKEY_decrypt(ctx, NULL, &len, ct, ct_len) == 1 && len <= out_max &&
             EVP_PKEY_decrypt(ctx, out, &len, ct, ct_len) == 1;
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(key);
    if (!ok) {
        tkms_wipe(out, out_max);
        return TKMS_ERR_PRIM_RSA;
    }
    *out_len = len;
    return TKMS_OK;
}

/* Writes a PEM through a memory BIO into buf (NUL-terminated). */
static bool pem_to_buf(char *buf, size_t max, EVP_PKEY *key, bool private_key) {
    BIO *bio = BIO_new(BIO_s_mem());
    TKMS_ASSERT(bio != NULL);
    int ok = private_key ? PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL)
                         : PEM_write_bio_PUBKEY(bio, key);
    char *data = NULL;
    long len = BIO_get_mem_data(bio, &data);
    bool fits = ok == 1 && len > 0 && (size_t)len < max;
    if (fits) {
        memcpy(buf, data, (size_t)len);
        buf[len] = 0;
    }
    if (data != NULL && len > 0) {
        tkms_wipe(data, (size_t)len);
    }
    BIO_free(bio);
    return fits;
}

TKMS_EXPORT tkms_err tkms_prim_rsa_keygen(char *private_pem, char *public_pem, size_t pem_max,
                                          unsigned bits) {
    if (bits < TKMS_PRIM_RSA_BITS_MIN || bits > TKMS_PRIM_RSA_BITS_MAX) {
        return TKMS_ERR_PRIM_RSA_KEY_SIZE;
    }
    EVP_PKEY *key = EVP_RSA_gen(bits);
    TKMS_ASSERT(key != NULL);
    bool ok =
        pem_to_buf(private_pem, pem_max, key, true) && pem_to_buf(public_pem, pem_max, key, false);
    EVP_PKEY_free(key);
    if (!ok) {
        tkms_wipe(private_pem, pem_max);
        return TKMS_ERR_PRIM_LENGTH;
    }
    return TKMS_OK;
}
