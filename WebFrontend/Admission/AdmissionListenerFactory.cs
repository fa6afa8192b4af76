using System.Net;
using Microsoft.AspNetCore.Connections;

namespace AspireSse.WebFrontend.Admission;

/// <summary>
/// Kestrel's transport with a connection cap applied where connections are accepted: one beyond
/// <see cref="AdmissionLimits.MaxConnections"/> is closed before the next is accepted.
/// </summary>
/// <remarks>
/// Kestrel's own <c>MaxConcurrentConnections</c> closes the excess too, but only once each accepted
/// connection has been dispatched to the thread pool, while the accept loop goes on accepting; under a
/// flood the sockets waiting to be closed took the process to its open-file limit (see the README's
/// Limits section). Closing here keeps at most one such socket open at a time.
/// </remarks>
internal sealed partial class AdmissionListenerFactory(
    IConnectionListenerFactory transport,
    AdmissionLimits limits,
    ILogger<AdmissionListenerFactory> logger) : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    private readonly ILogger _logger = logger;
    private int _open;

    public bool CanBind(EndPoint endpoint) => transport is not IConnectionListenerFactorySelector selector || selector.CanBind(endpoint);

    public async ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        var listener = await transport.BindAsync(endpoint, cancellationToken);
        return limits.MaxConnections is { } max ? new Listener(listener, this, max) : listener;
    }

    private sealed class Listener(IConnectionListener inner, AdmissionListenerFactory owner, int max) : IConnectionListener
    {
        private readonly DoublingCount _refused = new();

        public EndPoint EndPoint => inner.EndPoint;

        public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
        {
            while (await inner.AcceptAsync(cancellationToken) is { } connection)
            {
                if (Interlocked.Increment(ref owner._open) <= max)
                {
                    connection.ConnectionClosed.UnsafeRegister(static state => Interlocked.Decrement(ref ((AdmissionListenerFactory)state!)._open), owner);
                    return connection;
                }

                Interlocked.Decrement(ref owner._open);
                connection.Abort();
                await connection.DisposeAsync();
                if (_refused.Increment(out var refused))
                {
                    LogRefused(owner._logger, max, refused);
                }
            }

            return null;
        }

        public ValueTask UnbindAsync(CancellationToken cancellationToken = default) => inner.UnbindAsync(cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "At the connection cap of {MaxConnections}: closed a new connection at once ({Refused} so far)")]
    private static partial void LogRefused(ILogger logger, int maxConnections, long refused);
}
