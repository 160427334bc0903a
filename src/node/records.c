/*
 * records.c — the bounded pool of dealing records (node.h): peer handlers insert records
 * whose envelope and record signature verified, the node loop and the fetch endpoint read
 * them by record hash.
 *
 * Bounds (style R11): NODE_RECORDS_MAX entries, each at most TKMS_PROTO_RECORD_BYTES_MAX
 * bytes (about 2.9 MB in all), and at most NODE_RECORDS_PER_DEALER records per (epoch,
 * dealer): a dealer pushing many different records of its own (each validly signed, since
 * the handler checks the dealer's signature) only displaces its own older ones, never
 * another dealer's. When the pool is full, a record of a newer epoch displaces one of
 * the oldest epoch; a record no newer than everything held is refused (false). The dealer
 * is read from the record header at its fixed offset (docs/wire-formats.md §2.1).
 * Not here: any validation (the handler verifies, the node loop validates against the
 * chain) or persistence (records are public and re-fetchable).
 */
#include <stdlib.h>
#include <string.h>

#include "common/tkms_assert.h"
#include "node/node.h"

#define NODE_RECORDS_PER_DEALER 2
#define RECORD_DEALER_OFFSET 9 /* u8 version ‖ be64 epoch ‖ dealer (20) */

_Static_assert(NODE_RECORDS_MAX >= TKMS_PROTO_OPERATORS_MAX * NODE_RECORDS_PER_DEALER,
               "one epoch of records from every dealer fits");
_Static_assert(TKMS_PROTO_RECORD_BYTES_MIN > RECORD_DEALER_OFFSET + 20, "dealer in header");

typedef struct {
    bool used;
    uint64_t epoch;
    uint64_t seq; /* insertion order */
    uint8_t hash[32];
    uint8_t dealer[20];
    uint8_t *bytes;
    size_t len;
} record_entry;

struct node_records {
    pthread_mutex_t lock;
    uint64_t seq;
    record_entry e[NODE_RECORDS_MAX];
};

node_records *node_records_new(void) {
    node_records *r = calloc(1, sizeof *r);
    if (r != NULL) {
        pthread_mutex_init(&r->lock, NULL);
    }
    return r;
}

static void entry_clear(record_entry *e) {
    free(e->bytes);
    memset(e, 0, sizeof *e);
}

void node_records_free(node_records *r) {
    if (r == NULL) {
        return;
    }
    for (size_t i = 0; i < NODE_RECORDS_MAX; i++) {
        entry_clear(&r->e[i]);
    }
    pthread_mutex_destroy(&r->lock);
    free(r);
}

static record_entry *find_hash(node_records *r, const uint8_t hash[32]) {
    for (size_t i = 0; i < NODE_RECORDS_MAX; i++) {
        if (r->e[i].used && memcmp(r->e[i].hash, hash, 32) == 0) {
            return &r->e[i];
        }
    }
    return NULL;
}

/* The slot a new record of (epoch, dealer) goes to, or NULL (refused). */
static record_entry *slot_choose(node_records *r, uint64_t epoch, const uint8_t dealer[20]) {
    record_entry *own_oldest = NULL, *free_slot = NULL, *victim = NULL;
    size_t own = 0;
    for (size_t i = 0; i < NODE_RECORDS_MAX; i++) {
        record_entry *e = &r->e[i];
        if (!e->used) {
            free_slot = free_slot != NULL ? free_slot : e;
            continue;
        }
        if (e->epoch == epoch && memcmp(e->dealer, dealer, 20) == 0) {
            own++;
            own_oldest = own_oldest == NULL || e->seq < own_oldest->seq ? e : own_oldest;
        }
        if (victim == NULL || e->epoch < victim->epoch ||
            (e->epoch == victim->epoch && e->seq < victim->seq)) {
            victim = e;
        }
    }
    if (own >= NODE_RECORDS_PER_DEALER) {
        return own_oldest;
    }
    if (free_slot != NULL) {
        return free_slot;
    }
    TKMS_ASSERT(victim != NULL);
    return victim->epoch < epoch ? victim : NULL;
}

bool node_records_put(node_records *r, uint64_t epoch, const uint8_t hash[32], const uint8_t *bytes,
                      size_t len) {
    TKMS_ASSERT(r != NULL);
    TKMS_ASSERT(hash != NULL);
    if (bytes == NULL || len < TKMS_PROTO_RECORD_BYTES_MIN || len > TKMS_PROTO_RECORD_BYTES_MAX) {
        return false;
    }
    uint8_t *copy = malloc(len); /* outside the lock */
    if (copy == NULL) {
        return false;
    }
    memcpy(copy, bytes, len);
    const uint8_t *dealer = bytes + RECORD_DEALER_OFFSET;
    pthread_mutex_lock(&r->lock);
    bool ok = find_hash(r, hash) != NULL; /* already held: nothing to do */
    if (!ok) {
        record_entry *slot = slot_choose(r, epoch, dealer);
        if (slot != NULL) {
            entry_clear(slot);
            *slot = (record_entry){true, epoch, ++r->seq, {0}, {0}, copy, len};
            memcpy(slot->hash, hash, 32);
            memcpy(slot->dealer, dealer, 20);
            copy = NULL;
            ok = true;
        }
    }
    pthread_mutex_unlock(&r->lock);
    free(copy);
    return ok;
}

size_t node_records_get(node_records *r, const uint8_t hash[32], uint8_t *out, size_t max) {
    TKMS_ASSERT(r != NULL);
    TKMS_ASSERT(hash != NULL);
    size_t len = 0;
    pthread_mutex_lock(&r->lock);
    const record_entry *e = find_hash(r, hash);
    if (e != NULL && e->len <= max) {
        memcpy(out, e->bytes, e->len);
        len = e->len;
    }
    pthread_mutex_unlock(&r->lock);
    return len;
}

void node_records_evict_before(node_records *r, uint64_t epoch) {
    TKMS_ASSERT(r != NULL);
    pthread_mutex_lock(&r->lock);
    for (size_t i = 0; i < NODE_RECORDS_MAX; i++) {
        if (r->e[i].used && r->e[i].epoch < epoch) {
            entry_clear(&r->e[i]);
        }
    }
    pthread_mutex_unlock(&r->lock);
}
