/*
 * follower.c — follows the canonical chain block by block (chain.md "Block following";
 * protocol I6): reports every block exactly once in order (catching up after downtime in
 * bounded batches, never skipping), detects reorgs by hash (the tip is re-read by number
 * and every new block must name the tip as parent), reports removed blocks newest first,
 * and reports a block FINAL once it is `confirmations` deep. A reorg that would remove a
 * block already reported final, or reach below the kept window of hashes, halts the
 * follower for good: the caller must stop acting, never diverge silently.
 *
 * It knows nothing of the protocol: the node decides what a trigger or a cutoff is.
 * The window of headers is allocated once in _new; polling allocates nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/internal.h"
#include "common/tkms_assert.h"

struct tkms_chain_follower {
    tkms_chain_follower_options options;
    tkms_chain_header *ring; /* window: oldest at first, count entries */
    size_t first;
    size_t count;
    bool started;
    bool has_final;
    uint64_t final_number; /* highest block reported final (or implied by the start) */
    tkms_err halted;
    char halt_reason[TKMS_CHAIN_ERROR_BYTES];
};

TKMS_EXPORT void tkms_chain_follower_options_default(tkms_chain_follower_options *out) {
    TKMS_ASSERT(out != NULL);
    memset(out, 0, sizeof *out);
    out->confirmations = 2;
    out->window_blocks = 256;
    out->batch_blocks = 128;
}

TKMS_EXPORT tkms_err tkms_chain_follower_new(tkms_chain_follower **out,
                                             const tkms_chain_follower_options *o) {
    TKMS_ASSERT(out != NULL && o != NULL);
    *out = NULL;
    if (o->window_blocks <= o->confirmations || o->window_blocks > TKMS_CHAIN_FOLLOWER_WINDOW_MAX ||
        o->batch_blocks == 0 || o->batch_blocks > TKMS_CHAIN_FOLLOWER_BATCH_MAX) {
        return TKMS_ERR_INVALID_ARGUMENT;
    }
    tkms_chain_follower *f = calloc(1, sizeof *f);
    tkms_chain_header *ring = calloc(o->window_blocks, sizeof *ring);
    if (f == NULL || ring == NULL) {
        free(f);
        free(ring);
        return TKMS_ERR_OUT_OF_MEMORY;
    }
    f->options = *o;
    f->ring = ring;
    *out = f;
    return TKMS_OK;
}

TKMS_EXPORT void tkms_chain_follower_free(tkms_chain_follower *f) {
    if (f == NULL) {
        return;
    }
    free(f->ring);
    free(f);
}

static tkms_chain_header *ring_at(const tkms_chain_follower *f, size_t i) {
    TKMS_ASSERT(i < f->count);
    return &f->ring[(f->first + i) % f->options.window_blocks];
}

static tkms_chain_header *ring_tip(const tkms_chain_follower *f) {
    return ring_at(f, f->count - 1);
}

/* Appends h; the oldest entry leaves a full window, and it is always final by then. */
static void ring_push(tkms_chain_follower *f, const tkms_chain_header *h) {
    if (f->count == f->options.window_blocks) {
        TKMS_ASSERT(f->has_final && ring_at(f, 0)->number <= f->final_number);
        f->first = (f->first + 1) % f->options.window_blocks;
        f->count--;
    }
    f->count++;
    *ring_tip(f) = *h;
}

TKMS_EXPORT bool tkms_chain_follower_tip(const tkms_chain_follower *f, tkms_chain_header *out) {
    TKMS_ASSERT(f != NULL && out != NULL);
    memset(out, 0, sizeof *out);
    if (f->count == 0) {
        return false;
    }
    *out = *ring_tip(f);
    return true;
}

static void emit(tkms_chain_event *events, size_t *count, tkms_chain_event_kind kind,
                 const tkms_chain_header *h) {
    events[*count].kind = kind;
    events[*count].header = *h;
    (*count)++;
}

static tkms_err head_number(tkms_chain_follower *f, tkms_chain_client *c, uint64_t *out) {
    if (!f->options.follow_safe_head) {
        return tkms_chain_block_number_get(c, out);
    }
    tkms_chain_header safe;
    tkms_err err = tkms_chain_header_get(c, &safe, tkms_chain_block_tag(TKMS_CHAIN_BLOCK_SAFE));
    *out = safe.number;
    return err;
}

/* First poll: the anchor (must still be canonical) or the start block. */
static tkms_err start(tkms_chain_follower *f, tkms_chain_client *c, uint64_t head,
                      tkms_chain_event *events, size_t *count) {
    const tkms_chain_follower_options *o = &f->options;
    uint64_t number = o->has_anchor ? o->anchor.number : o->start_block;
    if (head < number) {
        return TKMS_OK; /* not there yet */
    }
    tkms_chain_header h;
    tkms_err err = tkms_chain_header_get(c, &h, tkms_chain_block_number(number));
    if (err != TKMS_OK) {
        return err;
    }
    if (o->has_anchor && memcmp(h.hash.bytes, o->anchor.hash.bytes, 32) != 0) {
        return chain_fail(c, TKMS_ERR_CHAIN_ANCHOR_NOT_CANONICAL,
                          "follower: anchor block %llu is no longer canonical",
                          (unsigned long long)number);
    }
    ring_push(f, &h);
    f->started = true;
    f->has_final = o->has_anchor || number > 0; /* the anchor was final when it was saved */
    f->final_number = o->has_anchor ? number : number - (number > 0);
    if (!o->has_anchor) {
        emit(events, count, TKMS_CHAIN_EVENT_BLOCK_ADDED, &h);
    }
    return TKMS_OK;
}

/* Re-reads the tip by number: *canonical = its hash is unchanged. */
static tkms_err tip_check(tkms_chain_follower *f, tkms_chain_client *c, bool *canonical) {
    tkms_chain_header h;
    const tkms_chain_header *tip = ring_tip(f);
    tkms_err err = tkms_chain_header_get(c, &h, tkms_chain_block_number(tip->number));
    if (err == TKMS_ERR_CHAIN_BLOCK_NOT_FOUND) { /* the chain got shorter */
        *canonical = false;
        return TKMS_OK;
    }
    *canonical = err == TKMS_OK && memcmp(h.hash.bytes, tip->hash.bytes, 32) == 0;
    return err;
}

static tkms_err tip_remove(tkms_chain_follower *f, tkms_chain_client *c, tkms_chain_event *events,
                           size_t *count) {
    tkms_chain_header tip = *ring_tip(f);
    if (f->has_final && tip.number <= f->final_number) {
        return chain_fail(c, TKMS_ERR_CHAIN_REORG_BEYOND_FINAL,
                          "follower: reorg removes block %llu, already %u deep when reported",
                          (unsigned long long)tip.number, f->options.confirmations);
    }
    if (f->count == 1) {
        return chain_fail(c, TKMS_ERR_CHAIN_REORG_TOO_DEEP,
                          "follower: reorg deeper than the %u-block window",
                          f->options.window_blocks);
    }
    f->count--;
    emit(events, count, TKMS_CHAIN_EVENT_BLOCK_REMOVED, &tip);
    return TKMS_OK;
}

/* Adds tip+1 if it links to the tip; *linked = false when it names another parent. */
static tkms_err tip_extend(tkms_chain_follower *f, tkms_chain_client *c, tkms_chain_event *events,
                           size_t *count, bool *linked) {
    tkms_chain_header h;
    tkms_err err = tkms_chain_header_get(c, &h, tkms_chain_block_number(ring_tip(f)->number + 1));
    if (err != TKMS_OK) {
        return err;
    }
    *linked = memcmp(h.parent_hash.bytes, ring_tip(f)->hash.bytes, 32) == 0;
    if (!*linked) {
        return TKMS_OK;
    }
    ring_push(f, &h);
    emit(events, count, TKMS_CHAIN_EVENT_BLOCK_ADDED, &h);
    uint64_t confirmations = f->options.confirmations;
    if (h.number >= confirmations &&
        (!f->has_final || f->final_number < h.number - confirmations)) {
        uint64_t number = f->has_final ? f->final_number + 1 : 0;
        TKMS_ASSERT(number == h.number - confirmations); /* one new final block per block */
        TKMS_ASSERT(ring_at(f, 0)->number <= number);
        emit(events, count, TKMS_CHAIN_EVENT_BLOCK_FINAL,
             ring_at(f, (size_t)(number - ring_at(f, 0)->number)));
        f->has_final = true;
        f->final_number = number;
    }
    return TKMS_OK;
}

static bool is_halting(tkms_err err) {
    return err == TKMS_ERR_CHAIN_REORG_BEYOND_FINAL || err == TKMS_ERR_CHAIN_REORG_TOO_DEEP;
}

/* The poll loop; returns the first error (events before it stay valid). */
static tkms_err follow(tkms_chain_follower *f, tkms_chain_client *c, tkms_chain_event *events,
                       size_t capacity, size_t *count, bool *more) {
    uint64_t head = 0;
    tkms_err err = head_number(f, c, &head);
    if (err == TKMS_OK && !f->started) {
        err = start(f, c, head, events, count);
    }
    bool verify = true;
    size_t added = 0;
    size_t steps_max = f->options.batch_blocks + f->options.window_blocks + 2;
    for (size_t step = 0; err == TKMS_OK && f->started; step++) {
        if (*count + 2 > capacity || added == f->options.batch_blocks || step == steps_max) {
            *more = true; /* the caller polls again at once */
            break;
        }
        bool ok = true;
        if (verify && (err = tip_check(f, c, &ok)) == TKMS_OK && !ok) {
            err = tip_remove(f, c, events, count);
            continue;
        }
        verify = false;
        if (err != TKMS_OK || ring_tip(f)->number >= head) {
            break;
        }
        err = tip_extend(f, c, events, count, &ok);
        if (err == TKMS_ERR_CHAIN_BLOCK_NOT_FOUND) {
            err = TKMS_OK; /* the head moved back meanwhile: look again next poll */
            break;
        }
        added += ok;
        verify = !ok;
    }
    return err;
}

TKMS_EXPORT tkms_err tkms_chain_follower_poll(tkms_chain_follower *f, tkms_chain_client *c,
                                              tkms_chain_event *events, size_t capacity,
                                              size_t *count, bool *more) {
    TKMS_ASSERT(f != NULL && c != NULL && events != NULL);
    TKMS_ASSERT(count != NULL && more != NULL && capacity >= 2);
    *count = 0;
    *more = false;
    if (f->halted != TKMS_OK) {
        return chain_fail(c, f->halted, "%s (halted)", f->halt_reason);
    }
    tkms_err err = follow(f, c, events, capacity, count, more);
    if (err != TKMS_OK && is_halting(err)) {
        f->halted = err;
        snprintf(f->halt_reason, sizeof f->halt_reason, "%s", tkms_chain_client_error(c));
    }
    if (err != TKMS_OK && *count > 0) {
        *more = true; /* deliver what happened; the error comes back on the next poll */
        return TKMS_OK;
    }
    return err;
}
