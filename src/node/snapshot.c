/*
 * snapshot.c — the immutable snapshots the node loop publishes for the HTTP threads
 * (node.h, style R15): reference counting under one short mutex, and wiping on free
 * (a snapshot holds the shares of the held versions).
 *
 * The holder (node_snapshots) owns one reference to the current snapshot; each
 * acquire adds one. Whoever drops the last reference frees it, so a snapshot replaced
 * while a request still reads it lives until that request releases it. The mutex only
 * guards the pointer and the counts: nothing is computed while it is held. Not here:
 * building snapshots (the node loop) or reading them (the handlers).
 */
#include <stdlib.h>

#include "common/tkms_assert.h"
#include "common/tkms_ct.h"
#include "node/node.h"

node_snapshot *node_snapshot_new(void) {
    node_snapshot *snap = calloc(1, sizeof *snap);
    return snap;
}

void node_snapshot_free(node_snapshot *snap) {
    if (snap == NULL) {
        return;
    }
    tkms_wipe(snap, sizeof *snap);
    free(snap);
}

void node_snapshots_init(node_snapshots *s) {
    TKMS_ASSERT(s != NULL);
    pthread_mutex_init(&s->lock, NULL);
    s->current = NULL;
}

void node_snapshots_publish(node_snapshots *s, node_snapshot *next) {
    TKMS_ASSERT(s != NULL);
    TKMS_ASSERT(next != NULL);
    TKMS_ASSERT(next->version_count <= TKMS_PROTO_VERSIONS_MAX);
    TKMS_ASSERT(next->peer_set_count <= NODE_PEER_SETS_MAX);
    next->refs = 1; /* the holder's reference */
    pthread_mutex_lock(&s->lock);
    node_snapshot *old = s->current;
    TKMS_ASSERT(old != next);
    s->current = next;
    bool free_old = false;
    if (old != NULL) {
        TKMS_ASSERT(old->refs >= 1);
        free_old = --old->refs == 0;
    }
    pthread_mutex_unlock(&s->lock);
    if (free_old) {
        node_snapshot_free(old);
    }
}

const node_snapshot *node_snapshot_acquire(node_snapshots *s) {
    TKMS_ASSERT(s != NULL);
    pthread_mutex_lock(&s->lock);
    node_snapshot *snap = s->current;
    if (snap != NULL) {
        TKMS_ASSERT(snap->refs >= 1);
        snap->refs++;
    }
    pthread_mutex_unlock(&s->lock);
    return snap;
}

void node_snapshot_release(node_snapshots *s, const node_snapshot *snap) {
    TKMS_ASSERT(s != NULL);
    if (snap == NULL) {
        return;
    }
    node_snapshot *mutable_snap = (node_snapshot *)snap; /* refs is the one mutable field */
    pthread_mutex_lock(&s->lock);
    TKMS_ASSERT(mutable_snap->refs >= 1);
    bool last = --mutable_snap->refs == 0;
    TKMS_ASSERT(!last || s->current != mutable_snap); /* the holder keeps the current one */
    pthread_mutex_unlock(&s->lock);
    if (last) {
        node_snapshot_free(mutable_snap);
    }
}

void node_snapshots_destroy(node_snapshots *s) {
    TKMS_ASSERT(s != NULL);
    node_snapshot *snap = s->current;
    s->current = NULL;
    if (snap != NULL) {
        TKMS_ASSERT(snap->refs == 1); /* every reader released before destroy */
        node_snapshot_free(snap);
    }
    pthread_mutex_destroy(&s->lock);
}
