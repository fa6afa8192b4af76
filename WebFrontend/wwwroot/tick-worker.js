// The browser's one connection: every tab of this origin talks to this SharedWorker, which owns the
// only EventSource and sends each tab the full status after every change. Without it, each tab
// would hold its own stream, and HTTP/1.1 allows six connections per host: the seventh tab would
// hang.
importScripts("tick-stream.js");

const ports = new Set();

const broadcast = (status) => {
  const message = { ...status, tabs: ports.size };
  for (const port of ports) port.postMessage(message);
};

const stream = self.TickStream.open("events", broadcast, "shared");

self.addEventListener("connect", (e) => {
  const port = e.ports[0];
  // A closed tab's port gives no sign of it; tabs say goodbye (and hello again when they come
  // back from the back/forward cache), so the tab count stays right.
  port.addEventListener("message", (m) => {
    if (m.data === "bye") ports.delete(port);
    if (m.data === "hi") ports.add(port);
    broadcast(stream.status());
  });
  port.start();
  ports.add(port);
  broadcast(stream.status());
});
