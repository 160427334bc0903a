/*
 * masterkey.c — reads the 32-byte master key from a key file, an environment variable or
 * the caller's bytes, and enforces where it may live: a key file must be a regular file
 * owned by the effective user with no group/other permission bits, and must not sit in
 * the database's directory or below it (a backup of that directory would carry both). A variable is
 * wiped in place and unset once read, so child processes and /proc/<pid>/environ do not
 * keep it.
 *
 * It does not derive keys (seal.c) or store the key anywhere. Hex digits are decoded
 * without branching on their value (style R10). Spec: protocol.md §5 ("a key kept outside
 * the data files").
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/tkms_ct.h"
#include "store/internal.h"

#define KEY_HEX_BYTES (2 * TKMS_STORE_SECRET_BYTES)
#define KEY_FILE_BYTES_MAX (KEY_HEX_BYTES + 1)

/* 0..15 for a hex digit; *bad gets 1 otherwise. No branch on c. */
static uint8_t hex_nibble(int c, int *bad) {
    TKMS_ASSERT(c >= 0 && c <= 255);
    TKMS_ASSERT(bad != NULL);
    int lower = c | 0x20;
    int is_digit = (((c - '0') | ('9' - c)) >> 8) + 1;
    int is_letter = (((lower - 'a') | ('f' - lower)) >> 8) + 1;
    *bad |= 1 - (is_digit | is_letter);
    return (uint8_t)((is_digit * (c - '0')) + (is_letter * (lower - 'a' + 10)));
}

static bool hex_decode(tkms_store_secret *out, const uint8_t *hex) {
    TKMS_ASSERT(out != NULL);
    TKMS_ASSERT(hex != NULL);
    int bad = 0;
    for (size_t i = 0; i < TKMS_STORE_SECRET_BYTES; i++) {
        uint8_t hi = hex_nibble(hex[2 * i], &bad);
        uint8_t lo = hex_nibble(hex[2 * i + 1], &bad);
        out->bytes[i] = (uint8_t)((hi << 4) | lo);
    }
    return bad == 0;
}

static bool key_is_zero(const tkms_store_secret *k) {
    TKMS_ASSERT(k != NULL);
    static const uint8_t zero[TKMS_STORE_SECRET_BYTES];
    return tkms_ct_bytes_equal(k->bytes, zero, sizeof zero) == 1;
}

/* 32 raw bytes, or 64 hex digits with an optional final newline. */
static bool key_parse(tkms_store_secret *out, const uint8_t *buf, size_t len) {
    TKMS_ASSERT(out != NULL && buf != NULL);
    TKMS_ASSERT(len <= KEY_FILE_BYTES_MAX);
    if (len == TKMS_STORE_SECRET_BYTES) {
        memcpy(out->bytes, buf, TKMS_STORE_SECRET_BYTES);
    } else if (len == KEY_HEX_BYTES || (len == KEY_HEX_BYTES + 1 && buf[KEY_HEX_BYTES] == '\n')) {
        if (!hex_decode(out, buf)) {
            return false;
        }
    } else {
        return false;
    }
    return !key_is_zero(out);
}

/* The key file must not be in the database's directory or anywhere below it: a copy of
   the data directory must never carry the key. Compared on resolved paths. */
static tkms_err key_beside_check(const char *key_path, const char *db_path) {
    TKMS_ASSERT(key_path != NULL);
    TKMS_ASSERT(db_path != NULL);
    char db_dir[PATH_MAX], key_real[PATH_MAX], db_real[PATH_MAX];
    if (strlen(db_path) >= sizeof db_dir) {
        return TKMS_ERR_INVALID_ARGUMENT;
    }
    strcpy(db_dir, db_path);
    if (realpath(key_path, key_real) == NULL) {
        return TKMS_ERR_STORE_KEY_FILE;
    }
    if (realpath(dirname(db_dir), db_real) == NULL) {
        return TKMS_ERR_STORE_CANNOT_OPEN;
    }
    size_t n = strlen(db_real);
    bool root = n == 1; /* "/" contains everything */
    if (root || (strncmp(key_real, db_real, n) == 0 && key_real[n] == '/')) {
        return TKMS_ERR_STORE_KEY_BESIDE_DATABASE;
    }
    return TKMS_OK;
}

static tkms_err key_read_fd(tkms_store_secret *out, int fd) {
    TKMS_ASSERT(out != NULL);
    TKMS_ASSERT(fd >= 0);
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        return TKMS_ERR_STORE_KEY_FILE;
    }
    if (st.st_uid != geteuid() || (st.st_mode & 077) != 0) {
        return TKMS_ERR_STORE_KEY_FILE_PERMISSIONS;
    }
    uint8_t buf[KEY_FILE_BYTES_MAX + 1];
    size_t len = 0;
    for (int reads = 0; reads < 64 && len < sizeof buf; reads++) {
        ssize_t n = read(fd, buf + len, sizeof buf - len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        len += (size_t)n;
    }
    bool ok = len <= KEY_FILE_BYTES_MAX && key_parse(out, buf, len);
    tkms_wipe(buf, sizeof buf);
    TKMS_ASSERT(!ok || !key_is_zero(out));
    return ok ? TKMS_OK : TKMS_ERR_STORE_KEY_FILE;
}

static tkms_err key_from_file(tkms_store_secret *out, const char *path, const char *db_path) {
    TKMS_ASSERT(out != NULL);
    TKMS_ASSERT(db_path != NULL);
    if (path == NULL || path[0] == 0) {
        return TKMS_ERR_INVALID_ARGUMENT;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        return TKMS_ERR_STORE_KEY_FILE;
    }
    tkms_err err = key_read_fd(out, fd);
    close(fd);
    if (err == TKMS_OK) {
        err = key_beside_check(path, db_path);
    }
    return err;
}

static tkms_err key_from_env(tkms_store_secret *out, const char *name) {
    TKMS_ASSERT(out != NULL);
    TKMS_ASSERT(name != NULL);
    char *value = getenv(name);
    if (value == NULL) {
        return TKMS_ERR_STORE_KEY_ENV;
    }
    size_t len = strlen(value);
    bool ok = len == KEY_HEX_BYTES && hex_decode(out, (const uint8_t *)value) && !key_is_zero(out);
    /* Wipe the environment copy in place, then drop the variable. */
    tkms_wipe(value, len);
    unsetenv(name);
    return ok ? TKMS_OK : TKMS_ERR_STORE_KEY_ENV;
}

tkms_err store_master_key_load(tkms_store_secret *out, const tkms_store_options *o) {
    TKMS_ASSERT(out != NULL && o != NULL);
    TKMS_ASSERT(o->path != NULL);
    tkms_err err = TKMS_ERR_INVALID_ARGUMENT;
    switch (o->key_source) {
    case TKMS_STORE_KEY_FILE:
        err = key_from_file(out, o->key_name, o->path);
        break;
    case TKMS_STORE_KEY_ENV:
        err = key_from_env(out, o->key_name ? o->key_name : TKMS_STORE_KEY_ENV_DEFAULT);
        break;
    case TKMS_STORE_KEY_BYTES:
        if (o->key != NULL && !key_is_zero(o->key)) {
            *out = *o->key;
            err = TKMS_OK;
        }
        break;
    default:
        break;
    }
    if (err != TKMS_OK) {
        tkms_wipe(out, sizeof *out);
    }
    /* Whatever the source, a usable key is never all-zero (and a failure leaves zeros). */
    TKMS_ASSERT((err == TKMS_OK) == !key_is_zero(out));
    return err;
}
