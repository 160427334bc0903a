"""devnet_bench.py — what bench_epoch.py and bench_rss.py share: a devnet brought up with
`tkms devnet up` and always taken down again, JSON-RPC to its anvil, a clock that records
when each block appeared, the nodes' JSON-line logs, and /proc readings.

Not here: any measurement logic (the two scripts), any node or chain code (the devnet is
the one `tkms devnet up` builds: anvil with a fixed block time, the contracts, N tkmsd).
Python 3 standard library only. Every wait is bounded; every process started here is
stopped by pid when the `with Devnet(...)` block ends, also on an exception or SIGTERM.
"""
import calendar
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request

EPOCH_LOG_EVENTS = {
    "EpochSnapshotted": "EpochSnapshotted(uint64,address[],uint16,uint16,uint64)",
    "DealingCommitted": "DealingCommitted(uint64,address,bytes32)",
    "DealingRevealed": "DealingRevealed(uint64,address,bytes32,bytes32,bytes)",
    "Acked": "Acked(uint64,address,uint256)",
    "SharesOpened": "SharesOpened(uint64,address,address[],bytes32[])",
    "Confirmed": "Confirmed(uint64,address,bytes32,bytes32,uint256,uint256)",
    "EpochFinalized": "EpochFinalized(uint64,bytes32,bytes32,uint64,uint256)",
}


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def load_average():
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


class Rpc:
    """JSON-RPC over HTTP to anvil (one call per request, bounded by timeout_s)."""

    def __init__(self, url, timeout_s=5.0):
        self.url, self.timeout_s, self.next_id = url, timeout_s, 1

    def call(self, method, params):
        body = json.dumps({"jsonrpc": "2.0", "id": self.next_id, "method": method,
                           "params": params}).encode()
        self.next_id += 1
        req = urllib.request.Request(self.url, body, {"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=self.timeout_s) as resp:
            answer = json.loads(resp.read())
        if "error" in answer:
            raise RuntimeError(f"{method}: {answer['error']}")
        return answer["result"]

    def block_number(self):
        return int(self.call("eth_blockNumber", []), 16)

    def keccak_text(self, text):
        return self.call("web3_sha3", ["0x" + text.encode().hex()])

    def logs(self, address, from_block, to_block):
        return self.call("eth_getLogs", [{"address": address, "fromBlock": hex(from_block),
                                          "toBlock": hex(to_block)}])


class BlockClock(threading.Thread):
    """Polls eth_blockNumber every period_s and keeps the wall time (time.time(), the clock
    of the nodes' log timestamps) at which each block number was first seen: a block's
    arrival, to within period_s plus one RPC round trip."""

    def __init__(self, rpc, period_s=0.05):
        super().__init__(daemon=True)
        self.rpc, self.period_s = Rpc(rpc.url, 2.0), period_s
        self.seen, self.stop_event, self.lock = {}, threading.Event(), threading.Lock()

    def run(self):
        last = -1
        while not self.stop_event.is_set():
            try:
                head = self.rpc.block_number()
            except (OSError, RuntimeError, ValueError):
                head = last  # anvil busy or gone: try again at the next tick
            now = time.time()
            with self.lock:
                for n in range(last + 1, head + 1):
                    self.seen.setdefault(n, now)
            last = max(last, head)
            self.stop_event.wait(self.period_s)

    def arrival(self, number):
        with self.lock:
            return self.seen.get(number)

    def head(self):
        with self.lock:
            return max(self.seen) if self.seen else -1


def read_proc_status(pid):
    """VmRSS, VmHWM, RssAnon, RssFile (kB) and Threads of a process, or None if gone."""
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "RssShmem", "Threads"):
                    out[key] = int(value.split()[0])
    except OSError:
        return None
    return out


def smaps_top(pid, count=8):
    """The mappings with the most resident memory: [(rss_kb, size_kb, name)], where name
    is the file, [heap]/[stack], or "anon" (malloc arenas, thread stacks, large callocs)."""
    maps, current = [], None
    try:
        with open(f"/proc/{pid}/smaps") as f:
            for line in f:
                head = line.split()
                if "-" in head[0] and ":" not in head[0]:
                    current = [0, 0, head[5] if len(head) > 5 else "anon"]
                    maps.append(current)
                elif head[0] == "Rss:" and current is not None:
                    current[0] = int(head[1])
                elif head[0] == "Size:" and current is not None:
                    current[1] = int(head[1])
    except OSError:
        return []
    merged = {}  # a file's mappings (text, data, ...) together; anonymous ones apart
    for i, (rss, size, name) in enumerate(maps):
        key = name if name != "anon" else f"anon#{i}"
        old = merged.get(key, (0, 0, name))
        merged[key] = (old[0] + rss, old[1] + size, name)
    return sorted((m for m in merged.values() if m[0] > 0), reverse=True)[:count]


def read_json_lines(path):
    events = []
    try:
        with open(path, errors="replace") as f:
            for line in f:
                try:
                    events.append(json.loads(line))
                except ValueError:
                    pass  # anything else tkmsd's stderr got
    except OSError:
        pass
    return events


def log_time(event):
    """A log line's "ts" (UTC, ms) as time.time() seconds."""
    ts = event["ts"]
    base = calendar.timegm(time.strptime(ts[:19], "%Y-%m-%dT%H:%M:%S"))
    return float(base) + int(ts[20:23]) / 1000.0


def cpu_seconds(pid):
    """User + system CPU time of a process so far (seconds), or None if gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def stop_pid(pid, timeout_s=15.0):
    """SIGTERM, wait (bounded), then SIGKILL. True when the process is gone."""
    if not pid_alive(pid):
        return True
    try:
        os.kill(pid, signal.SIGTERM)
    except OSError:
        return True
    deadline = time.time() + timeout_s
    while time.time() < deadline and pid_alive(pid):
        time.sleep(0.1)
    if pid_alive(pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
        time.sleep(0.2)
    return not pid_alive(pid)


class Devnet:
    """`tkms devnet up` on entry (progress on stderr, block clock running as soon as anvil
    answers), `tkms devnet down` plus every extra pid registered with adopt() on exit."""

    def __init__(self, tkms, tkmsd, directory, nodes, interval, block_time_s=1, wait_s=600,
                 contracts_dir=None):
        self.tkms, self.tkmsd = os.path.abspath(tkms), os.path.abspath(tkmsd)
        self.dir = os.path.abspath(directory)
        os.makedirs(os.path.dirname(self.dir), exist_ok=True)
        self.nodes, self.interval, self.block_time_s = nodes, interval, block_time_s
        self.wait_s, self.contracts_dir = wait_s, contracts_dir
        self.extra_pids, self.clock, self.rpc, self.state, self.summary = [], None, None, None, None

    def __enter__(self):
        signal.signal(signal.SIGTERM, _raise_interrupt)
        cmd = [self.tkms, "devnet", "up", "--nodes", str(self.nodes), "--dir", self.dir,
               "--block-time", str(self.block_time_s), "--interval", str(self.interval),
               "--wait-s", str(self.wait_s), "--tkmsd", self.tkmsd, "--json"]
        if self.contracts_dir:
            cmd += ["--contracts-dir", os.path.abspath(self.contracts_dir)]
        log("$ " + " ".join(cmd))
        up = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            self._start_clock_while(up)
            out, err = up.communicate(timeout=self.wait_s + 120)
        except BaseException:
            up.kill()
            up.wait()
            self.__exit__(None, None, None)
            raise
        if up.returncode != 0:
            self.__exit__(None, None, None)
            raise RuntimeError(f"tkms devnet up failed ({up.returncode}): {err.strip()}")
        self.summary = json.loads(out)
        self.state = self.load_state()
        return self

    def _start_clock_while(self, up):
        """Starts the block clock once state.json names anvil's RPC URL (bounded by up)."""
        path = os.path.join(self.dir, "state.json")
        while up.poll() is None:
            try:
                with open(path) as f:
                    url = json.load(f).get("rpc_url", "")
            except (OSError, ValueError):
                url = ""
            if url:
                self.rpc = Rpc(url)
                self.clock = BlockClock(self.rpc)
                self.clock.start()
                return
            time.sleep(0.1)

    def __exit__(self, exc_type, exc, tb):
        for pid in self.extra_pids:
            stop_pid(pid)
        if self.clock is not None:
            self.clock.stop_event.set()
        res = subprocess.run([self.tkms, "devnet", "down", "--dir", self.dir],
                             capture_output=True, text=True, timeout=120)
        log(f"devnet down: {res.stdout.strip() or res.stderr.strip()}")
        return False

    def load_state(self):
        with open(os.path.join(self.dir, "state.json")) as f:
            return json.load(f)

    def deployment(self):
        with open(os.path.join(self.dir, "deployment.json")) as f:
            return json.load(f)

    def node_log(self, i):
        return read_json_lines(os.path.join(self.dir, f"node-{i}", "tkmsd.log"))

    def adopt(self, pid):
        """A process started outside `tkms devnet` (stopped on exit, before `down`)."""
        self.extra_pids.append(pid)


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def default_binaries(build):
    return (os.path.join(build, "src", "cli", "tkms"), os.path.join(build, "src", "node", "tkmsd"),
            os.path.join(build, "bench", "bench_node"))
