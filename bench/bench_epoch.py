#!/usr/bin/env python3
"""bench_epoch.py — DKG and reshare wall time after the trigger (issue 7 item 6), measured
from the chain and from the nodes' logs on a real devnet (anvil with 1 s blocks).

For each n it runs `tkms devnet up --nodes n` (anvil, contracts, n tkmsd, startGenesis,
genesis DKG, demo app), lets `--reshares` more epochs finalize, takes the devnet down and
reports, per epoch:
  - from the chain (EpochLog events): the trigger block B = epoch·interval, the blocks in
    which each phase's transactions landed (commitDealing, revealDealing, ack, openShares,
    confirm) relative to B, the finalization block, and its lag behind the schedule's
    earliest possible finalization B + open + confirmations + 1 (a phase transaction can
    only be sent once the previous boundary is final, and lands in the next block);
  - in seconds: arrival of the finalization block minus arrival of B (block arrivals are
    recorded by polling eth_blockNumber every 50 ms);
  - per node, from its JSON log: the time from the arrival of the block that makes a
    phase boundary final to that node's `tx_sent` for the phase (the node's own work:
    polling, pinned view, state machine, persistence, signing) — median and max over the
    nodes; and how many phase transactions were re-sent or failed (retries);
  - tkmsd and anvil CPU seconds over the measured epochs.
"Decided at the cutoff" means lag 0: every phase lands in the first block it can.

usage: bench/bench_epoch.py [--nodes 5,10,20] [--reshares 2] [--interval 30] [--build DIR]
                            [--tkms PATH] [--tkmsd PATH] [--contracts-dir DIR] [--dir DIR]
                            [--json FILE] [--quick]
--quick: one devnet of 4 nodes with the shortest interval (17), genesis only (a smoke run
of the script, about a minute). Needs a built tkms, tkmsd and the contracts (cmake --build
BUILD --target tkms tkmsd contracts). `tkms devnet up` accepts at most 16 nodes
(DEVNET_NODES_MAX in src/cli/devnet.h): n = 20 needs a tkms built with a larger bound
(--tkms PATH, and --contracts-dir BUILD/contracts when that tkms is built elsewhere).
"""
import argparse
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import devnet_bench as db  # noqa: E402

PHASES = [  # (tx name in the node log, event, boundary offset key after which it is sent)
    ("commitDealing", "DealingCommitted", None),
    ("revealDealing", "DealingRevealed", "commit-offset"),
    ("ack", "Acked", "reveal-offset"),
    ("openShares", "SharesOpened", "ack-offset"),
    ("confirm", "Confirmed", "open-offset"),
]
NO_SOURCE = (1 << 64) - 1


def wait_finalized(dn, topics, count, params):
    """Until `count` epochs finalized and every confirm of the last one could land."""
    interval, c = params["interval"], params["confirmations"]
    per_epoch_s = interval * dn.block_time_s
    deadline = time.time() + (count + 2) * per_epoch_s + 120
    final = []
    while time.time() < deadline:
        head = dn.rpc.block_number()
        final = [lg for lg in dn.rpc.logs(dn.deployment()["epoch_log"], 0, head)
                 if topics.get(lg["topics"][0]) == "EpochFinalized"]
        if len(final) >= count:
            last_epoch = int(final[count - 1]["topics"][1], 16)
            done_block = last_epoch * interval + params["confirm-offset"] + c + 1
            if head >= done_block:
                return True
        alive = [db.pid_alive(n["pid"]) for n in dn.state["nodes"]]
        if not all(alive):
            raise RuntimeError(f"a tkmsd exited (alive: {alive}); logs in {dn.dir}")
        time.sleep(1.0)
    db.log(f"timeout: {len(final)} of {count} epochs finalized")
    return False


def snapshot_info(data_hex):
    """(operators, threshold, source) from EpochSnapshotted's data."""
    words = [int(data_hex[2 + 64 * i:2 + 64 * (i + 1)], 16) for i in range(4)]
    offset = words[0] // 32
    count = int(data_hex[2 + 64 * offset:2 + 64 * (offset + 1)], 16)
    return count, words[1], words[3]


def chain_epochs(dn, topics, params):
    """Per epoch: its events' blocks by event name, and the snapshot facts."""
    head = dn.rpc.block_number()
    epochs = {}
    for lg in dn.rpc.logs(dn.deployment()["epoch_log"], 0, head):
        name = topics.get(lg["topics"][0])
        if name is None:
            continue
        e = epochs.setdefault(int(lg["topics"][1], 16), {"events": {}})
        e["events"].setdefault(name, []).append(int(lg["blockNumber"], 16))
        if name == "EpochSnapshotted":
            e["n"], e["t"], source = snapshot_info(lg["data"])
            e["kind"] = "DKG" if source == NO_SOURCE else f"reshare of v{source}"
    return epochs


def node_delays(dn, epoch, params):
    """Per phase: each node's delay (s) from the boundary becoming final to its tx_sent,
    and the count of sends beyond the first plus failures (retries)."""
    c, b = params["confirmations"], epoch * params["interval"]
    delays, retries = {p[0]: [] for p in PHASES}, 0
    for i in range(dn.nodes):
        sent = {}
        for ev in dn.node_log(i):
            if ev.get("epoch") != epoch:
                continue
            what = ev.get("msg", "").split(" ")[0]
            if ev.get("event") == "tx_sent" and what in delays:
                sent.setdefault(what, []).append(db.log_time(ev))
            elif ev.get("event") in ("tx_failed", "tx_reverted", "tx_not_mined"):
                retries += 1
        for what, offset_key, in ((p[0], p[2]) for p in PHASES):
            if what not in sent:
                continue
            retries += len(sent[what]) - 1
            boundary = b + (params[offset_key] if offset_key else 0) + c
            arrival = dn.clock.arrival(boundary)
            if arrival is not None:
                delays[what].append(sent[what][0] - arrival)
    return delays, retries


def epoch_rows(dn, topics, params):
    rows = []
    c, interval = params["confirmations"], params["interval"]
    for epoch, e in sorted(chain_epochs(dn, topics, params).items()):
        if "n" not in e:
            continue
        b = epoch * interval
        row = {"epoch": epoch, "kind": e["kind"], "n": e["n"], "t": e["t"], "trigger": b}
        for what, event, _ in PHASES:
            blocks = e["events"].get(event, [])
            row[what] = [min(blocks) - b, max(blocks) - b, len(blocks)] if blocks else None
        fin = e["events"].get("EpochFinalized")
        earliest = b + params["open-offset"] + c + 1
        row["finalized"] = fin[0] - b if fin else None
        row["lag_blocks"] = fin[0] - earliest if fin else None
        t_b, t_f = dn.clock.arrival(b), dn.clock.arrival(fin[0]) if fin else None
        row["trigger_to_final_s"] = round(t_f - t_b, 2) if t_b and t_f else None
        row["schedule_s"] = (params["open-offset"] + c + 1) * dn.block_time_s
        delays, row["retries"] = node_delays(dn, epoch, params)
        row["node_delay_ms"] = {
            k: [round(1000 * statistics.median(v)), round(1000 * max(v)), len(v)]
            for k, v in delays.items() if v}
        rows.append(row)
    return rows


def cpu_snapshot(dn):
    pids = [n["pid"] for n in dn.state["nodes"]]
    nodes = [db.cpu_seconds(p) or 0.0 for p in pids]
    return sum(nodes), db.cpu_seconds(dn.state["anvil"]["pid"]) or 0.0


def run_one(args, n, interval, reshares):
    directory = os.path.join(args.dir, f"n{n}")
    with db.Devnet(args.tkms, args.tkmsd, directory, n, interval, 1, args.wait_s,
                   args.contracts_dir) as dn:
        params = dn.deployment()["params"]
        topics = {dn.rpc.keccak_text(sig): name for name, sig in db.EPOCH_LOG_EVENTS.items()}
        cpu0, load0, t0 = cpu_snapshot(dn), db.load_average(), time.time()
        complete = wait_finalized(dn, topics, 1 + reshares, params)
        cpu1, load1, t1 = cpu_snapshot(dn), db.load_average(), time.time()
        rows = epoch_rows(dn, topics, params)
    return {"n": n, "interval": interval, "params": params, "complete": complete,
            "epochs": rows, "load_average": [load0, load1],
            "cpu_s": {"tkmsd_total": round(cpu1[0] - cpu0[0], 2),
                      "anvil": round(cpu1[1] - cpu0[1], 2), "wall_s": round(t1 - t0, 1),
                      "tkmsd_since_start": round(cpu1[0], 2),
                      "anvil_since_start": round(cpu1[1], 2)}}


def cell(r):
    if r is None:
        return "—"
    lo, hi, count = r
    return f"+{lo} ({count})" if lo == hi else f"+{lo}…+{hi} ({count})"


def print_tables(results):
    print("| n | epoch | kind | t' | commit | reveal | ack | open | confirm | final | lag "
          "| trigger→final s (schedule) | retries | load avg |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for res in results:
        for r in res["epochs"]:
            fin = "—" if r["finalized"] is None else f"+{r['finalized']}"
            lag = "—" if r["lag_blocks"] is None else str(r["lag_blocks"])
            secs = r["trigger_to_final_s"]
            load = "/".join(f"{x[0]:.1f}" for x in res["load_average"])
            print(f"| {res['n']} | {r['epoch']} | {r['kind']} | {r['t']} "
                  f"| {cell(r['commitDealing'])} | {cell(r['revealDealing'])} "
                  f"| {cell(r['ack'])} | {cell(r['openShares'])} "
                  f"| {cell(r['confirm'])} | {fin} | {lag} | {secs} ({r['schedule_s']}) "
                  f"| {r['retries']} | {load} |")
    print("\nPer node: ms from the block that makes the boundary final to tx_sent "
          "(median / max over nodes)\n")
    print("| n | epoch | commit | reveal | ack | open | confirm |")
    print("|---|---|---|---|---|---|---|")
    for res in results:
        for r in res["epochs"]:
            d = r["node_delay_ms"]
            cells = [f"{d[p][0]} / {d[p][1]}" if p in d else "—" for p, _, _ in PHASES]
            print(f"| {res['n']} | {r['epoch']} | " + " | ".join(cells) + " |")
    print("\nCPU seconds: after `devnet up` returned (the reshares), and since start "
          "(setup, genesis and reshares)\n")
    print("| n | reshares: wall s | tkmsd, all nodes | anvil | since start: tkmsd | anvil |")
    print("|---|---|---|---|---|---|")
    for res in results:
        c = res["cpu_s"]
        print(f"| {res['n']} | {c['wall_s']} | {c['tkmsd_total']} | {c['anvil']} "
              f"| {c['tkmsd_since_start']} | {c['anvil_since_start']} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nodes", default="5,10,20")
    ap.add_argument("--reshares", type=int, default=2)
    ap.add_argument("--interval", type=int, default=30)
    ap.add_argument("--build", default="build")
    ap.add_argument("--tkms")
    ap.add_argument("--tkmsd")
    ap.add_argument("--contracts-dir", help="default: beside tkms in its build tree")
    ap.add_argument("--dir", default="/tmp/tkms-bench-epoch")
    ap.add_argument("--wait-s", type=int, default=600)
    ap.add_argument("--json")
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    tkms, tkmsd, _ = db.default_binaries(args.build)
    args.tkms, args.tkmsd = args.tkms or tkms, args.tkmsd or tkmsd
    nodes = [4] if args.quick else [int(x) for x in args.nodes.split(",")]
    interval = 17 if args.quick else args.interval
    reshares = 0 if args.quick else args.reshares
    results = []
    for n in nodes:
        db.log(f"n = {n}: devnet up (interval {interval}, 1 s blocks), {reshares} reshare(s)")
        results.append(run_one(args, n, interval, reshares))
        if args.json:
            with open(args.json, "w") as f:
                json.dump(results, f, indent=1)
    print_tables(results)
    ok = all(r["complete"] for r in results)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
