/*
 * gen_corpus.c — writes the seed databases of fuzz_store_open into a directory:
 * seed_fresh.db (just created), seed_full.db (state, two versions, X25519 and Ed25519
 * keys, a release, an MPK) and seed_v1.db (the same at schema version 1). Not built by
 * default:
 *   cmake --build <dir> --target store_gen_corpus &&
 *   <dir>/tests/store/store_gen_corpus tests/store/corpus/fuzz_store_open
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fuzz_store_common.h"

static void check(tkms_err err, const char *what) {
    if (err != TKMS_OK) {
        fprintf(stderr, "gen_corpus: %s: %s\n", what, tkms_err_name(err));
        exit(1);
    }
}

static void fill(tkms_store *s) {
    uint8_t blob[2000];
    memset(blob, 0x42, sizeof blob);
    check(tkms_store_state_put(s, blob, sizeof blob), "state");
    tkms_store_version_info info;
    tkms_store_secret k;
    for (uint64_t v = 1; v <= 2; v++) {
        memset(&info, 0, sizeof info);
        info.version = v;
        info.status = (uint8_t)v;
        info.public_len = 96;
        memset(k.bytes, (int)v, sizeof k.bytes);
        check(tkms_store_version_put(s, &info, &k), "version");
        check(tkms_store_x25519_put(s, v, &k), "x25519");
    }
    check(tkms_store_ed25519_put(s, &k), "ed25519");
    uint8_t app[20] = {9}, mpk[96] = {0xa0};
    check(tkms_store_release_put(s, app, 5, blob, 100), "release");
    check(tkms_store_mpk_bind(s, mpk), "mpk");
}

static void make(const char *dir, const char *name, bool full, bool v1) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    unlink(path);
    tkms_store_secret key;
    tkms_store_options o = fuzz_store_options(path, &key);
    tkms_store *s = NULL;
    check(tkms_store_open(&s, &o), "open");
    if (full) {
        fill(s);
    }
    tkms_store_close(s);
    if (v1) {
        sqlite3 *db = NULL;
        if (sqlite3_open(path, &db) != SQLITE_OK ||
            sqlite3_exec(db, "DROP TABLE app_release; UPDATE schema_version SET version = 1", NULL,
                         NULL, NULL) != SQLITE_OK ||
            sqlite3_close(db) != SQLITE_OK) {
            exit(1);
        }
    }
    printf("wrote %s\n", path);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    make(argv[1], "seed_fresh.db", false, false);
    make(argv[1], "seed_full.db", true, false);
    make(argv[1], "seed_v1.db", true, true);
    return 0;
}
