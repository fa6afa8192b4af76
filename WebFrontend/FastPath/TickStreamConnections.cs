using System.IO.Pipelines;
using AspireSse.Contracts;
using AspireSse.WebFrontend.Admission;
using AspireSse.WebFrontend.Relay;
using AspireSse.WebFrontend.Streaming;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace AspireSse.WebFrontend.FastPath;

/// <summary>
/// Answers <c>GET /events</c> below HTTP when it is the first request on a plain HTTP/1.1
/// connection — what a browser's EventSource, YARP and the benchmark all send. Kestrel's HTTP layer
/// never sees such a connection: the request head is read here, and the stream is written to the
/// socket with the same writer as every other stream (<see cref="TickStreamWriter"/>).
/// </summary>
/// <remarks>
/// <para>
/// Why: an idle stream is mostly what Kestrel keeps for an HTTP request in progress — the HTTP/1.1
/// connection, request and response objects, header collections and the request's span; a heap
/// walk put them at most of what a stream holds. Answered here, a stream keeps the transport
/// connection and its own few objects, so an idle stream costs well below what it does with
/// <c>FastPath:AnswerBelowHttp=false</c>, at the same CPU per event (see the README's Benchmark
/// section).
/// </para>
/// <para>
/// What it gives up, and where the HTTP pipeline still serves: middleware does not see these
/// requests (nor <c>http.server.*</c> metrics), so as soon as the app has authentication, rate
/// limiting or host filtering, or <c>/events</c> asks for authorization, rate limiting, CORS or a
/// host, nothing is answered here (<see cref="FastPathEligibility"/>). Everything this code does
/// not recognise, a refusal (bad id, id ahead of the latest tick, stream cap, Redis not answering)
/// included, goes to Kestrel untouched, as does a connection whose first request was something else.
/// </para>
/// </remarks>
internal sealed partial class TickStreamConnections(
    TickBroadcaster broadcaster,
    TickStreamOpener opener,
    TickStreamWriter writer,
    FastPathEligibility eligibility,
    TimeProvider time,
    IOptions<AdmissionOptions> admission,
    ILogger<TickStreamConnections> logger)
{
    private readonly DoublingCount _headTimeouts = new();

    // Every open stream keeps this method's state for hours, so whatever is needed only to start a
    // stream (the head, its timeout, the span) lives in the methods it awaits, and is gone once they
    // return; otherwise every idle stream would keep that state too.
    public async Task ServeAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        if (!await eligibility.IsAllowedAsync()
            || connection.Features.Get<IConnectionSocketFeature>()?.Socket is not { } socket
            || connection.Features.Get<ITlsConnectionFeature>() is not null)
        {
            await next(connection);
            return;
        }

        AcceptedStream? accepted;
        try
        {
            accepted = await AcceptAsync(connection.Transport.Input, connection.ConnectionClosed);
        }
        catch (OperationCanceledException) when (connection.ConnectionClosed.IsCancellationRequested)
        {
            // The client left while its stream was being opened: nobody to answer.
            return;
        }
        catch (RequestHeadTimeoutException ex)
        {
            // A silent or byte-by-byte connection would otherwise hold one of the replica's files for
            // as long as it likes.
            connection.Abort(new ConnectionAbortedException(ex.Message));
            // A replica too busy to read its connections in time shows here.
            if (_headTimeouts.Increment(out var cut))
            {
                LogHeadTimedOut(admission.Value.RequestHeadTimeout.TotalMilliseconds, cut);
            }

            return;
        }

        if (accepted is null)
        {
            await next(connection);
            return;
        }

        var client = accepted.Client;
        client.OnCut(static state => ((ConnectionContext)state!).Abort(), connection);
        // The client hung up (or the connection was aborted): end the wait for its next event.
        using var left = connection.ConnectionClosed.UnsafeRegister(static state => ((TickClient)state!).Complete(), client);

        // As on the HTTP path (SocketOutputFactory): a send never waits for a slow client.
        socket.Blocking = false;
        var output = new SocketOutput(socket, TickStreamPath.Connection, request: null);
        output.Write(SocketResponse.Head(time.GetUtcNow()));
        var drained = false;
        try
        {
            if (await WriteOpeningAsync(client, accepted, output, connection.ConnectionClosed))
            {
                await writer.WriteLiveAsync(client, output, connection.ConnectionClosed);
            }

            drained = !client.WasCut && !connection.ConnectionClosed.IsCancellationRequested;
        }
        catch (OperationCanceledException)
        {
            // The client left, or was cut, while we were writing.
        }
        catch (Exception ex)
        {
            // Kestrel would log this as an unhandled connection error; say which stream it was.
            LogStreamFailed(ex, connection.ConnectionId);
            connection.Abort();
        }
        finally
        {
            output.End(drained);
            broadcaster.Leave(client);
        }
    }

    /// <summary>
    /// Reads the connection's first request head and, when it is a <c>GET /events</c> the replica
    /// accepts, consumes it and returns the registered client. Otherwise nothing is consumed, and
    /// null hands the same bytes to Kestrel.
    /// </summary>
    /// <exception cref="RequestHeadTimeoutException">No whole head within <c>Admission:RequestHeadTimeout</c>.</exception>
    /// <exception cref="OperationCanceledException">The client left while the stream was being opened.</exception>
    private async Task<AcceptedStream?> AcceptAsync(PipeReader input, CancellationToken connectionClosed)
    {
        using var timeout = new CancellationTokenSource(admission.Value.RequestHeadTimeout);
        while (true)
        {
            ReadResult read;
            try
            {
                read = await input.ReadAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested)
            {
                throw new RequestHeadTimeoutException();
            }

            var outcome = StreamRequestHead.TryParse(read.Buffer, out var head);
            if (outcome == StreamRequestHead.Outcome.NeedMore && !read.IsCompleted && !read.IsCanceled)
            {
                input.AdvanceTo(read.Buffer.Start, read.Buffer.End);
                continue;
            }

            if (head is not null)
            {
                var opening = await opener.OpenAsync(head.LastEventId, connectionClosed);
                if (opening.Client is { } client)
                {
                    input.AdvanceTo(read.Buffer.GetPosition(head.Length));
                    return new AcceptedStream(client, opening.ResumeAfter, head.TraceParent, head.TraceState);
                }

                input.AdvanceTo(read.Buffer.Start);
                // Nobody is left to answer; otherwise a refusal (Redis not answering included) is left
                // to the endpoint, which decides it again and writes the response: one place for refusals.
                connectionClosed.ThrowIfCancellationRequested();
                return null;
            }

            input.AdvanceTo(read.Buffer.Start);
            return null;
        }
    }

    // In its own method so the span, and the execution context that carries it, end with the opening.
    private async Task<bool> WriteOpeningAsync(TickClient client, AcceptedStream accepted, StreamOutput output, CancellationToken cancellationToken)
    {
        using var span = RelayActivities.StartOpening(accepted.TraceParent, accepted.TraceState);
        return await writer.WriteOpeningAsync(client, accepted.ResumeAfter, output, cancellationToken);
    }

    private sealed record AcceptedStream(TickClient Client, TickId? ResumeAfter, string? TraceParent, string? TraceState);

    // Its own type, so that only the head's timeout is taken for one: a Redis command's timeout is a
    // TimeoutException too.
    private sealed class RequestHeadTimeoutException() : TimeoutException("No request head within Admission:RequestHeadTimeout.");

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Cut a connection that sent no whole request head within {TimeoutMs} ms (Admission:RequestHeadTimeout; {Cut} so far)")]
    private partial void LogHeadTimedOut(double timeoutMs, long cut);

    [LoggerMessage(Level = LogLevel.Error, Message = "The /events stream on connection {ConnectionId} failed and was closed")]
    private partial void LogStreamFailed(Exception exception, string connectionId);
}
