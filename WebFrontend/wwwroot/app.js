// One EventSource; the browser reconnects by itself and sends Last-Event-ID when it does.
(() => {
  const counter = document.getElementById("counter");
  const state = document.getElementById("state");
  const replica = document.getElementById("replica");
  const age = document.getElementById("age");

  const setState = (name) => {
    state.textContent = name;
    state.className = `state state-${name}`;
  };

  const source = new EventSource("events");
  source.addEventListener("open", () => setState("live"));
  source.addEventListener("error", () => setState(source.readyState === EventSource.CLOSED ? "closed" : "reconnecting"));

  source.addEventListener("hello", (e) => {
    const hello = JSON.parse(e.data);
    replica.textContent = hello.replica;
    if (hello.sequence > 0) counter.textContent = hello.sequence;
  });

  source.addEventListener("tick", (e) => {
    const tick = JSON.parse(e.data);
    counter.textContent = tick.sequence;
    replica.textContent = tick.replica;
    age.textContent = Math.max(0, Date.now() - Date.parse(tick.publishedAt));
  });
})();
