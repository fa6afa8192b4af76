// The page: renders what tick-stream.js knows. All tabs share one stream through a SharedWorker
// (tick-worker.js); where SharedWorker is missing (or fails to start) this tab opens its own.
(() => {
  const $ = (id) => document.getElementById(id);
  const counter = $("counter");
  const state = $("state");
  const replica = $("replica");
  const replicasSeen = $("replicas-seen");
  const replicaNames = $("replica-names");
  const tabs = $("tabs");
  const age = $("age");
  const reconnects = $("reconnects");
  const resumed = $("resumed");
  const gaps = $("gaps");
  const duplicates = $("duplicates");
  const resets = $("resets");
  const transport = $("transport");
  const chart = $("chart");
  const summary = $("latency-summary");

  let latest = null;

  const setText = (element, text) => {
    const value = String(text);
    if (element.textContent !== value) element.textContent = value;
  };

  const showAge = () => {
    if (latest?.publishedAt == null) return;
    setText(age, `${Math.max(0, Date.now() - latest.publishedAt)} ms`);
  };

  const median = (values) => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
  };

  // A hand-drawn bar chart: one bar per live tick, newest on the right, scaled to a round maximum;
  // a dashed line marks where the stream was picked up again after a reconnect.
  const drawChart = (samples) => {
    const styles = getComputedStyle(document.documentElement);
    const ratio = window.devicePixelRatio || 1;
    const width = chart.clientWidth;
    const height = chart.clientHeight;
    if (width === 0 || height === 0) return;
    if (chart.width !== Math.round(width * ratio) || chart.height !== Math.round(height * ratio)) {
      chart.width = Math.round(width * ratio);
      chart.height = Math.round(height * ratio);
    }

    const g = chart.getContext("2d");
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, width, height);

    const top = Math.max(10, ...samples.map((s) => s.ms));
    const step = 10 ** Math.floor(Math.log10(top));
    const scale = Math.ceil(top / step) * step;
    g.font = "12px system-ui, sans-serif";
    const axis = Math.ceil(g.measureText(`${scale} ms`).width) + 10;
    const plot = { left: axis, top: 8, width: width - axis - 4, height: height - 16 };

    g.textAlign = "right";
    g.textBaseline = "middle";
    g.lineWidth = 1;
    for (const fraction of [0, 0.5, 1]) {
      const y = Math.round(plot.top + plot.height * (1 - fraction)) + 0.5;
      g.strokeStyle = styles.getPropertyValue("--grid");
      g.beginPath();
      g.moveTo(plot.left, y);
      g.lineTo(plot.left + plot.width, y);
      g.stroke();
      g.fillStyle = styles.getPropertyValue("--muted");
      g.fillText(`${Math.round(scale * fraction)} ms`, axis - 6, y);
    }

    const slot = plot.width / 60;
    samples.forEach((sample, i) => {
      const h = Math.max(1, (sample.ms / scale) * plot.height);
      const x = plot.left + plot.width - (samples.length - i) * slot;
      g.fillStyle = styles.getPropertyValue("--accent");
      g.fillRect(x + 1, plot.top + plot.height - h, Math.max(1, slot - 2), h);
      if (sample.afterReconnect) {
        g.strokeStyle = styles.getPropertyValue("--warn");
        g.setLineDash([4, 3]);
        g.beginPath();
        g.moveTo(Math.round(x) + 0.5, plot.top);
        g.lineTo(Math.round(x) + 0.5, plot.top + plot.height);
        g.stroke();
        g.setLineDash([]);
      }
    });
  };

  const describeLatency = (samples) => {
    if (samples.length === 0) return "Waiting for live ticks…";
    const ms = samples.map((s) => s.ms);
    const marked = samples.some((s) => s.afterReconnect) ? " The dashed line marks a reconnect." : "";
    return `Last ${ms.length} live ticks: median ${median(ms)} ms, max ${Math.max(...ms)} ms.${marked}`;
  };

  const describeTransport = (status) => {
    if (status.transport !== "shared") return "This tab holds its own connection (this browser has no SharedWorker).";
    const tabs = status.tabs === 1 ? "this tab" : `${status.tabs} tabs`;
    return `One connection for the whole browser, shared by ${tabs} (SharedWorker).`;
  };

  const render = (status) => {
    latest = status;
    setText(counter, status.sequence ?? "–");
    setText(state, status.state);
    state.className = `state state-${status.state}`;
    setText(replica, status.replica ?? "–");
    setText(replicasSeen, status.replicas.length);
    setText(replicaNames, status.replicas.join(", "));
    setText(tabs, status.tabs ?? 1);
    setText(reconnects, status.reconnects);
    setText(resumed, status.resumed);
    setText(gaps, status.gaps);
    gaps.closest(".fact").classList.toggle("fact-bad", status.gaps > 0);
    setText(duplicates, status.duplicates);
    setText(resets, status.resets);
    setText(transport, describeTransport(status));
    transport.dataset.transport = status.transport;
    transport.dataset.tabs = status.tabs ?? 1;
    const text = describeLatency(status.latencies);
    setText(summary, text);
    chart.setAttribute("aria-label", `Latency chart. ${text}`);
    drawChart(status.latencies);
    showAge();
  };

  const runInThisTab = () => {
    self.TickStream.open("events", render, "tab");
  };

  const runShared = () => {
    const worker = new SharedWorker("tick-worker.js", { name: "aspiresse-ticks" });
    let heard = false;
    worker.port.addEventListener("message", (e) => {
      heard = true;
      render(e.data);
    });
    // A worker that cannot start (a blocked or broken script) must not leave the page blank.
    worker.addEventListener("error", () => {
      if (!heard) runInThisTab();
    });
    worker.port.start();
    addEventListener("pagehide", () => worker.port.postMessage("bye"));
    addEventListener("pageshow", (e) => {
      if (e.persisted) worker.port.postMessage("hi");
    });
  };

  if (typeof SharedWorker === "undefined") {
    runInThisTab();
  } else {
    runShared();
  }

  setInterval(showAge, 250);
  new ResizeObserver(() => latest && drawChart(latest.latencies)).observe(chart);
})();
