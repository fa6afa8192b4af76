using System.ComponentModel.DataAnnotations;

namespace AspireSse.WebFrontend.Admission;

/// <summary>
/// The <c>Admission</c> configuration section: how many connections and streams this replica takes.
/// By default the caps come from the process's own limits (<see cref="AdmissionLimits"/>), so a
/// replica refuses what it cannot hold instead of running out of files and dying.
/// </summary>
public sealed class AdmissionOptions
{
    public const string SectionName = "Admission";

    /// <summary>
    /// Streams this replica serves at most; beyond it, <c>503</c> with <c>Retry-After</c>. Unset, it
    /// is derived from the open-file limit and the memory available. A value above what the limits
    /// allow is lowered to that, with a warning naming both.
    /// </summary>
    [Range(1, 10_000_000, ErrorMessage = "Admission:MaxStreams must be between 1 and 10000000.")]
    public int? MaxStreams { get; set; }

    /// <summary>
    /// Files kept free for everything that is not a client connection and may open one later: assemblies
    /// loaded on first use, Redis reconnects, the telemetry exporter, and connections Kestrel accepts only
    /// to close them. Counted on top of the files already open when the caps are set.
    /// </summary>
    [Range(16, 1_000_000, ErrorMessage = "Admission:ReservedFiles must be between 16 and 1000000.")]
    public int ReservedFiles { get; set; } = 128;

    /// <summary>
    /// Connections that streams may not take, so health probes, the page and <c>/stats</c> still get
    /// in while the replica is full of streams.
    /// </summary>
    [Range(1, 100_000, ErrorMessage = "Admission:ProbeConnections must be between 1 and 100000.")]
    public int ProbeConnections { get; set; } = 32;

    /// <summary>
    /// Memory budgeted per stream when the cap is derived from the memory available to the process
    /// (the container's limit, where there is one): what the replica holds for a client at its worst,
    /// one that sends bytes after its head and then reads nothing until it is cut. That is an idle
    /// stream, its unread bytes (<see cref="ReadBufferBytes"/>), a batch of its replay and, through
    /// Kestrel's response pipe (the fast path off), Kestrel's response buffer; the client's queue
    /// holds events every client shares. The kernel's socket buffers come on top: the send side is
    /// bounded by <c>TickStream:SocketSendBufferBytes</c> when set.
    /// </summary>
    [Range(1024, 16 * 1024 * 1024, ErrorMessage = "Admission:MemoryPerStreamBytes must be between 1024 and 16777216.")]
    public int MemoryPerStreamBytes { get; set; } = 160 * 1024;

    /// <summary>
    /// How long a new connection may take to send its request head, and how long a kept-alive one may
    /// sit idle between requests. Connections that open and send nothing, or send a head byte by byte,
    /// are cut after this, on every path, so they cannot hold the replica's files.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00",
        ErrorMessage = "Admission:RequestHeadTimeout must be between 100 ms and 5 minutes.")]
    public TimeSpan RequestHeadTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Connections the kernel may hold for this replica before it accepts them (the listen backlog;
    /// the kernel caps it at <c>net.core.somaxconn</c>). When a replica dies, each survivor is sent
    /// thousands of its clients within the jittered retry; beyond the backlog the kernel drops their
    /// handshakes and they wait on TCP's retransmits (1 s, 3 s, 7 s, …) instead of the retry they
    /// were told. Kestrel's own default is 512.
    /// </summary>
    [Range(1, 1_000_000, ErrorMessage = "Admission:ListenBacklog must be between 1 and 1000000.")]
    public int ListenBacklog { get; set; } = 4096;

    /// <summary>
    /// Bytes a client may have sent on a connection that the replica has not looked at yet (the
    /// socket transport's read buffer, and the kernel's receive buffer, which the kernel doubles);
    /// beyond them the replica stops reading from it, and TCP leaves the rest with the client. A stream reads nothing after its request head, so whatever
    /// its client sends after the head stays in this buffer for as long as the stream lasts. Heads
    /// and bodies are looked at as they arrive, so neither is limited by it: a larger buffer only
    /// lets a slow reader of a large upload fall further behind its socket. Kestrel's own request
    /// buffer (a TLS connection's, above the transport's) is set to it too, or to Kestrel's request
    /// line and header limits where those are larger, as Kestrel requires.
    /// </summary>
    [Range(4096, 1024 * 1024, ErrorMessage = "Admission:ReadBufferBytes must be between 4096 and 1048576.")]
    public int ReadBufferBytes { get; set; } = 16 * 1024;

    /// <summary>
    /// Lowers this process's open-file limit to this many at start (lowering is always allowed), to
    /// see how a replica behaves at its limits on a machine whose limit is high. Unset, the limit is
    /// left as the host set it.
    /// </summary>
    [Range(64, 100_000_000, ErrorMessage = "Admission:OpenFileLimit must be between 64 and 100000000.")]
    public int? OpenFileLimit { get; set; }
}
