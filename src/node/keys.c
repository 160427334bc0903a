/*
 * keys.c — the node key file and `tkmsd keygen`.
 *
 * The file is one JSON object, mode 0600, created with O_EXCL and fsynced:
 *   {"version":1,"chain_key":"0x…","ed25519_seed":"0x…","drbg_seed":"0x…"}
 * chain_key is the operator's secp256k1 key (its chain identity, msg.sender of every
 * protocol transaction), ed25519_seed signs peer envelopes and records (protocol.md §8,
 * §4.3), drbg_seed seeds the protocol DRBG (proto.h) whose first X25519 key is the one
 * registered on chain. `tkms operator keygen` writes a bare chain key file (64 hex digits,
 * src/chain/key.c) that the `tkms` commands use; `tkmsd keygen --chain-key FILE` imports it
 * (or creates it when absent) so that both tools act for the same address. The DRBG seed
 * matters only until the first start: from then on the protocol state (sealed in the store)
 * carries the DRBG. Loading refuses symlinks and any group/other permission bit.
 * Not here: the store's master key (store.h), the X25519 rotation (proto).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "common/tkms_assert.h"
#include "common/tkms_ct.h"
#include "common/tkms_rng.h"
#include "node/driver.h"
#include "prim/prim.h"

#define KEY_FILE_BYTES_MAX 4096
#define KEY_FILE_VERSION 1

static tkms_err hex32(uint8_t out[32], json_t *root, const char *name) {
    json_t *v = json_object_get(root, name);
    const char *s = json_string_value(v);
    if (s == NULL || strlen(s) != 66 || s[0] != '0' || s[1] != 'x') {
        return TKMS_ERR_NODE_KEY_FILE;
    }
    return tkms_chain_hex_decode(out, 32, s) == TKMS_OK ? TKMS_OK : TKMS_ERR_NODE_KEY_FILE;
}

/* Reads the whole file (regular, not a symlink, no group/other bits) into buf. */
static tkms_err read_private(char *buf, size_t max, size_t *len, const char *path) {
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        return errno == ELOOP ? TKMS_ERR_NODE_KEY_FILE_PERMISSIONS : TKMS_ERR_NODE_KEY_FILE_IO;
    }
    struct stat st;
    tkms_err err = TKMS_OK;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        err = TKMS_ERR_NODE_KEY_FILE_IO;
    } else if ((st.st_mode & 077) != 0) {
        err = TKMS_ERR_NODE_KEY_FILE_PERMISSIONS; /* never repaired silently */
    } else if ((uint64_t)st.st_size >= max) {
        err = TKMS_ERR_NODE_KEY_FILE;
    } else {
        ssize_t n = read(fd, buf, max - 1);
        if (n < 0 || (uint64_t)n != (uint64_t)st.st_size) {
            err = TKMS_ERR_NODE_KEY_FILE_IO;
        } else {
            *len = (size_t)n;
            buf[n] = '\0';
        }
    }
    close(fd);
    return err;
}

tkms_err node_keys_load(node_keys *out, const char *path) {
    TKMS_ASSERT(out != NULL && path != NULL);
    memset(out, 0, sizeof *out);
    char buf[KEY_FILE_BYTES_MAX];
    size_t len = 0;
    tkms_err err = read_private(buf, sizeof buf, &len, path);
    json_t *root = NULL;
    if (err == TKMS_OK) {
        root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, NULL);
        json_t *version = json_object_get(root, "version");
        bool shape = json_is_object(root) && json_object_size(root) == 4 &&
                     json_is_integer(version) && json_integer_value(version) == KEY_FILE_VERSION;
        err = shape ? TKMS_OK : TKMS_ERR_NODE_KEY_FILE;
    }
    uint8_t sk[32];
    if (err == TKMS_OK) {
        err = hex32(sk, root, "chain_key");
    }
    if (err == TKMS_OK) {
        err = hex32(out->ed25519_seed, root, "ed25519_seed");
    }
    if (err == TKMS_OK) {
        err = hex32(out->drbg_seed, root, "drbg_seed");
    }
    if (err == TKMS_OK && tkms_chain_key_from_bytes(&out->chain, sk) != TKMS_OK) {
        err = TKMS_ERR_NODE_KEY_FILE;
    }
    tkms_wipe(sk, sizeof sk);
    tkms_wipe(buf, sizeof buf);
    json_decref(root); /* jansson does not wipe: the strings were secret (see docs/node.md) */
    if (err != TKMS_OK) {
        node_keys_wipe(out);
    }
    return err;
}

static bool fsync_dir(const char *path) {
    char copy[NODE_PATH_BYTES_MAX];
    snprintf(copy, sizeof copy, "%s", path);
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return false;
    }
    bool ok = fsync(fd) == 0;
    close(fd);
    return ok;
}

tkms_err node_keys_save(const char *path, const node_keys *k) {
    TKMS_ASSERT(path != NULL && k != NULL);
    char chain[67], ed[67], drbg[67], text[320];
    tkms_chain_hex_encode(chain, k->chain.sk, 32);
    tkms_chain_hex_encode(ed, k->ed25519_seed, 32);
    tkms_chain_hex_encode(drbg, k->drbg_seed, 32);
    int n = snprintf(text, sizeof text,
                     "{\"version\":%d,\"chain_key\":\"%s\",\"ed25519_seed\":\"%s\","
                     "\"drbg_seed\":\"%s\"}\n",
                     KEY_FILE_VERSION, chain, ed, drbg);
    tkms_wipe(chain, sizeof chain);
    tkms_wipe(ed, sizeof ed);
    tkms_wipe(drbg, sizeof drbg);
    TKMS_ASSERT(n > 0 && (size_t)n < sizeof text);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        tkms_wipe(text, sizeof text);
        return errno == EEXIST ? TKMS_ERR_NODE_KEY_FILE_EXISTS : TKMS_ERR_NODE_KEY_FILE_IO;
    }
    bool ok = fchmod(fd, 0600) == 0 && write(fd, text, (size_t)n) == n && fsync(fd) == 0;
    tkms_wipe(text, sizeof text);
    ok = close(fd) == 0 && ok;
    if (!ok || !fsync_dir(path)) {
        unlink(path);
        return TKMS_ERR_NODE_KEY_FILE_IO;
    }
    return TKMS_OK;
}

void node_keys_public_get(node_keys_public *out, const node_keys *k) {
    TKMS_ASSERT(out != NULL && k != NULL);
    out->address = k->chain.address;
    tkms_prim_ed25519_public(out->ed25519, k->ed25519_seed);
    /* the first X25519 key is what tkms_proto_init derives from the DRBG seed */
    tkms_proto_state *s = malloc(sizeof *s);
    TKMS_ASSERT(s != NULL);
    tkms_proto_config cfg = {.interval = 2, .commit_offset = 0, .reveal_offset = 1,
                             .confirm_offset = 1};
    tkms_proto_init(s, &cfg, k->ed25519_seed, k->drbg_seed);
    memcpy(out->x25519, s->keys[0].pub, 32);
    TKMS_ASSERT(s->keys[0].published_for == 0);
    tkms_proto_state_wipe(s);
    free(s);
}

void node_keys_wipe(node_keys *k) {
    tkms_chain_key_wipe(&k->chain);
    tkms_wipe(k->ed25519_seed, sizeof k->ed25519_seed);
    tkms_wipe(k->drbg_seed, sizeof k->drbg_seed);
}

/* ---- tkmsd keygen ------------------------------------------------------------------------ */

static const char keygen_usage[] =
    "usage: tkmsd keygen --out FILE [--chain-key FILE]\n"
    "       tkmsd pubkeys --key-file FILE\n"
    "keygen creates FILE (mode 0600, must not exist) with a fresh Ed25519 seed, a fresh DRBG\n"
    "seed and the operator's secp256k1 chain key: imported from --chain-key FILE when that\n"
    "file exists (as written by `tkms operator keygen`), else fresh (and also written to\n"
    "--chain-key FILE when given). Prints one JSON object with the public values to\n"
    "register (`tkms operator register --ed25519-pub … --x25519-pub …`). pubkeys prints\n"
    "them again. Secrets are never printed.\n";

static void print_public(const node_keys *k, const char *path) {
    node_keys_public p;
    node_keys_public_get(&p, k);
    char address[TKMS_CHAIN_ADDRESS_HEX_BYTES], ed[67], x[67];
    tkms_chain_address_format(address, &p.address);
    tkms_chain_hex_encode(ed, p.ed25519, 32);
    tkms_chain_hex_encode(x, p.x25519, 32);
    printf("{\"address\":\"%s\",\"ed25519_pub\":\"%s\",\"x25519_pub\":\"%s\","
           "\"key_file\":\"%s\"}\n",
           address, ed, x, path);
    fflush(stdout);
}

static tkms_err keygen_chain_key(tkms_chain_key *out, const char *chain_path) {
    if (chain_path != NULL && access(chain_path, F_OK) == 0) {
        return tkms_chain_key_load(out, chain_path);
    }
    tkms_err err = tkms_chain_key_generate(out);
    if (err == TKMS_OK && chain_path != NULL) {
        err = tkms_chain_key_save(chain_path, out);
    }
    return err;
}

static int keygen_run(const char *out_path, const char *chain_path) {
    node_keys k;
    memset(&k, 0, sizeof k);
    tkms_err err = keygen_chain_key(&k.chain, chain_path);
    if (err != TKMS_OK) {
        fprintf(stderr, "tkmsd keygen: --chain-key %s: %s\n", chain_path ? chain_path : "(new)",
                tkms_err_name(err));
        return 2;
    }
    tkms_rng_fill(tkms_rng_os(), k.ed25519_seed, 32);
    tkms_rng_fill(tkms_rng_os(), k.drbg_seed, 32);
    err = node_keys_save(out_path, &k);
    if (err != TKMS_OK) {
        node_keys_wipe(&k);
        fprintf(stderr, "tkmsd keygen: --out %s: %s\n", out_path,
                err == TKMS_ERR_NODE_KEY_FILE_EXISTS ? "already exists" : tkms_err_name(err));
        return 2;
    }
    print_public(&k, out_path);
    node_keys_wipe(&k);
    return 0;
}

static int pubkeys_run(const char *path) {
    node_keys k;
    tkms_err err = node_keys_load(&k, path);
    if (err != TKMS_OK) {
        fprintf(stderr, "tkmsd pubkeys: --key-file %s: %s\n", path, tkms_err_name(err));
        return 2;
    }
    print_public(&k, path);
    node_keys_wipe(&k);
    return 0;
}

int node_keygen_main(int argc, char **argv) {
    TKMS_ASSERT(argc >= 1);
    const char *out = NULL, *chain = NULL, *key_file = NULL;
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(keygen_usage, stdout);
            return 0;
        } else if (v != NULL && strcmp(argv[i], "--out") == 0) {
            out = argv[++i];
        } else if (v != NULL && strcmp(argv[i], "--chain-key") == 0) {
            chain = argv[++i];
        } else if (v != NULL && strcmp(argv[i], "--key-file") == 0) {
            key_file = argv[++i];
        } else {
            fprintf(stderr, "tkmsd %s: unknown or incomplete option %s\n", argv[0], argv[i]);
            return 1;
        }
    }
    if (strcmp(argv[0], "pubkeys") == 0) {
        if (key_file == NULL) {
            fprintf(stderr, "tkmsd pubkeys: --key-file is required\n");
            return 1;
        }
        return pubkeys_run(key_file);
    }
    if (out == NULL) {
        fprintf(stderr, "tkmsd keygen: --out is required\n");
        return 1;
    }
    return keygen_run(out, chain);
}
