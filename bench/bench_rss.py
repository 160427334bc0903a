#!/usr/bin/env python3
"""bench_rss.py — tkmsd memory at rest and under load, and a real node's /v1/secrets
throughput (issue 7 item 6: RSS <= 32 MB at n = 10).

Runs `tkms devnet up --nodes N` (default 10), then reads /proc/<pid>/status (VmRSS, VmHWM,
RssAnon, RssFile, Threads) of every tkmsd:
  1. idle right after the genesis DKG (and the devnet's demo round trip),
  2. idle after the next reshare finalized,
  3. under load: node 0 is restarted with the per-IP and per-app token buckets opened
     (TKMS_IP_RPS etc. = 1000000: the defaults, 50 and 20 requests/s, would answer 429
     almost at once) and wrk posts valid /v1/secrets requests to it at each of
     --connections for --seconds, every request with its own dev-ecdsa challenge (the
     node's replay cache is on: bodies from `bench_node --bodies`, bench/wrk_bodies.lua);
     VmRSS of every node is sampled every 0.2 s during each run, VmHWM read after it.
The wrk lines are a real node's throughput: the access log, metrics, the chain reader's
cache and the replay cache included. Everything started is stopped at the end.

usage: bench/bench_rss.py [--nodes 10] [--seconds 10] [--connections 1,16,64] [--boost N]
                          [--build DIR] [--tkms PATH] [--tkmsd PATH] [--dir DIR] [--json FILE]
--boost N: node 0's and wrk's autogroups get nice N during the load (approximates a quiet
machine when other sessions are busy; root; see bench/bench_http.sh).
"""
import argparse
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import devnet_bench as db  # noqa: E402

OPEN_LIMITS = {"TKMS_IP_RPS": "1000000", "TKMS_IP_BURST": "1000000",
               "TKMS_APP_RPS": "1000000", "TKMS_APP_BURST": "1000000"}
BODIES_PER_SECOND_MAX = 8000  # twice what this machine serves: no body is sent twice


def sample(pids):
    return [db.read_proc_status(p) or {} for p in pids]


def wait_next_finalization(dn, timeout_s):
    topics = {dn.rpc.keccak_text(db.EPOCH_LOG_EVENTS["EpochFinalized"]): "EpochFinalized"}
    address = dn.deployment()["epoch_log"]

    def count():
        head = dn.rpc.block_number()
        return sum(1 for lg in dn.rpc.logs(address, 0, head) if lg["topics"][0] in topics)

    start, deadline = count(), time.time() + timeout_s
    while time.time() < deadline:
        if count() > start:
            return True
        time.sleep(1.0)
    return False


def http_status(url, timeout_s=2.0):
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as resp:
            return resp.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return 0


def restart_open_limits(dn, index):
    """Stops node `index` and starts it again with the token buckets opened; returns its
    new pid (adopted: stopped at exit)."""
    node = dn.state["nodes"][index]
    if not db.stop_pid(node["pid"]):
        raise RuntimeError(f"node {index} (pid {node['pid']}) did not stop")
    node_dir = os.path.join(dn.dir, f"node-{index}")
    env = dict(os.environ, **OPEN_LIMITS)
    with open(os.path.join(node_dir, "tkmsd.log"), "a") as logf:
        proc = subprocess.Popen([dn.tkmsd, "run", "--config",
                                 os.path.join(node_dir, "config.json")],
                                stdin=subprocess.DEVNULL, stdout=logf, stderr=logf, env=env,
                                start_new_session=True)
    dn.adopt(proc.pid)
    url = f"http://127.0.0.1:{node['port']}/readyz"
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"restarted node {index} exited ({proc.returncode})")
        if http_status(url) == 200:
            return proc.pid
        time.sleep(0.25)
    raise RuntimeError(f"restarted node {index} not ready within 60 s")


class Sampler(threading.Thread):
    """Max VmRSS per pid, sampled every period_s until stopped."""

    def __init__(self, pids, period_s=0.2):
        super().__init__(daemon=True)
        self.pids, self.period_s = pids, period_s
        self.max_rss, self.stop_event = [0] * len(pids), threading.Event()

    def run(self):
        while not self.stop_event.is_set():
            for i, s in enumerate(sample(self.pids)):
                self.max_rss[i] = max(self.max_rss[i], s.get("VmRSS", 0))
            self.stop_event.wait(self.period_s)


def wrk_run(args, dn, port, connections):
    path = os.path.join(dn.dir, f"bodies-c{connections}.txt")
    count = BODIES_PER_SECOND_MAX * args.seconds
    subprocess.run([args.bench_node, "--bodies", str(count), "--app-id", dn.state["app_id"],
                    "--owner-key", os.path.join(dn.dir, "deployer.key"), "--out", path],
                   check=True, timeout=300)
    threads = 1 if connections < 2 else 2
    lua = os.path.join(os.path.dirname(os.path.abspath(__file__)), "wrk_bodies.lua")
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{args.seconds}s", "-s", lua,
           f"http://127.0.0.1:{port}/v1/secrets", "--", path, str(threads)]
    load0 = db.load_average()
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=args.seconds + 60)
    load1 = db.load_average()
    os.unlink(path)
    line = [x for x in out.stdout.splitlines() if x.startswith("requests=")]
    if out.returncode != 0 or not line:
        raise RuntimeError(f"wrk failed: {out.stderr.strip()}")
    result = dict(kv.split("=") for kv in line[0].split())
    return {k: float(v) for k, v in result.items()} | {"load_average": [load0, load1]}


def rss_table(title, pids, rows):
    print(f"\n{title}\n")
    print("| node | VmRSS MB | VmHWM MB | RssAnon MB | RssFile MB | threads |")
    print("|---|---|---|---|---|---|")
    for i, (pid, s) in enumerate(zip(pids, rows)):
        if not s:
            print(f"| {i} | gone | | | | |")
            continue
        print(f"| {i} | {s['VmRSS'] / 1024:.1f} | {s['VmHWM'] / 1024:.1f} | "
              f"{s['RssAnon'] / 1024:.1f} | {s['RssFile'] / 1024:.1f} | {s['Threads']} |")


def autogroup_nice_set(pid, nice):
    with open(f"/proc/{pid}/autogroup", "w") as f:
        f.write(str(nice))


def boost(pids, nice):
    """--boost: the autogroups of node 0 and of this script (wrk) get nice `nice` for the
    load runs (see bench_http.sh: with autogroup scheduling, a session's share of the CPUs
    does not depend on its processes' nice value). Returns [(pid, previous nice)]."""
    if nice is None:
        return []
    previous = []
    for pid in pids:
        with open(f"/proc/{pid}/autogroup") as f:
            previous.append((pid, int(f.read().split("nice")[1])))
        autogroup_nice_set(pid, nice)
    db.log(f"autogroup nice {nice} for pids {pids} during the load")
    return previous


def load_runs(args, dn, pids, port):
    runs = []
    for c in [int(x) for x in args.connections.split(",")]:
        sampler = Sampler(pids)
        sampler.start()
        res = wrk_run(args, dn, port, c)
        sampler.stop_event.set()
        sampler.join()
        res |= {"connections": c, "max_rss_kb": sampler.max_rss, "after": sample(pids)}
        runs.append(res)
        db.log(f"c={c}: {res['ok_rps']:.0f} 2xx/s, p50 {res['p50_ms']} ms, "
               f"p99 {res['p99_ms']} ms, non2xx {res['non2xx']:.0f}, "
               f"node 0 max VmRSS {sampler.max_rss[0] / 1024:.1f} MB")
    return runs


def smaps_table(loaded, idle):
    print("\nLargest resident mappings: node 0 after the load | node 1 (idle)\n")
    print("| node 0 RSS kB | size kB | mapping | node 1 RSS kB | size kB | mapping |")
    print("|---|---|---|---|---|---|")
    for a, b in zip(loaded, idle):
        print(f"| {a[0]} | {a[1]} | {os.path.basename(a[2])} | {b[0]} | {b[1]} "
              f"| {os.path.basename(b[2])} |")


def measure(args):
    report = {"nodes": args.nodes, "seconds": args.seconds}
    with db.Devnet(args.tkms, args.tkmsd, args.dir, args.nodes, 30, 1, 600) as dn:
        pids = [n["pid"] for n in dn.state["nodes"]]
        report["idle_after_genesis"] = sample(pids)
        report["load_after_genesis"] = db.load_average()
        rss_table("Idle after the genesis DKG", pids, report["idle_after_genesis"])
        report["reshare_seen"] = wait_next_finalization(dn, 120)
        report["idle_after_reshare"] = sample(pids)
        rss_table("Idle after the next reshare", pids, report["idle_after_reshare"])
        pids[0] = restart_open_limits(dn, 0)
        report["node0_restarted"] = sample(pids[:1])
        port = dn.state["nodes"][0]["port"]
        boosted = boost([pids[0], os.getpid()], args.boost)
        try:
            report["load"] = load_runs(args, dn, pids, port)
        finally:
            for pid, nice in boosted:
                autogroup_nice_set(pid, nice)
        runs = report["load"]
        rss_table("After the load (node 0 was loaded)", pids, runs[-1]["after"])
        report["smaps_loaded"], report["smaps_idle"] = db.smaps_top(pids[0]), db.smaps_top(pids[1])
        smaps_table(report["smaps_loaded"], report["smaps_idle"])
    return report


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nodes", type=int, default=10)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", default="1,16,64")
    ap.add_argument("--boost", type=int, help="autogroup nice of node 0 and wrk (e.g. -15)")
    ap.add_argument("--build", default="build")
    ap.add_argument("--tkms")
    ap.add_argument("--tkmsd")
    ap.add_argument("--dir", default="/tmp/tkms-bench-rss/devnet")
    ap.add_argument("--json")
    args = ap.parse_args()
    tkms, tkmsd, bench_node = db.default_binaries(args.build)
    args.tkms, args.tkmsd, args.bench_node = args.tkms or tkms, args.tkmsd or tkmsd, bench_node
    report = measure(args)
    print("\nnode 0 under load (wrk on loopback, every request valid and distinct)\n")
    print("| connections | 2xx/s | p50 ms | p99 ms | non-2xx | node 0 max VmRSS MB "
          "| node 0 VmHWM MB | others max VmRSS MB | load avg |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in report["load"]:
        others = max(r["max_rss_kb"][1:]) / 1024 if len(r["max_rss_kb"]) > 1 else 0
        load = "/".join(f"{x[0]:.1f}" for x in r["load_average"])
        print(f"| {r['connections']} | {r['ok_rps']:.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} "
              f"| {r['non2xx']:.0f} | {r['max_rss_kb'][0] / 1024:.1f} "
              f"| {r['after'][0].get('VmHWM', 0) / 1024:.1f} | {others:.1f} | {load} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
