/*
 * attest_snp.c — the "sev-snp" method: a raw AMD SEV-SNP report, its VEK certificate and
 * optional init data, verified in the order listed in attest.h. The chain from the VEK to
 * a trusted ARK is the expensive part, so a verified VEK is cached in the context by the
 * SHA-256 of its DER (attest.c); a cache hit still re-checks validity at `now`, the report
 * signature and every policy rule. REPORT_DATA follows eigenx-kms-go: 64 ASCII bytes,
 * hex(binding_hash[0:16]) ‖ hex(sha384(init_data)[0:16]).
 */
#include <string.h>

#include <openssl/crypto.h>

#include "attest/internal.h"
#include "common/tkms_assert.h"

/* ---- The chain cache (shared by threads, guarded by ctx->lock) --------------------------- */

static bool chain_cache_get(attest_snp_vek *out, tkms_attest_context *ctx,
                            const uint8_t fingerprint[32], uint32_t signer) {
    bool hit = false;
    pthread_mutex_lock(&ctx->lock);
    for (size_t i = 0; i < ctx->chain_cache_count; i++) {
        const attest_snp_vek *e = &ctx->chain_cache[i];
        if (e->signer == signer && memcmp(e->fingerprint, fingerprint, 32) == 0) {
            *out = *e;
            TKMS_ASSERT(EVP_PKEY_up_ref(out->key) == 1);
            ctx->chain_cache_used[i] = ++ctx->chain_cache_tick;
            hit = true;
            break;
        }
    }
    pthread_mutex_unlock(&ctx->lock);
    return hit;
}

static void chain_cache_put(tkms_attest_context *ctx, const attest_snp_vek *vek) {
    if (ctx->chain_cache_max == 0) {
        return;
    }
    pthread_mutex_lock(&ctx->lock);
    size_t slot = ctx->chain_cache_count;
    for (size_t i = 0; i < ctx->chain_cache_count; i++) {
        if (memcmp(ctx->chain_cache[i].fingerprint, vek->fingerprint, 32) == 0) {
            pthread_mutex_unlock(&ctx->lock); /* another thread got there first */
            return;
        }
    }
    if (slot == ctx->chain_cache_max) { /* full: evict the least recently used */
        slot = 0;
        for (size_t i = 1; i < ctx->chain_cache_count; i++) {
            if (ctx->chain_cache_used[i] < ctx->chain_cache_used[slot]) {
                slot = i;
            }
        }
        attest_snp_vek_clear(&ctx->chain_cache[slot]);
    } else {
        ctx->chain_cache_count++;
    }
    ctx->chain_cache[slot] = *vek;
    TKMS_ASSERT(EVP_PKEY_up_ref(vek->key) == 1);
    ctx->chain_cache_used[slot] = ++ctx->chain_cache_tick;
    pthread_mutex_unlock(&ctx->lock);
}

/* ---- Finding and verifying the VEK --------------------------------------------------------- */

/* Cache miss: parse the entries, pick the VEK by subject CN, verify its chain, cache it. */
static tkms_err vek_verify_chain(attest_snp_vek *vek, tkms_attest_error *error,
                                 tkms_attest_context *ctx, size_t count, uint8_t *const der[],
                                 const size_t der_len[], const uint8_t fp[][32], uint32_t signer) {
    const char *want_cn = signer == TKMS_ATTEST_SNP_SIGNER_VLEK ? "SEV-VLEK" : "SEV-VCEK";
    X509 *found = NULL;
    size_t found_index = 0;
    tkms_err rc = TKMS_OK;
    for (size_t i = 0; i < count && rc == TKMS_OK; i++) {
        X509 *x = NULL;
        rc = attest_snp_cert_parse_der(&x, error, der[i], der_len[i], i);
        char cn[64] = "";
        if (rc == TKMS_OK &&
            X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof cn) >
                0 &&
            strcmp(cn, want_cn) == 0) {
            if (found != NULL && memcmp(fp[found_index], fp[i], 32) != 0) {
                rc = attest_fail(error, TKMS_ERR_ATTEST_SNP_CERT_INVALID,
                                 "cert_chain: more than one %s certificate", want_cn);
            } else if (found == NULL) {
                found = x;
                found_index = i;
                x = NULL;
            }
        }
        X509_free(x);
    }
    if (rc == TKMS_OK && found == NULL) {
        rc = attest_fail(error, TKMS_ERR_ATTEST_SNP_VEK_MISSING,
                         "cert_chain: no %s certificate (the report's signing key is the %s)",
                         want_cn, signer == TKMS_ATTEST_SNP_SIGNER_VLEK ? "VLEK" : "VCEK");
    }
    if (rc == TKMS_OK) {
        rc = attest_snp_vek_verify(vek, error, ctx->roots, ctx->root_count, found, signer);
    }
    X509_free(found);
    if (rc == TKMS_OK) {
        memcpy(vek->fingerprint, fp[found_index], 32);
        chain_cache_put(ctx, vek);
    }
    return rc;
}

/* The VEK of the chain: first by fingerprint from the cache (no X.509 parsing on the warm
 * path), else the one certificate whose subject CN is SEV-VCEK / SEV-VLEK, verified. */
static tkms_err vek_from_chain(attest_snp_vek *vek, tkms_attest_error *error,
                               tkms_attest_context *ctx, const attest_snp_evidence *ev,
                               uint32_t signer) {
    uint8_t *der[TKMS_ATTEST_SNP_CERT_CHAIN_MAX] = {NULL};
    size_t der_len[TKMS_ATTEST_SNP_CERT_CHAIN_MAX] = {0};
    uint8_t fp[TKMS_ATTEST_SNP_CERT_CHAIN_MAX][32];
    tkms_err rc = TKMS_OK;
    bool hit = false;
    for (size_t i = 0; i < ev->cert_count && rc == TKMS_OK && !hit; i++) {
        der[i] = attest_snp_cert_der(&der_len[i], ev->certs[i], ev->cert_lens[i]);
        if (der[i] == NULL) {
            rc = attest_fail(error, TKMS_ERR_ATTEST_SNP_CERT_INVALID,
                             "cert_chain[%zu]: expected a PEM certificate or base64 DER of at "
                             "most %d bytes",
                             i, TKMS_ATTEST_SNP_CERT_BYTES_MAX);
            break;
        }
        tkms_prim_sha256(fp[i], der[i], der_len[i]);
        hit = chain_cache_get(vek, ctx, fp[i], signer);
    }
    if (rc == TKMS_OK && !hit) {
        rc = vek_verify_chain(vek, error, ctx, ev->cert_count, der, der_len, fp, signer);
    }
    for (size_t i = 0; i < TKMS_ATTEST_SNP_CERT_CHAIN_MAX; i++) {
        free(der[i]);
    }
    return rc;
}

static tkms_err check_signer(tkms_attest_error *error, const tkms_attest_policy *policy,
                             const tkms_attest_snp_report *r) {
    const bool vcek = r->signing_key == TKMS_ATTEST_SNP_SIGNER_VCEK;
    const bool vlek = r->signing_key == TKMS_ATTEST_SNP_SIGNER_VLEK;
    if (!(vcek && policy->snp.allow_vcek) && !(vlek && policy->snp.allow_vlek)) {
        return attest_fail(error, TKMS_ERR_ATTEST_SNP_SIGNER_NOT_ALLOWED,
                           "report SIGNING_KEY: expected %s%s%s, found %u%s",
                           policy->snp.allow_vcek ? "0 (VCEK)" : "",
                           policy->snp.allow_vcek && policy->snp.allow_vlek ? " or " : "",
                           policy->snp.allow_vlek ? "1 (VLEK)" : "", r->signing_key,
                           vcek   ? " (VCEK)"
                           : vlek ? " (VLEK)"
                                  : "");
    }
    return TKMS_OK;
}

/* The report's product (CPUID, version ≥ 3) must be the chain's. */
static tkms_err check_product(tkms_attest_error *error, const attest_snp_vek *vek,
                              const tkms_attest_snp_report *r) {
    if (r->version < 3) {
        return TKMS_OK;
    }
    const tkms_attest_snp_product p =
        attest_snp_product_from_cpuid(r->cpuid_family, r->cpuid_model);
    if (p == TKMS_ATTEST_SNP_PRODUCT_UNKNOWN) {
        return attest_fail(error, TKMS_ERR_ATTEST_SNP_PRODUCT_UNSUPPORTED,
                           "report CPUID family 0x%02x model 0x%02x: expected Milan (19h 00-0Fh),"
                           " Genoa (19h 10-1Fh) or Turin (1Ah 00-11h)",
                           r->cpuid_family, r->cpuid_model);
    }
    if (p != vek->product) {
        return attest_fail(error, TKMS_ERR_ATTEST_SNP_PRODUCT_MISMATCH,
                           "report CPUID family 0x%02x model 0x%02x (%s): expected %s, the "
                           "product of the certificate chain",
                           r->cpuid_family, r->cpuid_model, tkms_attest_snp_product_name(p),
                           tkms_attest_snp_product_name(vek->product));
    }
    return TKMS_OK;
}

/* The certificate certifies REPORTED_TCB and (VCEK) the chip. */
static tkms_err check_cert_fields(tkms_attest_error *error, const attest_snp_vek *vek,
                                  const tkms_attest_snp_report *r) {
    if (r->reported_tcb != vek->tcb) {
        tkms_attest_snp_tcb a, b;
        char sa[64], sb[64];
        attest_snp_tcb_decode(&a, vek->tcb, vek->product);
        attest_snp_tcb_decode(&b, r->reported_tcb, vek->product);
        attest_snp_tcb_format(sa, &a, vek->product);
        attest_snp_tcb_format(sb, &b, vek->product);
        return attest_fail(error, TKMS_ERR_ATTEST_SNP_TCB_CERT_MISMATCH,
                           "REPORTED_TCB: expected 0x%016llx (%s) as certified, found 0x%016llx "
                           "(%s)",
                           (unsigned long long)vek->tcb, sa, (unsigned long long)r->reported_tcb,
                           sb);
    }
    if (vek->signer != TKMS_ATTEST_SNP_SIGNER_VCEK) {
        return TKMS_OK;
    }
    static const uint8_t zero[TKMS_ATTEST_SNP_CHIP_ID_BYTES] = {0};
    if (r->mask_chip_id && memcmp(r->chip_id, zero, sizeof zero) == 0) {
        return TKMS_OK; /* MASK_CHIP_ID: the VCEK signature alone binds the chip */
    }
    TKMS_ASSERT(vek->hwid_len == 8 || vek->hwid_len == 64);
    if (memcmp(r->chip_id, vek->hwid, vek->hwid_len) != 0) {
        char a[64], b[64];
        attest_hex_short(a, vek->hwid, vek->hwid_len);
        attest_hex_short(b, r->chip_id, vek->hwid_len);
        return attest_fail(error, TKMS_ERR_ATTEST_SNP_CHIP_ID_MISMATCH,
                           "CHIP_ID[0:%zu]: expected %s (VCEK hwID), found %s", vek->hwid_len, a,
                           b);
    }
    return TKMS_OK;
}

static tkms_err check_guest_policy(tkms_attest_error *error, const tkms_attest_policy *policy,
                                   const tkms_attest_snp_report *r) {
    const unsigned long long gp = (unsigned long long)r->policy;
    if ((r->policy & TKMS_ATTEST_SNP_POLICY_DEBUG) && !policy->snp.allow_debug) {
        return attest_fail(error, TKMS_ERR_ATTEST_SNP_DEBUG_ENABLED,
                           "guest policy 0x%llx: DEBUG (bit 19) is set, expected clear", gp);
    }
    if ((r->policy & TKMS_ATTEST_SNP_POLICY_MIGRATE_MA) && !policy->snp.allow_migration_agent) {
        return attest_fail(error, TKMS_ERR_ATTEST_SNP_MIGRATION_AGENT_ENABLED,
                           "guest policy 0x%llx: MIGRATE_MA (bit 18) is set, expected clear", gp);
    }
    if ((r->policy & TKMS_ATTEST_SNP_POLICY_SMT) && !policy->snp.allow_smt) {
        return attest_fail(error, TKMS_ERR_ATTEST_SNP_SMT_NOT_ALLOWED,
                           "guest policy 0x%llx: SMT (bit 16) is set, expected clear", gp);
    }
    if (r->vmpl != policy->snp.vmpl) {
        return attest_fail(error, TKMS_ERR_ATTEST_SNP_VMPL_MISMATCH, "VMPL: expected %u, found %u",
                           policy->snp.vmpl, r->vmpl);
    }
    return TKMS_OK;
}

/* a ≤ b in every component. */
static bool tcb_le(const tkms_attest_snp_tcb *a, const tkms_attest_snp_tcb *b) {
    return a->fmc <= b->fmc && a->bl <= b->bl && a->tee <= b->tee && a->snp <= b->snp &&
           a->ucode <= b->ucode;
}

static tkms_err check_tcb(tkms_attest_error *error, const tkms_attest_policy *policy,
                          const tkms_attest_snp_report *r, tkms_attest_snp_product product) {
    tkms_attest_snp_tcb current, committed, reported;
    char s_cur[64], s_com[64], s_rep[64];
    attest_snp_tcb_decode(&current, r->current_tcb, product);
    attest_snp_tcb_decode(&committed, r->committed_tcb, product);
    attest_snp_tcb_decode(&reported, r->reported_tcb, product);
    attest_snp_tcb_format(s_cur, &current, product);
    attest_snp_tcb_format(s_com, &committed, product);
    attest_snp_tcb_format(s_rep, &reported, product);
    const bool provisional_ok = policy->snp.allow_provisional_firmware;
    if (provisional_ok ? !tcb_le(&committed, &current) : r->committed_tcb != r->current_tcb) {
        return attest_fail(error, TKMS_ERR_ATTEST_SNP_TCB_PROVISIONAL,
                           "COMMITTED_TCB: expected %s CURRENT_TCB (%s), found %s",
                           provisional_ok ? "at most" : "equal to", s_cur, s_com);
    }
    if (!tcb_le(&reported, &current)) {
        return attest_fail(error, TKMS_ERR_ATTEST_SNP_TCB_ABOVE_CURRENT,
                           "REPORTED_TCB: expected at most CURRENT_TCB (%s), found %s", s_cur,
                           s_rep);
    }
    if (policy->snp.min_tcb_set[product] && !tcb_le(&policy->snp.min_tcb[product], &reported)) {
        char s_min[64];
        attest_snp_tcb_format(s_min, &policy->snp.min_tcb[product], product);
        return attest_fail(error, TKMS_ERR_ATTEST_SNP_TCB_TOO_OLD,
                           "REPORTED_TCB: expected at least %s for %s, found %s", s_min,
                           tkms_attest_snp_product_name(product), s_rep);
    }
    return TKMS_OK;
}

static tkms_err check_measurement(bool *allowlisted, tkms_attest_error *error,
                                  const tkms_attest_policy *policy,
                                  const tkms_attest_snp_report *r) {
    *allowlisted = false;
    if (policy->snp.measurement_count == 0) {
        return TKMS_OK;
    }
    TKMS_ASSERT(policy->snp.measurement_count <= TKMS_ATTEST_SNP_MEASUREMENTS_MAX);
    for (size_t i = 0; i < policy->snp.measurement_count; i++) {
        if (CRYPTO_memcmp(policy->snp.measurements[i], r->measurement, 48) == 0) {
            *allowlisted = true;
            return TKMS_OK;
        }
    }
    char m[64];
    attest_hex_short(m, r->measurement, 48);
    return attest_fail(error, TKMS_ERR_ATTEST_SNP_MEASUREMENT_NOT_ALLOWED,
                       "MEASUREMENT %s: not among the %zu allowed", m,
                       policy->snp.measurement_count);
}

/* REPORT_DATA[0:32] (or all 64 bytes for an EXACT binding) against the binding. */
static tkms_err check_binding(tkms_attest_error *error, const tkms_attest_binding *binding,
                              const tkms_attest_snp_report *r) {
    char want[65], found[ATTEST_QUOTE_BYTES];
    if (binding->kind == TKMS_ATTEST_BINDING_NONE) {
        return TKMS_OK;
    }
    if (binding->kind == TKMS_ATTEST_BINDING_EXACT) {
        if (binding->exact_len != TKMS_ATTEST_SNP_REPORT_DATA_BYTES) {
            return attest_fail(error, TKMS_ERR_ATTEST_BINDING_INVALID,
                               "binding: an exact REPORT_DATA is 64 bytes, given %zu",
                               binding->exact_len);
        }
        if (CRYPTO_memcmp(binding->exact, r->report_data, 64) == 0) {
            return TKMS_OK;
        }
        char a[64], b[64];
        attest_hex_short(a, binding->exact, 64);
        attest_hex_short(b, r->report_data, 64);
        return attest_fail(error, TKMS_ERR_ATTEST_BINDING_MISMATCH,
                           "REPORT_DATA: expected %s, found %s", a, b);
    }
    attest_hex(want, binding->hash, 16);
    if (CRYPTO_memcmp(want, r->report_data, 32) != 0) {
        attest_quote(found, (const char *)r->report_data, 32);
        return attest_fail(error, TKMS_ERR_ATTEST_BINDING_MISMATCH,
                           "REPORT_DATA[0:32]: expected \"%s\" = hex(sha256(rsa_pubkey ‖ "
                           "extra_data)[0:16]), found %s",
                           want, found);
    }
    return TKMS_OK;
}

/* REPORT_DATA[32:64] = hex(sha384(init_data)[0:16]); then the image the init data names. */
static tkms_err check_init_data(tkms_attest_claims *claims, tkms_attest_error *error,
                                const tkms_attest_policy *policy, const tkms_attest_request *req,
                                const uint8_t *init, size_t init_len,
                                const tkms_attest_snp_report *r) {
    if (init == NULL) {
        if (req->binding.kind == TKMS_ATTEST_BINDING_HASH) {
            return attest_fail(error, TKMS_ERR_ATTEST_SNP_INIT_DATA_MISSING,
                               "init_data: absent, but REPORT_DATA[32:64] binds it and the "
                               "image digest comes from it");
        }
        return TKMS_OK;
    }
    uint8_t digest[48];
    char want[33], found[ATTEST_QUOTE_BYTES];
    tkms_prim_sha384(digest, init, init_len);
    attest_hex(want, digest, 16);
    if (CRYPTO_memcmp(want, r->report_data + 32, 32) != 0) {
        attest_quote(found, (const char *)r->report_data + 32, 32);
        return attest_fail(error, TKMS_ERR_ATTEST_SNP_INIT_DATA_MISMATCH,
                           "REPORT_DATA[32:64]: expected \"%s\" = hex(sha384(init_data)[0:16]), "
                           "found %s",
                           want, found);
    }
    attest_init_data_image image;
    tkms_err rc = attest_init_data_image_parse(&image, error, init, init_len,
                                               policy->snp.init_data_first_image_wins);
    if (rc != TKMS_OK) {
        return rc;
    }
    memcpy(claims->image_digest, image.digest, sizeof claims->image_digest);
    memcpy(claims->image_reference, image.reference, sizeof claims->image_reference);
    claims->snp.init_data_present = true;
    return TKMS_OK;
}

/* Report fields into the common claims. */
static void fill_claims(tkms_attest_claims *claims, const attest_snp_vek *vek,
                        const tkms_attest_request *req) {
    const tkms_attest_snp_report *r = &claims->snp.report;
    claims->method = TKMS_ATTEST_METHOD_SEV_SNP;
    claims->binding_checked = req->binding.kind != TKMS_ATTEST_BINDING_NONE;
    claims->snp.product = vek->product;
    attest_snp_tcb_decode(&claims->snp.reported_tcb, r->reported_tcb, vek->product);
    memcpy(claims->snp.vek_product_name, vek->product_name, sizeof claims->snp.vek_product_name);
    snprintf(claims->platform.hardware_model, sizeof claims->platform.hardware_model, "%s",
             tkms_attest_snp_product_name(vek->product));
    attest_snp_tcb_format(claims->platform.tcb, &claims->snp.reported_tcb, vek->product);
    claims->platform.debug = (r->policy & TKMS_ATTEST_SNP_POLICY_DEBUG) != 0;
    bool printable = true;
    for (size_t i = 0; i < 32; i++) {
        printable = printable && r->report_data[i] >= 0x20 && r->report_data[i] < 0x7f;
    }
    if (printable) {
        memcpy(claims->nonce, r->report_data, 32);
        claims->nonce[32] = 0;
    } else {
        attest_hex(claims->nonce, r->report_data, 32);
    }
}

/* Init data from the request and/or the evidence JSON: equal when both are present. */
static tkms_err pick_init_data(const uint8_t **init, size_t *init_len, tkms_attest_error *error,
                               const tkms_attest_request *req, const attest_snp_evidence *ev) {
    *init = NULL;
    *init_len = 0;
    if (req->init_data != NULL && ev->init_data != NULL &&
        (req->init_data_len != ev->init_data_len ||
         memcmp(req->init_data, ev->init_data, ev->init_data_len) != 0)) {
        return attest_fail(error, TKMS_ERR_ATTEST_EVIDENCE_MALFORMED,
                           "init_data: the request and the evidence carry different bytes");
    }
    if (req->init_data != NULL) {
        if (req->init_data_len > TKMS_ATTEST_INIT_DATA_BYTES_MAX) {
            return attest_fail(error, TKMS_ERR_ATTEST_INIT_DATA_TOO_LARGE,
                               "init_data: %zu bytes, the limit is %d", req->init_data_len,
                               TKMS_ATTEST_INIT_DATA_BYTES_MAX);
        }
        *init = req->init_data;
        *init_len = req->init_data_len;
    } else if (ev->init_data != NULL) {
        *init = ev->init_data;
        *init_len = ev->init_data_len;
    }
    return TKMS_OK;
}

/* Everything after the signature: the certificate fields, then policy, then bindings. */
static tkms_err check_fields(tkms_attest_claims *claims, tkms_attest_error *error,
                             const tkms_attest_policy *policy, const tkms_attest_request *req,
                             const attest_snp_vek *vek) {
    const tkms_attest_snp_report *r = &claims->snp.report;
    tkms_err rc = check_cert_fields(error, vek, r);
    if (rc == TKMS_OK) {
        rc = check_guest_policy(error, policy, r);
    }
    if (rc == TKMS_OK) {
        rc = check_tcb(error, policy, r, vek->product);
    }
    if (rc == TKMS_OK) {
        rc = check_measurement(&claims->snp.measurement_allowlisted, error, policy, r);
    }
    if (rc == TKMS_OK) {
        rc = check_binding(error, &req->binding, r);
    }
    return rc;
}

tkms_err attest_snp_verify(tkms_attest_claims *claims, tkms_attest_error *error,
                           tkms_attest_context *ctx, const tkms_attest_policy *policy,
                           const tkms_attest_request *req) {
    attest_snp_evidence ev;
    attest_snp_vek vek;
    memset(&vek, 0, sizeof vek);
    const uint8_t *report = NULL, *init = NULL;
    size_t init_len = 0;
    tkms_err rc = attest_snp_evidence_parse(&ev, error, req->evidence, req->evidence_len);
    if (rc != TKMS_OK) {
        return rc;
    }
    rc = pick_init_data(&init, &init_len, error, req, &ev);
    if (rc == TKMS_OK) {
        rc = attest_snp_report_locate(&report, error, ev.report, ev.report_len);
    }
    if (rc == TKMS_OK) {
        rc = attest_snp_report_parse(&claims->snp.report, error, report,
                                     TKMS_ATTEST_SNP_REPORT_BYTES);
    }
    if (rc == TKMS_OK) {
        rc = check_signer(error, policy, &claims->snp.report);
    }
    if (rc == TKMS_OK) {
        rc = vek_from_chain(&vek, error, ctx, &ev, claims->snp.report.signing_key);
    }
    if (rc == TKMS_OK) {
        rc = attest_snp_vek_check_time(error, &vek, req->now);
    }
    if (rc == TKMS_OK) {
        rc = check_product(error, &vek, &claims->snp.report);
    }
    if (rc == TKMS_OK) {
        rc = attest_snp_report_verify_signature(error, vek.key, report);
    }
    if (rc == TKMS_OK) {
        rc = check_fields(claims, error, policy, req, &vek);
    }
    if (rc == TKMS_OK) {
        rc = check_init_data(claims, error, policy, req, init, init_len, &claims->snp.report);
    }
    if (rc == TKMS_OK) {
        fill_claims(claims, &vek, req);
    }
    attest_snp_vek_clear(&vek);
    attest_snp_evidence_clear(&ev);
    return rc;
}
