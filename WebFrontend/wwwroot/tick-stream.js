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
    // Whether the current EventSource would resume from lastEventId if it reconnected by itself:
    // its URL carries it, or it has seen an event with an id (it then sends Last-Event-ID).
    let sourceKnowsPosition = false;
    let connections = 0;
    let resetUntil = 0;
    // The chart marks the first live tick after a reconnect, so a failover is visible in it.
    let markNextSample = false;

    const changed = () => onChange(status);
    const data = (e) => JSON.parse(e.data);
    const remember = (e) => {
      if (!e.lastEventId) return;
      lastEventId = e.lastEventId;
      sourceKnowsPosition = true;
    };

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
        lastEventId = `${hello.epoch}-${hello.sequence}`;
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
      // same URL after the drain's short retry, with our Last-Event-ID.
      status.state = "reconnecting";
      changed();
    };

    const onError = () => {
      status.state = "reconnecting";
      // An error status (a 502 from a proxy that has not yet noticed a dead replica, a 503
      // at the connection cap) makes EventSource give up. And a stream that dropped before its
      // first tick would come back without Last-Event-ID, skipping the ticks after its hello.
      // Either way, start a new one that resumes through the query string (a new EventSource
      // cannot send Last-Event-ID), after a jittered pause so that every browser a replica had
      // does not come back at the same moment.
      const lost = source.readyState === EventSource.CLOSED || (!sourceKnowsPosition && lastEventId !== null);
      if (lost && !retryTimer) {
        source.close();
        retryTimer = setTimeout(connect, 1000 + Math.random() * 2000);
      }
      changed();
    };

    function connect() {
      retryTimer = 0;
      if (source) source.close();
      sourceKnowsPosition = lastEventId !== null;
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
