/*
 * nonces.c — the nonce store: a small JSON file per (chain id, address) with the next
 * nonce and every in-flight signed transaction (the hashes of all its fee-bumped versions
 * and the raw bytes of the latest). The store is the write-ahead log of sending: a
 * transaction is persisted before it is broadcast, so after a crash it can be re-broadcast
 * and its nonce is never reused or skipped.
 *
 * Writes are atomic (temp + fsync + rename + fsync of the directory). Every update holds a
 * process mutex and flock() on "<path>.lock", and re-reads the file, so several threads or
 * processes sending with one key serialize correctly. The file holds no secrets (signed
 * transactions are public once broadcast); it is created 0600 anyway.
 * The policy (what to do with the chain's counts) lives in send.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chain/internal.h"
#include "common/tkms_assert.h"

#define STORE_VERSION 1
#define STORE_FILE_BYTES_MAX (16u << 20)

struct tkms_chain_nonces {
    pthread_mutex_t mutex;
    char path[PATH_MAX];
    int lock_fd;
    uint64_t chain_id;
    tkms_chain_address address;
    chain_nonce_state state;
};

static void state_clear(chain_nonce_state *s) {
    for (size_t i = 0; i < s->pending_count; i++) {
        tkms_chain_bytes_free(&s->pending[i].raw);
    }
    memset(s, 0, sizeof *s);
}

TKMS_EXPORT tkms_err tkms_chain_nonces_open(tkms_chain_nonces **out, const char *path,
                                            uint64_t chain_id, const tkms_chain_address *address) {
    TKMS_ASSERT(out != NULL && path != NULL && address != NULL);
    *out = NULL;
    char lock_path[PATH_MAX];
    if (strlen(path) + 6 >= sizeof lock_path || chain_id == 0) {
        return TKMS_ERR_INVALID_ARGUMENT;
    }
    snprintf(lock_path, sizeof lock_path, "%s.lock", path);
    tkms_chain_nonces *n = calloc(1, sizeof *n);
    if (n == NULL) {
        return TKMS_ERR_OUT_OF_MEMORY;
    }
    n->lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (n->lock_fd < 0 || pthread_mutex_init(&n->mutex, NULL) != 0) {
        if (n->lock_fd >= 0) {
            close(n->lock_fd);
        }
        free(n);
        return TKMS_ERR_IO;
    }
    snprintf(n->path, sizeof n->path, "%s", path);
    n->chain_id = chain_id;
    n->address = *address;
    chain_nonce_state *state = NULL;
    tkms_err err = chain_nonces_lock(n, &state); /* validates an existing file now */
    if (err == TKMS_OK) {
        chain_nonces_unlock(n);
        *out = n;
        return TKMS_OK;
    }
    tkms_chain_nonces_close(n);
    return err;
}

TKMS_EXPORT void tkms_chain_nonces_close(tkms_chain_nonces *n) {
    if (n == NULL) {
        return;
    }
    state_clear(&n->state);
    close(n->lock_fd);
    pthread_mutex_destroy(&n->mutex);
    free(n);
}

uint64_t chain_nonces_chain_id(const tkms_chain_nonces *n) {
    TKMS_ASSERT(n != NULL);
    return n->chain_id;
}

const tkms_chain_address *chain_nonces_address(const tkms_chain_nonces *n) {
    TKMS_ASSERT(n != NULL);
    return &n->address;
}

/* ---- file format -------------------------------------------------------------------------- */
static bool json_u64(uint64_t *out, const json_t *v) {
    return json_is_integer(v) && json_integer_value(v) >= 0 &&
           (*out = (uint64_t)json_integer_value(v), true);
}

static tkms_err pending_parse(chain_pending_tx *p, const json_t *v) {
    const json_t *hashes = json_object_get(v, "hashes");
    const char *raw = json_string_value(json_object_get(v, "raw"));
    size_t count = json_array_size(hashes);
    if (!json_u64(&p->nonce, json_object_get(v, "nonce")) || raw == NULL || count == 0 ||
        count > TKMS_CHAIN_TX_REPLACEMENTS_MAX + 1) {
        return TKMS_ERR_CHAIN_NONCE_FILE;
    }
    for (size_t i = 0; i < count; i++) {
        const char *h = json_string_value(json_array_get(hashes, i));
        if (h == NULL || tkms_chain_hex_decode(p->hashes[i].bytes, 32, h) != TKMS_OK) {
            return TKMS_ERR_CHAIN_NONCE_FILE;
        }
    }
    p->hash_count = count;
    if (tkms_chain_hex_decode_alloc(&p->raw, raw, TKMS_CHAIN_TX_RAW_BYTES_MAX) != TKMS_OK) {
        return TKMS_ERR_CHAIN_NONCE_FILE;
    }
    return TKMS_OK;
}

static tkms_err state_parse(tkms_chain_nonces *n, const json_t *root) {
    chain_nonce_state *s = &n->state;
    uint64_t version = 0, chain_id = 0;
    tkms_chain_address address;
    const char *address_hex = json_string_value(json_object_get(root, "address"));
    const json_t *pending = json_object_get(root, "pending");
    if (!json_u64(&version, json_object_get(root, "version")) || version != STORE_VERSION ||
        !json_u64(&chain_id, json_object_get(root, "chain_id")) || address_hex == NULL ||
        tkms_chain_address_parse(&address, address_hex) != TKMS_OK ||
        !json_u64(&s->next_nonce, json_object_get(root, "next_nonce")) || !json_is_array(pending) ||
        json_array_size(pending) > TKMS_CHAIN_PENDING_TX_MAX) {
        return TKMS_ERR_CHAIN_NONCE_FILE;
    }
    if (chain_id != n->chain_id || memcmp(address.bytes, n->address.bytes, 20) != 0) {
        return TKMS_ERR_CHAIN_NONCE_FILE_MISMATCH;
    }
    for (size_t i = 0; i < json_array_size(pending); i++) {
        tkms_err err = pending_parse(&s->pending[i], json_array_get(pending, i));
        s->pending_count = i + 1; /* so state_clear frees what was parsed */
        if (err != TKMS_OK) {
            return err;
        }
    }
    return TKMS_OK;
}

static tkms_err state_load(tkms_chain_nonces *n) {
    state_clear(&n->state);
    struct stat st;
    if (stat(n->path, &st) != 0) {
        return errno == ENOENT ? TKMS_OK : TKMS_ERR_IO; /* a new store */
    }
    if (!S_ISREG(st.st_mode) || (size_t)st.st_size > STORE_FILE_BYTES_MAX) {
        return TKMS_ERR_CHAIN_NONCE_FILE;
    }
    json_error_t jerr;
    json_t *root = json_load_file(n->path, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        return TKMS_ERR_CHAIN_NONCE_FILE;
    }
    tkms_err err = state_parse(n, root);
    json_decref(root);
    if (err != TKMS_OK) {
        state_clear(&n->state);
    }
    return err;
}

static json_t *state_json(const tkms_chain_nonces *n) {
    char address[TKMS_CHAIN_ADDRESS_HEX_BYTES];
    tkms_chain_address_format(address, &n->address);
    json_t *pending = json_array();
    for (size_t i = 0; pending != NULL && i < n->state.pending_count; i++) {
        const chain_pending_tx *p = &n->state.pending[i];
        json_t *hashes = json_array();
        for (size_t h = 0; hashes != NULL && h < p->hash_count; h++) {
            json_array_append_new(hashes, chain_json_hex(p->hashes[h].bytes, 32));
        }
        json_array_append_new(pending,
                              json_pack("{s:I,s:o,s:o}", "nonce", (json_int_t)p->nonce, "hashes",
                                        hashes, "raw", chain_json_hex(p->raw.ptr, p->raw.len)));
    }
    return json_pack("{s:i,s:I,s:s,s:I,s:o}", "version", STORE_VERSION, "chain_id",
                     (json_int_t)n->chain_id, "address", address, "next_nonce",
                     (json_int_t)n->state.next_nonce, "pending", pending);
}

static bool write_all(int fd, const char *text, size_t len) {
    while (len > 0) {
        ssize_t w = write(fd, text, len);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return false;
        }
        text += w;
        len -= (size_t)w;
    }
    return true;
}

static bool directory_sync(const char *path) {
    char copy[PATH_MAX];
    snprintf(copy, sizeof copy, "%s", path);
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return false;
    }
    bool ok = fsync(fd) == 0;
    return close(fd) == 0 && ok;
}

tkms_err chain_nonces_save(tkms_chain_nonces *n) {
    TKMS_ASSERT(n != NULL);
    json_t *root = state_json(n);
    char *text = root ? json_dumps(root, JSON_INDENT(1)) : NULL;
    json_decref(root);
    if (text == NULL) {
        return TKMS_ERR_OUT_OF_MEMORY;
    }
    char tmp[PATH_MAX + 8];
    snprintf(tmp, sizeof tmp, "%s.tmp", n->path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    bool ok =
        fd >= 0 && write_all(fd, text, strlen(text)) && write_all(fd, "\n", 1) && fsync(fd) == 0;
    if (fd >= 0) {
        ok = close(fd) == 0 && ok;
    }
    free(text);
    ok = ok && rename(tmp, n->path) == 0 && directory_sync(n->path);
    if (!ok) {
        unlink(tmp);
        return TKMS_ERR_IO;
    }
    return TKMS_OK;
}

tkms_err chain_nonces_lock(tkms_chain_nonces *n, chain_nonce_state **state) {
    TKMS_ASSERT(n != NULL && state != NULL);
    *state = NULL;
    TKMS_ASSERT(pthread_mutex_lock(&n->mutex) == 0);
    while (flock(n->lock_fd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            TKMS_ASSERT(pthread_mutex_unlock(&n->mutex) == 0);
            return TKMS_ERR_IO;
        }
    }
    tkms_err err = state_load(n);
    if (err != TKMS_OK) {
        chain_nonces_unlock(n);
        return err;
    }
    *state = &n->state;
    return TKMS_OK;
}

void chain_nonces_unlock(tkms_chain_nonces *n) {
    TKMS_ASSERT(n != NULL);
    TKMS_ASSERT(flock(n->lock_fd, LOCK_UN) == 0);
    TKMS_ASSERT(pthread_mutex_unlock(&n->mutex) == 0);
}

chain_pending_tx *chain_pending_find(chain_nonce_state *s, uint64_t nonce) {
    TKMS_ASSERT(s != NULL && s->pending_count <= TKMS_CHAIN_PENDING_TX_MAX);
    for (size_t i = 0; i < s->pending_count; i++) {
        if (s->pending[i].nonce == nonce) {
            return &s->pending[i];
        }
    }
    return NULL;
}

void chain_pending_remove(chain_nonce_state *s, uint64_t nonce) {
    TKMS_ASSERT(s != NULL);
    for (size_t i = 0; i < s->pending_count; i++) {
        if (s->pending[i].nonce == nonce) {
            tkms_chain_bytes_free(&s->pending[i].raw);
            memmove(&s->pending[i], &s->pending[i + 1],
                    (s->pending_count - i - 1) * sizeof s->pending[0]);
            s->pending_count--;
            memset(&s->pending[s->pending_count], 0, sizeof s->pending[0]);
            return;
        }
    }
}

TKMS_EXPORT tkms_err tkms_chain_nonces_peek(tkms_chain_nonces *n, uint64_t *next, size_t *pending) {
    TKMS_ASSERT(n != NULL && next != NULL && pending != NULL);
    *next = 0;
    *pending = 0;
    chain_nonce_state *s = NULL;
    tkms_err err = chain_nonces_lock(n, &s);
    if (err != TKMS_OK) {
        return err;
    }
    *next = s->next_nonce;
    *pending = s->pending_count;
    chain_nonces_unlock(n);
    return TKMS_OK;
}
