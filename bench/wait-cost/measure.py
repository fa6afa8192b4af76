# Per-tick cost of releasing a tick only after a replica holds it, against a primary + replica pair.
# Writes keys b:s, b:c, b:p and publishes on channel "bench" on the Redis it is given; point it at a scratch pair only.
import socket, time, statistics, sys
port = int(sys.argv[1]); n = int(sys.argv[2])
s = socket.create_connection(("127.0.0.1", port)); f = s.makefile("rb")
def cmd(*parts):
    out = b"*%d\r\n" % len(parts)
    for p in parts:
        p = p if isinstance(p, bytes) else str(p).encode()
        out += b"$%d\r\n%s\r\n" % (len(p), p)
    s.sendall(out); return read()
def read():
    line = f.readline()[:-2]; t = line[:1]; body = line[1:]
    if t in b"+-:": return body
    if t == b"$":
        ln = int(body); return None if ln < 0 else f.read(ln + 2)[:-2]
    if t == b"*": return [read() for _ in range(int(body))]
ONE = "redis.call('XADD', KEYS[1], 'MAXLEN', '~', 10000, ARGV[1]..'-0', 'tick', ARGV[2]); redis.call('SET', KEYS[2], ARGV[1]); redis.call('SET', KEYS[3], ARGV[1]); redis.call('PUBLISH', 'bench', ARGV[2]); return 1"
WRITE = "redis.call('XADD', KEYS[1], 'MAXLEN', '~', 10000, ARGV[1]..'-0', 'tick', ARGV[2]); redis.call('SET', KEYS[2], ARGV[1]); return 1"
RELEASE = "local e = redis.call('XRANGE', KEYS[1], ARGV[1]..'-0', ARGV[1]..'-0'); redis.call('SET', KEYS[3], ARGV[1]); redis.call('PUBLISH', 'bench', e[1][2][2]); return 1"
payload = b'{"epoch":"3fa81c02","sequence":42,"publishedAt":"2026-11-23T19:06:25.401059+00:00","traceParent":"00-973667bfeac3252f905905e7a2799c87-92969b8fe038ae6e-01"}'
cmd("DEL", "b:s", "b:c", "b:p")
def run(acked, start):
    times = []
    for i in range(start, start + n):
        t = time.perf_counter()
        if acked:
            cmd("EVAL", WRITE, 3, "b:s", "b:c", "b:p", i, payload)
            assert int(cmd("WAIT", 1, 200)) >= 1
            cmd("EVAL", RELEASE, 3, "b:s", "b:c", "b:p", i)
        else:
            cmd("EVAL", ONE, 3, "b:s", "b:c", "b:p", i, payload)
        times.append((time.perf_counter() - t) * 1e6)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.99)]
for rnd in range(2):
    one = run(False, 1 + rnd * 4 * n); ack = run(True, 1 + rnd * 4 * n + n)
    print(f"round {rnd+1}: one script p50 {one[0]:.0f} us p99 {one[1]:.0f} us | write+WAIT 1+release p50 {ack[0]:.0f} us p99 {ack[1]:.0f} us")
cmd("DEL", "b:s", "b:c", "b:p")
