/*
 * driver_txs.c — what became of the node's transactions. The node loop submits without
 * waiting (driver_actions.c); here it looks up the receipts of what it sent at later
 * steps and logs the outcome: mined, reverted (with the contract's error decoded, by
 * replaying the call at the parent block), or not mined after DRIVER_TX_PATIENCE blocks.
 * Purely diagnostic: the protocol never depends on it (the machine reads the chain's
 * progress views and re-sends what did not land), so a failed lookup is only logged.
 * Bounded: DRIVER_TXS_MAX transactions tracked, the oldest dropped first.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/tkms_assert.h"
#include "node/driver_internal.h"
#include "node/log.h"

#define DRIVER_TX_PATIENCE 20 /* blocks */

/* The contracts' errors a node's own transactions can meet (docs/contracts.md §4, §5). */
static const char *const KNOWN_ERRORS[] = {
    "EpochOutOfRange(uint64)", "EpochNotTriggered(uint64,uint64)", "EpochBeforeGenesis(uint64)",
    "EpochBelowMinOperators(uint64,uint256,uint256)", "PhaseNotStarted(uint8,uint64)",
    "PhaseEnded(uint8,uint64)", "NotOperator(uint64,address)", "AlreadyCommitted(uint64,address)",
    "NotCommitted(uint64,address)", "AlreadyRevealed(uint64,address)",
    "CommitmentsLength(uint256,uint256)", "RecordHashMismatch(bytes32,bytes32)",
    "AlreadyAcked(uint64,address)", "AckBitmapInvalid(uint256,uint256)",
    "NotRevealed(uint64,address)", "LengthMismatch(uint256,uint256)", "NoShares()",
    "UnknownPlayer(address)", "ShareAlreadyOpened(address)", "OpeningNotNeeded(address)",
    "ShareNotCanonical(address)", "OpeningCapExceeded(uint256,uint256)",
    "AlreadyConfirmed(uint64,address)", "TooFewDealers(uint256,uint256)", "MpkLength(uint256)",
    "MpkIdentity()", "MpkNotCompressed()", "MpkMismatch()", "DealerSetInvalid(uint256,uint256)",
    "DealerSetTooSmall(uint256,uint256)", "NotRegistered(address)", "ZeroKey()",
    "EpochKeyReused(bytes32)",
};

const char *const *driver_txs_known_errors(size_t *count) {
    *count = sizeof KNOWN_ERRORS / sizeof KNOWN_ERRORS[0];
    return KNOWN_ERRORS;
}

/* "Name(0x…,0x…)" for a known custom error, else the chain layer's description. */
void driver_txs_describe(char *out, size_t max, const uint8_t *data, size_t len) {
    for (size_t k = 0; len >= 4 && k < sizeof KNOWN_ERRORS / sizeof KNOWN_ERRORS[0]; k++) {
        uint8_t sel[4];
        tkms_err err = tkms_chain_abi_selector(sel, KNOWN_ERRORS[k]);
        TKMS_ASSERT(err == TKMS_OK);
        if (memcmp(sel, data, 4) != 0) {
            continue;
        }
        const char *paren = strchr(KNOWN_ERRORS[k], '(');
        size_t n = (size_t)snprintf(out, max, "%.*s(", (int)(paren - KNOWN_ERRORS[k]),
                                    KNOWN_ERRORS[k]);
        for (size_t w = 4; w + 32 <= len && n + 70 < max; w += 32) {
            char hex[67];
            tkms_chain_hex_encode(hex, data + w, 32);
            n += (size_t)snprintf(out + n, max - n, "%s%s", w > 4 ? "," : "", hex);
        }
        snprintf(out + n, max - n, ")");
        return;
    }
    tkms_chain_revert_describe(out, max, NULL, data, len);
}

void driver_txs_track(node_driver *d, const tkms_chain_sent *sent, const tkms_chain_address *to,
                      const uint8_t *data, size_t len, const char *what, uint64_t epoch) {
    driver_tx *slot = &d->txs[0];
    for (size_t k = 0; k < DRIVER_TXS_MAX; k++) {
        if (!d->txs[k].used) {
            slot = &d->txs[k];
            break;
        }
        if (d->txs[k].sent_height < slot->sent_height) {
            slot = &d->txs[k]; /* full: the oldest goes */
        }
    }
    free(slot->data);
    memset(slot, 0, sizeof *slot);
    slot->data = malloc(len);
    if (slot->data == NULL) {
        return;
    }
    memcpy(slot->data, data, len);
    slot->data_len = len;
    slot->used = true;
    slot->hash = sent->hash;
    slot->to = *to;
    slot->epoch = epoch;
    slot->sent_height = d->stepped.number;
    snprintf(slot->what, sizeof slot->what, "%s", what);
}

static void tx_done(driver_tx *t) {
    free(t->data);
    memset(t, 0, sizeof *t);
}

/* Replays a reverted transaction at the parent block to learn the contract's reason. */
static void report_revert(node_driver *d, const driver_tx *t, uint64_t block) {
    tkms_chain_bytes out = {0};
    tkms_chain_call_request req = {.from = &d->key.address, .to = &t->to, .data = t->data,
                                   .data_len = t->data_len};
    tkms_err err = tkms_chain_call(d->chain, &out, &req, tkms_chain_block_number(block - 1));
    tkms_chain_bytes_free(&out);
    char reason[256] = "(the replay at the parent block succeeds: out of gas, or ordering)";
    const uint8_t *rd = NULL;
    size_t rl = 0;
    if (err == TKMS_ERR_CHAIN_REVERTED) {
        tkms_chain_client_revert_data(d->chain, &rd, &rl);
        driver_txs_describe(reason, sizeof reason, rd, rl);
    }
    const char *labels[] = {"tx_reverted"};
    node_metrics_add(d->metrics, NODE_METRIC_CHAIN_RPC_ERRORS, labels, 1);
    node_log(NODE_LOG_WARN, "driver", "tx_reverted", t->epoch, "%s in block %llu: %s", t->what,
             (unsigned long long)block, reason);
}

void driver_txs_check(node_driver *d) {
    for (size_t k = 0; k < DRIVER_TXS_MAX; k++) {
        driver_tx *t = &d->txs[k];
        if (!t->used || d->stepped.number <= t->sent_height) {
            continue;
        }
        tkms_chain_receipt r;
        bool found = false;
        if (tkms_chain_receipt_get(d->chain, &r, &found, &t->hash) != TKMS_OK) {
            return; /* the chain is unavailable: try again at the next step */
        }
        if (found) {
            if (!r.status_ok) {
                report_revert(d, t, r.block_number);
            } else {
                node_log(NODE_LOG_DEBUG, "driver", "tx_mined", t->epoch, "%s in block %llu",
                         t->what, (unsigned long long)r.block_number);
            }
            tkms_chain_receipt_clear(&r);
            tx_done(t);
        } else if (d->stepped.number > t->sent_height + DRIVER_TX_PATIENCE) {
            node_log(NODE_LOG_WARN, "driver", "tx_not_mined", t->epoch,
                     "%s sent at block %llu", t->what, (unsigned long long)t->sent_height);
            tx_done(t);
        }
    }
}

void driver_txs_free(node_driver *d) {
    for (size_t k = 0; k < DRIVER_TXS_MAX; k++) {
        tx_done(&d->txs[k]);
    }
}
