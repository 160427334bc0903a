/*
 * trace.c — `tkms-sim --trace FILE`: the chain model's transactions as JSON lines, for
 * tests/sim/chain_diff.mjs, which replays them against contracts/KmsRegistry.sol and
 * EpochLog.sol on anvil at the same block numbers and compares every accept/revert
 * (differential test of chain.c, protocol.md §7). One line per applied transaction:
 *   {"b":block,"k":kind,"from":"0x…"|"owner",...args...,"r":"REVERT_NAME"|"OK"}
 * and {"reorg":height} when blocks above height are dropped. What it does not do: record
 * anything off chain. The first line carries the parameters.
 */
#include <string.h>

#include "sim.h"

static void hex(FILE *f, const uint8_t *p, size_t n) {
    fputs("\"0x", f);
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "%02x", p[i]);
    }
    fputc('"', f);
}

static void field_hex(FILE *f, const char *name, const uint8_t *p, size_t n) {
    fprintf(f, ",\"%s\":", name);
    hex(f, p, n);
}

void sim_trace_header(sim_chain *c) {
    const sim_params *p = &c->p;
    fprintf(c->trace,
            "{\"params\":{\"interval\":%llu,\"commit\":%llu,\"reveal\":%llu,\"ack\":%llu,"
            "\"open\":%llu,\"confirm\":%llu,\"confirmations\":%llu,\"minOperators\":%u,"
            "\"k\":%u},\"chainId\":%llu",
            (unsigned long long)p->interval, (unsigned long long)p->commit,
            (unsigned long long)p->reveal, (unsigned long long)p->ack, (unsigned long long)p->open,
            (unsigned long long)p->confirm, (unsigned long long)p->confirmations, p->min_operators,
            p->patience, (unsigned long long)c->chain_id);
    field_hex(c->trace, "epochLog", c->epoch_log, 20);
    fputs("}\n", c->trace);
}

static void trace_args(sim_chain *c, const sim_tx *tx) {
    FILE *f = c->trace;
    switch (tx->kind) {
    case SIM_TX_COMMIT:
        field_hex(f, "hash", tx->hash, 32);
        break;
    case SIM_TX_REVEAL:
        field_hex(f, "commitments", &tx->commitments[0][0],
                  (size_t)tx->t * TKMS_PROTO_COMMITMENT_BYTES);
        field_hex(f, "hash", tx->hash, 32);
        break;
    case SIM_TX_ACK:
        fprintf(f, ",\"bitmap\":\"%llu\"", (unsigned long long)tx->bitmap);
        break;
    case SIM_TX_OPEN:
        fputs(",\"players\":[", f);
        for (uint32_t k = 0; k < tx->count; k++) {
            fputs(k ? "," : "", f);
            hex(f, tx->players[k], 20);
        }
        fputs("],\"shares\":[", f);
        for (uint32_t k = 0; k < tx->count; k++) {
            fputs(k ? "," : "", f);
            hex(f, tx->shares[k], 32);
        }
        fputc(']', f);
        break;
    case SIM_TX_CONFIRM:
        field_hex(f, "mpk", tx->mpk, sizeof tx->mpk);
        field_hex(f, "hash", tx->hash, 32);
        fprintf(f, ",\"bitmap\":\"%llu\"", (unsigned long long)tx->bitmap);
        break;
    case SIM_TX_SET_KEY:
        field_hex(f, "key", tx->key, 32);
        break;
    case SIM_TX_REGISTER:
        field_hex(f, "ed", tx->ed, 32);
        field_hex(f, "key", tx->key, 32);
        break;
    case SIM_TX_ALLOW:
    case SIM_TX_EJECT:
        field_hex(f, "target", c->addr[tx->target], 20);
        break;
    default:
        break;
    }
}

void sim_trace_tx(sim_chain *c, const sim_tx *tx, sim_revert r, uint64_t block) {
    FILE *f = c->trace;
    fprintf(f, "{\"b\":%llu,\"k\":\"%s\",\"from\":", (unsigned long long)block,
            sim_tx_kind_name(tx->kind));
    if (tx->from == SIM_OWNER) {
        fputs("\"owner\"", f);
    } else {
        hex(f, c->addr[tx->from], 20);
    }
    if (tx->kind <= SIM_TX_CONFIRM) {
        fprintf(f, ",\"epoch\":\"%llu\"", (unsigned long long)tx->epoch);
    }
    trace_args(c, tx);
    fprintf(f, ",\"r\":\"%s\"}\n", sim_revert_name(r));
}
