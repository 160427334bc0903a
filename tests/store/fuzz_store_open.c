/*
 * fuzz_store_open.c — libFuzzer entry (style R21) over the one untrusted input of the
 * store: the database file itself (a disk, a backup or an attacker may have changed it).
 * The input is written as the database file; the store is opened with the seed key and
 * binding, and when it opens, everything is read back and one write is made. The store
 * must return errors (TAMPERED, CORRUPT, NOT_TKMS, …), never crash or trip an assertion:
 * its assertions on loaded data only cover values already authenticated.
 * Seeds (corpus/fuzz_store_open/seed_*): databases written by gen_corpus.c.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_store_common.h"

static char dir[256], db[300], wal[310];

static void cleanup(void) {
    unlink(db);
    unlink(wal);
    rmdir(dir);
}

static void paths_init(void) {
    if (dir[0] != 0) {
        return;
    }
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/tkms-fuzz-store-XXXXXX",
             tmp ? tmp : (access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp"));
    if (mkdtemp(dir) == NULL) {
        abort();
    }
    snprintf(db, sizeof db, "%s/node.db", dir);
    snprintf(wal, sizeof wal, "%s-wal", db);
    atexit(cleanup);
}

static void read_everything(tkms_store *s) {
    static uint8_t buf[TKMS_STORE_STATE_BYTES_MAX];
    size_t len = 0;
    (void)tkms_store_state_get(s, buf, sizeof buf, &len);
    uint64_t keys[TKMS_STORE_VERSIONS_MAX];
    uint8_t status[TKMS_STORE_VERSIONS_MAX];
    size_t count = 0;
    static tkms_store_version_info info;
    tkms_store_secret secret;
    uint8_t pub[32];
    if (tkms_store_version_list(s, keys, status, &count) == TKMS_OK) {
        for (size_t i = 0; i < count; i++) {
            (void)tkms_store_version_get(s, keys[i], &info, &secret);
        }
    }
    if (tkms_store_x25519_list(s, keys, &count) == TKMS_OK) {
        for (size_t i = 0; i < count; i++) {
            (void)tkms_store_x25519_get(s, keys[i], &secret, pub);
        }
    }
    (void)tkms_store_ed25519_get(s, &secret, pub);
    uint8_t app[20] = {9};
    uint64_t block = 0;
    (void)tkms_store_release_get(s, app, &block, buf, TKMS_STORE_RELEASE_BYTES_MAX, &len);
    (void)tkms_store_state_put(s, (const uint8_t *)"fuzz", 4);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    paths_init();
    unlink(wal);
    int fd = open(db, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || write(fd, data, size) != (ssize_t)size) {
        abort();
    }
    close(fd);
    tkms_store_secret key;
    tkms_store_options o = fuzz_store_options(db, &key);
    tkms_store *s = NULL;
    if (tkms_store_open(&s, &o) == TKMS_OK) {
        read_everything(s);
        tkms_store_close(s);
    }
    return 0;
}
