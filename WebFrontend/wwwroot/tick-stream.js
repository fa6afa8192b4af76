// One EventSource on /events, and what a viewer wants to know about it: the counter, the state of
// the connection, the replica, latencies, and the checks that prove nothing was lost (gaps,
// duplicates). A classic script with no DOM access, so that the SharedWorker (tick-worker.js) and a
// tab without SharedWorker (app.js) run the very same code.
(() => {
  const LATENCY_SAMPLES = 60;
  // How long the "reset" state stays visible once ticks flow again: long enough to be noticed.
  const RESET_VISIBLE_MS = 5000;

  const open = (url, onChange, transport) => {
    const status = {
      transport,
      state: "connecting",
      replica: null,
      replicas: [],
      epoch: null,
      sequence: null,
      publishedAt: null,
      latencies: [],
      reconnects: 0,
      resumed: 0,
      gaps: 0,
      duplicates: 0,
      resets: 0,
    };
    let source = null;
    let retryTimer = 0;
    let lastEventId = null;
    let connections = 0;
    let resetUntil = 0;
    // The chart marks the first live tick after a reconnect, so a failover is visible in it.
    let markNextSample = false;

    const changed = () => onChange(status);
    const data = (e) => JSON.parse(e.data);
    const remember = (e) => { if (e.lastEventId) lastEventId = e.lastEventId; };

    const seeReplica = (replica) => {
      status.replica = replica;
      if (!status.replicas.includes(replica)) status.replicas.push(replica);
    };

    const goLive = () => {
      if (status.state === "reset" && Date.now() < resetUntil) return;
      status.state = "live";
    };

    const onHello = (e) => {
      const hello = data(e);
      connections += 1;
      status.reconnects = connections - 1;
      markNextSample = connections > 1;
      seeReplica(hello.replica);
      // Until the first tick, the hello says where live ticks begin: the next one is sequence + 1.
      // After it, every reconnect carries our last id and the server continues from there.
      if (lastEventId === null && hello.epoch) {
        status.epoch = hello.epoch;
        status.sequence = hello.sequence;
      }
      goLive();
      changed();
    };

    const onTick = (e) => {
      const tick = data(e);
      remember(e);
      if (tick.epoch === status.epoch && status.sequence !== null && tick.sequence <= status.sequence) {
        status.duplicates += 1;
        changed();
        return;
      }

      // Within an epoch each tick is the previous + 1; a new epoch is only legitimate after a reset.
      if (status.sequence !== null && (tick.epoch !== status.epoch || tick.sequence !== status.sequence + 1)) {
        status.gaps += 1;
      }

      status.epoch = tick.epoch;
      status.sequence = tick.sequence;
      status.publishedAt = Date.parse(tick.publishedAt);
      seeReplica(tick.replica);
      if (tick.replayed) {
        status.resumed += 1;
      } else {
        status.latencies.push({ ms: Math.max(0, Date.now() - status.publishedAt), afterReconnect: markNextSample });
        markNextSample = false;
        if (status.latencies.length > LATENCY_SAMPLES) status.latencies.shift();
      }

      goLive();
      changed();
    };

    const onReset = (e) => {
      const reset = data(e);
      remember(e);
      // The server cannot continue where we were, and says so: counting restarts at reset.oldest.
      status.resets += 1;
      status.epoch = reset.epoch;
      status.sequence = reset.oldest - 1;
      status.state = "reset";
      resetUntil = Date.now() + RESET_VISIBLE_MS;
      changed();
    };

    const onDrain = () => {
      // The replica is shutting down and closes the stream; EventSource comes back through the
      // gateway after the drain's short retry, with our Last-Event-ID.
      status.state = "reconnecting";
      changed();
    };

    const onError = () => {
      status.state = "reconnecting";
      if (source.readyState === EventSource.CLOSED && !retryTimer) {
        // An error status (a 502 from the gateway while it has not yet noticed a dead replica, a
        // 503 at the connection cap) makes EventSource give up. Start a new one, resuming through
        // the query string since a new EventSource cannot send Last-Event-ID. The jitter keeps
        // every browser a replica had from coming back at the same moment.
        retryTimer = setTimeout(connect, 1000 + Math.random() * 2000);
      }
      changed();
    };

    function connect() {
      retryTimer = 0;
      if (source) source.close();
      source = new EventSource(lastEventId ? `${url}?lastEventId=${encodeURIComponent(lastEventId)}` : url);
      source.addEventListener("hello", onHello);
      source.addEventListener("tick", onTick);
      source.addEventListener("reset", onReset);
      source.addEventListener("drain", onDrain);
      source.addEventListener("error", onError);
    }

    connect();
    return {
      status: () => status,
      close: () => {
        clearTimeout(retryTimer);
        source.close();
      },
    };
  };

  self.TickStream = { open };
})();
