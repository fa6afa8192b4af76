# Per-tick cost of an append-only file synced on every write (appendfsync always) against one synced
# once a second (everysec). Starts its own redis-server for each setting, in a new directory under
# DATA_DIR (on the disk to measure; removed afterwards), on a free loopback port.
# Usage: python3 measure.py DATA_DIR N [ROUNDS]
import os, shutil, socket, statistics, subprocess, sys, tempfile, time
data = sys.argv[1]; n = int(sys.argv[2]); rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 2

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0)); return s.getsockname()[1]

class Redis:
    def __init__(self, fsync):
        self.dir = tempfile.mkdtemp(prefix=f"fsync-{fsync}-", dir=data)
        port = free_port()
        self.proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", self.dir,
                                      "--save", "", "--appendonly", "yes", "--appendfsync", fsync],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            try:
                self.s = socket.create_connection(("127.0.0.1", port)); break
            except OSError:
                if time.monotonic() > deadline: raise
                time.sleep(0.05)
        self.f = self.s.makefile("rb")
        while self.cmd("PING") != b"PONG": time.sleep(0.05)
    def cmd(self, *parts):
        out = b"*%d\r\n" % len(parts)
        for p in parts:
            p = p if isinstance(p, bytes) else str(p).encode()
            out += b"$%d\r\n%s\r\n" % (len(p), p)
        self.s.sendall(out); return self.read()
    def read(self):
        line = self.f.readline()[:-2]; t = line[:1]; body = line[1:]
        if t in b"+:": return body
        if t == b"-": raise RuntimeError(body.decode())
        if t == b"$":
            ln = int(body); return None if ln < 0 else self.f.read(ln + 2)[:-2]
        if t == b"*": return [self.read() for _ in range(int(body))]
    def close(self):
        self.s.close(); self.proc.terminate(); self.proc.wait(10); shutil.rmtree(self.dir)

# The EventService's publish without replicas to wait for: history entry, counter, released mark, channel.
PUBLISH = "redis.call('XADD', KEYS[1], 'MAXLEN', '~', 10000, ARGV[1]..'-0', 'tick', ARGV[2]); redis.call('SET', KEYS[2], ARGV[1]); redis.call('SET', KEYS[3], ARGV[1]); redis.call('PUBLISH', 'bench', ARGV[2]); return 1"
payload = b'{"epoch":"3fa81c02","sequence":42,"publishedAt":"2026-11-23T19:06:25.401059+00:00","traceParent":"00-973667bfeac3252f905905e7a2799c87-92969b8fe038ae6e-01"}'

def run(fsync):
    redis = Redis(fsync)
    try:
        sha = redis.cmd("SCRIPT", "LOAD", PUBLISH)
        times = []; started = time.perf_counter()
        for i in range(1, n + 1):
            t = time.perf_counter()
            redis.cmd("EVALSHA", sha, 3, "b:s", "b:c", "b:p", i, payload)
            times.append((time.perf_counter() - t) * 1e6)
        elapsed = time.perf_counter() - started
    finally:
        redis.close()
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.99)], n / elapsed

for rnd in range(rounds):
    for fsync in ("everysec", "always"):
        p50, p99, rate = run(fsync)
        print(f"round {rnd + 1} appendfsync {fsync:8}: p50 {p50:.0f} us p99 {p99:.0f} us, {rate:.0f} publishes/s")
