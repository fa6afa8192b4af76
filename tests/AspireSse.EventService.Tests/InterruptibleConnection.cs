using System.Reflection;
using System.Runtime.ExceptionServices;
using StackExchange.Redis;

namespace AspireSse.EventService.Tests;

/// <summary>
/// A StackExchange.Redis connection for the code under test that misbehaves once, when armed: it loses
/// its connection to Redis right after the next script is answered (<c>CLIENT KILL</c>, as a server or
/// a network would drop it) and hands that answer back only once it has reconnected, so whatever the
/// code sends next runs on a new connection; or it answers the next <c>WAIT</c> itself, at once, with
/// as many replicas as asked for, as Redis answers a WAIT that has nothing to wait for (sent elsewhere
/// than the writes, by a proxy, or first on a connection without a password).
/// </summary>
internal sealed class InterruptibleConnection : IAsyncDisposable
{
    private const string ClientName = "interruptible";
    private static readonly TimeSpan ReconnectTimeout = TimeSpan.FromSeconds(30);

    private readonly ConnectionMultiplexer _inner;
    private readonly ConnectionMultiplexer _admin;
    private int _armed;
    private int _waitAnsweredAtOnce;

    private InterruptibleConnection(ConnectionMultiplexer inner, ConnectionMultiplexer admin)
    {
        _inner = inner;
        _admin = admin;
        var multiplexer = DispatchProxy.Create<IConnectionMultiplexer, Forwarder>();
        ((Forwarder)(object)multiplexer).Initialize(inner, this);
        Multiplexer = multiplexer;
    }

    /// <summary>The connection to hand the code under test.</summary>
    public IConnectionMultiplexer Multiplexer { get; }

    public static async Task<InterruptibleConnection> ConnectAsync(string connectionString)
    {
        var options = ConfigurationOptions.Parse(connectionString);
        options.ClientName = ClientName;
        var admin = ConfigurationOptions.Parse(connectionString);
        admin.AllowAdmin = true;
        return new InterruptibleConnection(await ConnectionMultiplexer.ConnectAsync(options), await ConnectionMultiplexer.ConnectAsync(admin));
    }

    /// <summary>The next script's answer comes back only after the connection was lost and made again.</summary>
    public void InterruptAfterNextScript() => Interlocked.Exchange(ref _armed, 1);

    /// <summary>The next WAIT is answered at once, as if every replica it asks for held everything.</summary>
    public void AnswerNextWaitAtOnce() => Interlocked.Exchange(ref _waitAnsweredAtOnce, 1);

    private Task<RedisResult>? AnswerWait(object?[] args)
    {
        if (args is [string command, object?[] { Length: > 0 } arguments, ..]
            && command.Equals("WAIT", StringComparison.OrdinalIgnoreCase)
            && Interlocked.Exchange(ref _waitAnsweredAtOnce, 0) == 1)
        {
            return Task.FromResult(RedisResult.Create(Convert.ToInt64(arguments[0], System.Globalization.CultureInfo.InvariantCulture)));
        }

        return null;
    }

    private async Task<RedisResult> AfterScriptAsync(Task<RedisResult> script)
    {
        var result = await script;
        if (Interlocked.Exchange(ref _armed, 0) == 1)
        {
            await ReconnectAsync();
        }

        return result;
    }

    private async Task ReconnectAsync()
    {
        var restored = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        EventHandler<ConnectionFailedEventArgs> onRestored = (_, e) =>
        {
            if (e.ConnectionType == ConnectionType.Interactive)
            {
                restored.TrySetResult();
            }
        };
        _inner.ConnectionRestored += onRestored;
        try
        {
            var server = _admin.GetServers().Single();
            var killed = 0L;
            foreach (var client in (await server.ClientListAsync()).Where(c => c.Name == ClientName))
            {
                killed += await server.ClientKillAsync(client.Id);
            }

            if (killed == 0)
            {
                throw new InvalidOperationException($"No connection named {ClientName} was there to kill.");
            }

            await restored.Task.WaitAsync(ReconnectTimeout);
        }
        finally
        {
            _inner.ConnectionRestored -= onRestored;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _inner.DisposeAsync();
        await _admin.DisposeAsync();
    }

    /// <summary>Forwards every call to the real connection; the databases it hands out are forwarders too.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1852:Seal internal types",
        Justification = "DispatchProxy derives the proxy type from it.")]
    internal class Forwarder : DispatchProxy
    {
        private object _target = null!;
        private InterruptibleConnection _owner = null!;

        public void Initialize(object target, InterruptibleConnection owner)
        {
            _target = target;
            _owner = owner;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            if (targetMethod!.Name == nameof(IDatabaseAsync.ExecuteAsync) && _owner.AnswerWait(args ?? []) is { } answered)
            {
                return answered;
            }

            object? result;
            try
            {
                result = targetMethod.Invoke(_target, args);
            }
            catch (TargetInvocationException ex) when (ex.InnerException is not null)
            {
                ExceptionDispatchInfo.Capture(ex.InnerException).Throw();
                throw;
            }

            switch (result)
            {
                case IDatabase database when targetMethod.ReturnType == typeof(IDatabase):
                    var forwarder = DispatchProxy.Create<IDatabase, Forwarder>();
                    ((Forwarder)(object)forwarder).Initialize(database, _owner);
                    return forwarder;
                case Task<RedisResult> script when targetMethod.Name == nameof(IDatabaseAsync.ScriptEvaluateAsync):
                    return _owner.AfterScriptAsync(script);
                default:
                    return result;
            }
        }
    }
}
