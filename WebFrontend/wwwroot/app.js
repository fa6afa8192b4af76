// One EventSource; the browser reconnects by itself after a dropped stream, waiting the server's
// retry: delay and sending Last-Event-ID, so the server resumes where this page left off.
(() => {
  const counter = document.getElementById("counter");
  const state = document.getElementById("state");
  const replica = document.getElementById("replica");
  const age = document.getElementById("age");

  let lastEventId = null;
  let source = null;

  const setState = (name) => {
    state.textContent = name;
    state.className = `state state-${name}`;
  };

  const connect = () => {
    // A new EventSource cannot set Last-Event-ID itself; the query parameter carries it instead.
    source = new EventSource(lastEventId ? `events?lastEventId=${encodeURIComponent(lastEventId)}` : "events");
    source.addEventListener("open", () => setState("live"));
    source.addEventListener("error", () => {
      if (source.readyState !== EventSource.CLOSED) {
        setState("reconnecting");
        return;
      }
      // An error status (502 from a gateway, 503 at the connection cap) makes EventSource give up.
      // Start again after a jittered pause so a recovering server is not hit by every tab at once.
      setState("reconnecting");
      setTimeout(connect, 1000 + Math.random() * 2000);
    });

    source.addEventListener("hello", (e) => {
      const hello = JSON.parse(e.data);
      replica.textContent = hello.replica;
      if (!lastEventId && hello.sequence > 0) counter.textContent = hello.sequence;
    });

    source.addEventListener("reset", (e) => {
      lastEventId = e.lastEventId || lastEventId;
      setState("reset");
    });

    source.addEventListener("tick", (e) => {
      const tick = JSON.parse(e.data);
      lastEventId = e.lastEventId;
      counter.textContent = tick.sequence;
      replica.textContent = tick.replica;
      if (!tick.replayed) age.textContent = Math.max(0, Date.now() - Date.parse(tick.publishedAt));
      if (state.textContent !== "live") setState("live");
    });
  };

  connect();
})();
