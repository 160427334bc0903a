/*
 * attest_policy.c — the verification policy: defaults and a strict JSON loader.
 *
 *   {"clock_skew_s": 60,
 *    "gcp": {"audiences": ["…"], "hwmodels": ["GCP_AMD_SEV", …], "projects": ["…"],
 *            "allow_debug": false, "require_stable": true, "require_secure_boot": true,
 *            "swversion_min": 0, "app_id": "instance_name_suffix" | "instance_name" |
 *            "claim:<dotted.path>", "replay_check": true},
 *    "sev_snp": {"allow_debug": false, "allow_migration_agent": false, "allow_smt": true,
 *                "allow_provisional_firmware": false, "signers": ["vcek", "vlek"],
 *                "vmpl": 0, "min_tcb": {"Milan": {"bl": 3, "tee": 0, "snp": 8, "ucode": 115},
 *                                       "Turin": {"fmc": 0, …}},
 *                "measurements": ["<96 hex>", …], "init_data_first_image_wins": false}}
 *
 * Every key is optional (the default stays); unknown keys, wrong types and out-of-range
 * values are errors naming the key, so a typo never silently weakens a check.
 */
#include <string.h>

#include "attest/internal.h"
#include "common/tkms_assert.h"

TKMS_EXPORT void tkms_attest_policy_default(tkms_attest_policy *out) {
    static const char *const hwmodels[] = {"GCP_AMD_SEV", "GCP_AMD_SEV_ES", "GCP_INTEL_TDX"};
    memset(out, 0, sizeof *out);
    out->clock_skew_s = TKMS_ATTEST_SKEW_S_DEFAULT;
    for (size_t i = 0; i < sizeof hwmodels / sizeof hwmodels[0]; i++) {
        snprintf(out->gcp.hwmodels[i], sizeof out->gcp.hwmodels[i], "%s", hwmodels[i]);
    }
    out->gcp.hwmodel_count = sizeof hwmodels / sizeof hwmodels[0];
    out->gcp.require_stable = true;
    out->gcp.require_secure_boot = true;
    out->gcp.app_id_source = TKMS_ATTEST_GCP_APP_ID_INSTANCE_NAME_SUFFIX;
    out->gcp.replay_check = true;
    out->snp.allow_smt = true;
    out->snp.allow_vcek = true;
    out->snp.allow_vlek = true;
    out->snp.vmpl = 0;
}

static tkms_err bad(tkms_attest_error *error, const char *path, const char *expected) {
    return attest_fail(error, TKMS_ERR_ATTEST_POLICY_INVALID, "policy %s: expected %s", path,
                       expected);
}

static tkms_err want_bool(bool *out, tkms_attest_error *error, const json_t *v, const char *path) {
    if (!json_is_boolean(v)) {
        return bad(error, path, "true or false");
    }
    *out = json_is_true(v);
    return TKMS_OK;
}

static tkms_err want_uint(uint32_t *out, tkms_attest_error *error, const json_t *v,
                          const char *path, uint32_t max) {
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > max) {
        char expected[48];
        snprintf(expected, sizeof expected, "an integer in 0..%u", max);
        return bad(error, path, expected);
    }
    *out = (uint32_t)json_integer_value(v);
    return TKMS_OK;
}

/* An array of up to max non-empty strings of at most len_max bytes into rows of `stride`. */
static tkms_err want_strings(char *rows, size_t stride, size_t *count, size_t max, size_t len_max,
                             tkms_attest_error *error, const json_t *v, const char *path) {
    TKMS_ASSERT(stride > len_max);
    char expected[96];
    snprintf(expected, sizeof expected, "an array of at most %zu strings of 1..%zu bytes", max,
             len_max);
    if (!json_is_array(v) || json_array_size(v) > max) {
        return bad(error, path, expected);
    }
    for (size_t i = 0; i < json_array_size(v); i++) {
        const json_t *s = json_array_get(v, i);
        const size_t n = json_is_string(s) ? json_string_length(s) : 0;
        if (n == 0 || n > len_max || memchr(json_string_value(s), 0, n) != NULL) {
            return bad(error, path, expected);
        }
        memcpy(rows + i * stride, json_string_value(s), n);
        rows[i * stride + n] = 0;
    }
    *count = json_array_size(v);
    return TKMS_OK;
}

static tkms_err gcp_app_id(tkms_attest_policy *out, tkms_attest_error *error, const json_t *v) {
    const char *s = json_is_string(v) ? json_string_value(v) : "";
    if (strcmp(s, "instance_name_suffix") == 0) {
        out->gcp.app_id_source = TKMS_ATTEST_GCP_APP_ID_INSTANCE_NAME_SUFFIX;
    } else if (strcmp(s, "instance_name") == 0) {
        out->gcp.app_id_source = TKMS_ATTEST_GCP_APP_ID_INSTANCE_NAME;
    } else if (strncmp(s, "claim:", 6) == 0 && strlen(s + 6) > 0 &&
               strlen(s + 6) <= TKMS_ATTEST_CLAIM_PATH_BYTES_MAX && s[strlen(s) - 1] != '.' &&
               strstr(s, "..") == NULL && s[6] != '.') {
        out->gcp.app_id_source = TKMS_ATTEST_GCP_APP_ID_CLAIM;
        snprintf(out->gcp.app_id_claim, sizeof out->gcp.app_id_claim, "%s", s + 6);
    } else {
        return bad(error, "gcp.app_id",
                   "\"instance_name_suffix\", \"instance_name\" or \"claim:<dotted.path>\"");
    }
    return TKMS_OK;
}

static tkms_err gcp_section(tkms_attest_policy *out, tkms_attest_error *error, const json_t *o) {
    if (!json_is_object(o)) {
        return bad(error, "gcp", "an object");
    }
    const char *k;
    const json_t *v;
    tkms_err rc = TKMS_OK;
    json_object_foreach((json_t *)o, k, v) {
        if (strcmp(k, "audiences") == 0) {
            rc = want_strings(&out->gcp.audiences[0][0], sizeof out->gcp.audiences[0],
                              &out->gcp.audience_count, TKMS_ATTEST_AUDIENCES_MAX,
                              TKMS_ATTEST_AUDIENCE_BYTES_MAX, error, v, "gcp.audiences");
        } else if (strcmp(k, "hwmodels") == 0) {
            rc = want_strings(&out->gcp.hwmodels[0][0], sizeof out->gcp.hwmodels[0],
                              &out->gcp.hwmodel_count, TKMS_ATTEST_HWMODELS_MAX,
                              TKMS_ATTEST_HWMODEL_BYTES_MAX, error, v, "gcp.hwmodels");
        } else if (strcmp(k, "projects") == 0) {
            rc = want_strings(&out->gcp.projects[0][0], sizeof out->gcp.projects[0],
                              &out->gcp.project_count, TKMS_ATTEST_PROJECTS_MAX,
                              TKMS_ATTEST_PROJECT_BYTES_MAX, error, v, "gcp.projects");
        } else if (strcmp(k, "allow_debug") == 0) {
            rc = want_bool(&out->gcp.allow_debug, error, v, "gcp.allow_debug");
        } else if (strcmp(k, "require_stable") == 0) {
            rc = want_bool(&out->gcp.require_stable, error, v, "gcp.require_stable");
        } else if (strcmp(k, "require_secure_boot") == 0) {
            rc = want_bool(&out->gcp.require_secure_boot, error, v, "gcp.require_secure_boot");
        } else if (strcmp(k, "swversion_min") == 0) {
            rc = want_uint(&out->gcp.swversion_min, error, v, "gcp.swversion_min", 999999999u);
        } else if (strcmp(k, "app_id") == 0) {
            rc = gcp_app_id(out, error, v);
        } else if (strcmp(k, "replay_check") == 0) {
            rc = want_bool(&out->gcp.replay_check, error, v, "gcp.replay_check");
        } else {
            rc = attest_fail(error, TKMS_ERR_ATTEST_POLICY_INVALID, "policy gcp: unknown key %.64s",
                             k);
        }
        if (rc != TKMS_OK) {
            return rc;
        }
    }
    return TKMS_OK;
}

static tkms_err snp_min_tcb_one(tkms_attest_snp_tcb *out, tkms_attest_error *error, const json_t *o,
                                const char *product) {
    char path[64];
    snprintf(path, sizeof path, "sev_snp.min_tcb.%s", product);
    if (!json_is_object(o)) {
        return bad(error, path, "an object of bl, tee, snp, ucode (and fmc on Turin)");
    }
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)o, k, v) {
        uint8_t *field = strcmp(k, "bl") == 0      ? &out->bl
                         : strcmp(k, "tee") == 0   ? &out->tee
                         : strcmp(k, "snp") == 0   ? &out->snp
                         : strcmp(k, "ucode") == 0 ? &out->ucode
                         : strcmp(k, "fmc") == 0   ? &out->fmc
                                                   : NULL;
        uint32_t value = 0;
        if (field == NULL) {
            return bad(error, path, "only the keys bl, tee, snp, ucode, fmc");
        }
        tkms_err rc = want_uint(&value, error, v, path, 255);
        if (rc != TKMS_OK) {
            return rc;
        }
        *field = (uint8_t)value;
    }
    return TKMS_OK;
}

static tkms_err snp_min_tcb(tkms_attest_policy *out, tkms_attest_error *error, const json_t *o) {
    if (!json_is_object(o)) {
        return bad(error, "sev_snp.min_tcb", "an object keyed by Milan, Genoa, Turin");
    }
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)o, k, v) {
        size_t p = 1;
        while (p < TKMS_ATTEST_SNP_PRODUCT_COUNT &&
               strcmp(k, tkms_attest_snp_product_name((tkms_attest_snp_product)p)) != 0) {
            p++;
        }
        if (p == TKMS_ATTEST_SNP_PRODUCT_COUNT) {
            return bad(error, "sev_snp.min_tcb", "only the keys Milan, Genoa, Turin");
        }
        tkms_err rc = snp_min_tcb_one(&out->snp.min_tcb[p], error, v, k);
        if (rc != TKMS_OK) {
            return rc;
        }
        out->snp.min_tcb_set[p] = true;
    }
    return TKMS_OK;
}

static tkms_err snp_measurements(tkms_attest_policy *out, tkms_attest_error *error,
                                 const json_t *v) {
    const char *expected = "an array of at most 64 hex strings of 48 bytes (96 digits)";
    if (!json_is_array(v) || json_array_size(v) > TKMS_ATTEST_SNP_MEASUREMENTS_MAX) {
        return bad(error, "sev_snp.measurements", expected);
    }
    for (size_t i = 0; i < json_array_size(v); i++) {
        const json_t *s = json_array_get(v, i);
        if (!json_is_string(s) || !attest_unhex(out->snp.measurements[i], 48, json_string_value(s),
                                                json_string_length(s))) {
            return bad(error, "sev_snp.measurements", expected);
        }
    }
    out->snp.measurement_count = json_array_size(v);
    return TKMS_OK;
}

static tkms_err snp_signers(tkms_attest_policy *out, tkms_attest_error *error, const json_t *v) {
    const char *expected = "a non-empty array of \"vcek\" and/or \"vlek\"";
    if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > 2) {
        return bad(error, "sev_snp.signers", expected);
    }
    out->snp.allow_vcek = out->snp.allow_vlek = false;
    for (size_t i = 0; i < json_array_size(v); i++) {
        const char *s = json_string_value(json_array_get(v, i));
        if (s != NULL && strcmp(s, "vcek") == 0) {
            out->snp.allow_vcek = true;
        } else if (s != NULL && strcmp(s, "vlek") == 0) {
            out->snp.allow_vlek = true;
        } else {
            return bad(error, "sev_snp.signers", expected);
        }
    }
    return TKMS_OK;
}

static tkms_err snp_section(tkms_attest_policy *out, tkms_attest_error *error, const json_t *o) {
    if (!json_is_object(o)) {
        return bad(error, "sev_snp", "an object");
    }
    const char *k;
    const json_t *v;
    tkms_err rc = TKMS_OK;
    json_object_foreach((json_t *)o, k, v) {
        if (strcmp(k, "allow_debug") == 0) {
            rc = want_bool(&out->snp.allow_debug, error, v, "sev_snp.allow_debug");
        } else if (strcmp(k, "allow_migration_agent") == 0) {
            rc = want_bool(&out->snp.allow_migration_agent, error, v,
                           "sev_snp.allow_migration_agent");
        } else if (strcmp(k, "allow_smt") == 0) {
            rc = want_bool(&out->snp.allow_smt, error, v, "sev_snp.allow_smt");
        } else if (strcmp(k, "allow_provisional_firmware") == 0) {
            rc = want_bool(&out->snp.allow_provisional_firmware, error, v,
                           "sev_snp.allow_provisional_firmware");
        } else if (strcmp(k, "signers") == 0) {
            rc = snp_signers(out, error, v);
        } else if (strcmp(k, "vmpl") == 0) {
            rc = want_uint(&out->snp.vmpl, error, v, "sev_snp.vmpl", 3);
        } else if (strcmp(k, "min_tcb") == 0) {
            rc = snp_min_tcb(out, error, v);
        } else if (strcmp(k, "measurements") == 0) {
            rc = snp_measurements(out, error, v);
        } else if (strcmp(k, "init_data_first_image_wins") == 0) {
            rc = want_bool(&out->snp.init_data_first_image_wins, error, v,
                           "sev_snp.init_data_first_image_wins");
        } else {
            rc = attest_fail(error, TKMS_ERR_ATTEST_POLICY_INVALID,
                             "policy sev_snp: unknown key %.64s", k);
        }
        if (rc != TKMS_OK) {
            return rc;
        }
    }
    return TKMS_OK;
}

TKMS_EXPORT tkms_err tkms_attest_policy_from_json(tkms_attest_policy *out, tkms_attest_error *error,
                                                  const uint8_t *json, size_t json_len) {
    tkms_attest_policy_default(out);
    if (json_len > 256 * 1024) {
        return attest_fail(error, TKMS_ERR_ATTEST_POLICY_INVALID, "policy: larger than 256 KiB");
    }
    json_t *root =
        attest_json_load(error, TKMS_ERR_ATTEST_POLICY_INVALID, "policy", json, json_len);
    if (root == NULL) {
        return TKMS_ERR_ATTEST_POLICY_INVALID;
    }
    const char *k;
    json_t *v;
    tkms_err rc = TKMS_OK;
    json_object_foreach(root, k, v) {
        if (strcmp(k, "clock_skew_s") == 0) {
            rc = want_uint(&out->clock_skew_s, error, v, "clock_skew_s", TKMS_ATTEST_SKEW_S_MAX);
        } else if (strcmp(k, "gcp") == 0) {
            rc = gcp_section(out, error, v);
        } else if (strcmp(k, "sev_snp") == 0) {
            rc = snp_section(out, error, v);
        } else {
            rc = attest_fail(error, TKMS_ERR_ATTEST_POLICY_INVALID, "policy: unknown key %.64s", k);
        }
        if (rc != TKMS_OK) {
            break;
        }
    }
    json_decref(root);
    if (rc != TKMS_OK) {
        tkms_attest_policy_default(out);
    }
    return rc;
}
