using System.Security.Cryptography;
using System.Text.Json;
using AspireSse.Contracts;
using StackExchange.Redis;

namespace AspireSse.EventService.Ticking;

/// <summary>Outcome of one publish attempt.</summary>
public enum PublishOutcome
{
    Published,

    /// <summary>Another instance holds the lease (or it expired): this one must stop ticking.</summary>
    NotLeader,

    /// <summary>The counter or the epoch is not where the publisher expected: resynchronize.</summary>
    Moved,

    /// <summary>Written, but too few replicas acknowledged it in time: held back, to be released at the next attempt.</summary>
    NotAcknowledged,
}

/// <summary>Where the numbering stands in Redis: <paramref name="Counter"/> is the last tick released to readers.</summary>
public readonly record struct TickPosition(string Epoch, long Counter);

/// <summary>
/// Everything the EventService does in Redis, each step one atomic script: take and keep the
/// single-writer lease, find (or start) the epoch, and publish a tick into counter, history stream
/// and channel together.
/// </summary>
public sealed class TickPublisher(IConnectionMultiplexer redis)
{
    // Returns 2 when the lease was just taken, 1 when it was ours and is renewed, 0 when another
    // instance holds it.
    private static readonly LuaScript AcquireOrRenewScript = LuaScript.Prepare(
        """
        local holder = redis.call('GET', @leader)
        if holder == @token then
          redis.call('PEXPIRE', @leader, @leaseMs)
          return 1
        end
        if not holder then
          redis.call('SET', @leader, @token, 'PX', @leaseMs)
          return 2
        end
        return 0
        """);

    private static readonly LuaScript ReleaseScript = LuaScript.Prepare(
        """
        if redis.call('GET', @leader) == @token then
          return redis.call('DEL', @leader)
        end
        return 0
        """);

    // A missing epoch means Redis lost its data (or never had any): start a new epoch from 1 and
    // drop whatever stream or counter is left, so ids can never be confused across the restart.
    private static readonly LuaScript EnsureEpochScript = LuaScript.Prepare(
        """
        local epoch = redis.call('GET', @epochKey)
        if not epoch then
          redis.call('DEL', @counter, @published, @stream)
          redis.call('SET', @epochKey, @candidate)
          epoch = @candidate
        end
        local counter = redis.call('GET', @counter) or '0'
        local published = redis.call('GET', @published)
        if not published then
          -- Data written before the released mark existed: all of it was published.
          published = counter
          redis.call('SET', @published, published)
        end
        return {epoch, published}
        """);

    // The shared head of the publish scripts: the lease must still be this instance's (a deposed
    // leader cannot publish: fencing), the epoch the one the publisher read, and the sequence the one
    // after the last released (the epoch step always sets the released mark).
    private const string CheckLeaseAndPosition =
        """
        if redis.call('GET', @leader) ~= @token then
          return 0
        end
        if redis.call('GET', @epochKey) ~= @epoch then
          return 2
        end
        local counter = tonumber(redis.call('GET', @counter) or '0')
        local published = tonumber(redis.call('GET', @published) or '0')
        if published + 1 ~= tonumber(@sequence) then
          return 2
        end
        """;

    // A written tick that is not released yet is released with the JSON the stream holds, never a
    // new one: whoever wrote it, the content readers see is the content a replica may have received.
    private const string ReadWrittenPayload =
        """
        local entries = redis.call('XRANGE', @stream, @sequence .. '-0', @sequence .. '-0')
        if #entries == 0 then
          return 2
        end
        local fields = entries[1][2]
        for i = 1, #fields, 2 do
          if fields[i] == @field then
            payload = fields[i + 1]
          end
        end
        if not payload then
          return 2
        end
        """;

    // Without replicas to wait for: write and release in one step. Counter, history, the released
    // mark and the channel move together or not at all, and a retried call cannot publish a number
    // twice. XADD runs before SET: if the stream rejects the id, nothing has changed.
    private static readonly LuaScript PublishScript = LuaScript.Prepare(
        CheckLeaseAndPosition + "\n" +
        """
        local payload = nil
        if counter == published then
          redis.call('XADD', @stream, 'MAXLEN', '~', @historyLength, @sequence .. '-0', @field, @payload)
          redis.call('SET', @counter, @sequence)
          payload = @payload
        elseif counter ~= tonumber(@sequence) then
          return 2
        else
        """ + "\n" + ReadWrittenPayload + "\n" +
        """
        end
        redis.call('SET', @published, @sequence)
        redis.call('PEXPIRE', @leader, @leaseMs)
        redis.call('PUBLISH', @channel, payload)
        return 1
        """);

    // With replicas: first write the tick to the stream and the counter, unreleased (1); or, when
    // it is already written and waits (3), only renew the lease — a write, so that the WAIT that
    // follows on this connection covers everything before it.
    private static readonly LuaScript WriteScript = LuaScript.Prepare(
        CheckLeaseAndPosition + "\n" +
        """
        if counter == published then
          redis.call('XADD', @stream, 'MAXLEN', '~', @historyLength, @sequence .. '-0', @field, @payload)
          redis.call('SET', @counter, @sequence)
          redis.call('PEXPIRE', @leader, @leaseMs)
          return 1
        end
        if counter == tonumber(@sequence) then
          redis.call('PEXPIRE', @leader, @leaseMs)
          return 3
        end
        return 2
        """);

    // Where the primary's replication stream stands: its replication id and offset. A script, because
    // clients such as StackExchange.Redis send INFO only over admin connections.
    private static readonly LuaScript ReplicationMarkScript = LuaScript.Prepare(
        """
        local replication = redis.call('INFO', 'replication')
        return {string.match(replication, 'master_replid:(%x+)'), string.match(replication, 'master_repl_offset:(%d+)')}
        """);

    // Then, once the replicas acknowledged it, release it: mark it published and publish what the
    // stream holds. Checked again, on whatever server is the primary now, and only if enough replicas
    // have acknowledged the replication stream up to the mark read after the write (else: not acknowledged). WAIT
    // alone rests on what Redis noted for the connection it ran on, which need not be the one that
    // wrote (a reconnect in between, a proxy); the replicas' acknowledged offsets do not. The
    // replication id must still be the mark's: after a failover or a restart, offsets count another history.
    private static readonly LuaScript ReleaseWrittenScript = LuaScript.Prepare(
        CheckLeaseAndPosition + "\n" +
        """
        if counter ~= tonumber(@sequence) then
          return 2
        end
        local replication = redis.call('INFO', 'replication')
        if string.match(replication, 'master_replid:(%x+)') ~= @replicationId then
          return 4
        end
        local holding = 0
        for offset in string.gmatch(replication, 'slave%d+:[^\r\n]*state=online,offset=(%d+)') do
          if tonumber(offset) >= tonumber(@replicationOffset) then
            holding = holding + 1
          end
        end
        if holding < tonumber(@replicas) then
          return 4
        end
        local payload = nil
        """ + "\n" + ReadWrittenPayload + "\n" +
        """
        redis.call('SET', @published, @sequence)
        redis.call('PEXPIRE', @leader, @leaseMs)
        redis.call('PUBLISH', @channel, payload)
        return 1
        """);

    /// <summary>This instance's lease token: unique per process start.</summary>
    public string Token { get; } = $"{Environment.MachineName}-{Environment.ProcessId}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}";

    /// <summary>Takes the lease if free, renews it if ours. True while this instance is the leader.</summary>
    public async Task<(bool IsLeader, bool JustAcquired)> AcquireOrRenewLeaseAsync(TimeSpan lease)
    {
        var result = (int)await redis.GetDatabase().ScriptEvaluateAsync(AcquireOrRenewScript,
            new { leader = TickRedisKeys.Leader, token = Token, leaseMs = (long)lease.TotalMilliseconds });
        return (result > 0, result == 2);
    }

    public async Task ReleaseLeaseAsync() =>
        await redis.GetDatabase().ScriptEvaluateAsync(ReleaseScript, new { leader = TickRedisKeys.Leader, token = Token });

    public async Task<TickPosition> EnsureEpochAsync()
    {
        var result = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(EnsureEpochScript, new
        {
            epochKey = TickRedisKeys.Epoch,
            counter = TickRedisKeys.Counter,
            published = TickRedisKeys.Published,
            stream = TickRedisKeys.Stream,
            candidate = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)),
        }))!;
        return new TickPosition((string)result[0]!, (long)result[1]);
    }

    /// <summary>
    /// Retires the epoch when Redis's count is behind <paramref name="released"/>, a tick this instance
    /// released: Redis came back with older data (<see cref="TickRollback"/>).
    /// </summary>
    public Task<bool> RetireEpochIfBehindAsync(TickId released) => redis.GetDatabase().RetireEpochIfBehindAsync(released);

    /// <summary>Writes and releases the tick in one step: for a Redis without replicas to wait for.</summary>
    public async Task<PublishOutcome> PublishAsync(Tick tick, int historyLength, TimeSpan lease) =>
        Outcome(await redis.GetDatabase().ScriptEvaluateAsync(PublishScript, Arguments(tick, historyLength, lease)));

    /// <summary>
    /// Writes the tick (or finds it already written), waits until <paramref name="replicas"/> replicas
    /// hold everything written so far (<c>WAIT</c>), and releases it only if the primary, in the same
    /// step, still sees them holding it. A tick that a failover could take back is never published nor replayed.
    /// </summary>
    public async Task<PublishOutcome> PublishAcknowledgedAsync(Tick tick, int historyLength, TimeSpan lease, int replicas, TimeSpan timeout)
    {
        var db = redis.GetDatabase();
        var arguments = Arguments(tick, historyLength, lease);
        var written = (int)await db.ScriptEvaluateAsync(WriteScript, arguments);
        if (written is not (1 or 3))
        {
            return Outcome(written);
        }

        // The mark the release checks: where the primary's replication stream stands now that the write
        // is done. WAIT, sent right behind it, makes the replicas report where they are, and waits for the
        // offset Redis noted for its connection after that connection's last command: the mark's.
        var replication = db.ScriptEvaluateAsync(ReplicationMarkScript);
        var acknowledged = db.ExecuteAsync("WAIT", replicas, (long)timeout.TotalMilliseconds);
        await Task.WhenAll(replication, acknowledged);
        if ((long)await acknowledged < replicas)
        {
            return PublishOutcome.NotAcknowledged;
        }

        var mark = (RedisResult[])(await replication)!;
        return Outcome(await db.ScriptEvaluateAsync(ReleaseWrittenScript,
            Arguments(tick, historyLength, lease, (string)mark[0]!, (long)mark[1], replicas)));
    }

    private static PublishOutcome Outcome(RedisResult result) => Outcome((int)result);

    private static PublishOutcome Outcome(int result) => result switch
    {
        1 => PublishOutcome.Published,
        0 => PublishOutcome.NotLeader,
        4 => PublishOutcome.NotAcknowledged,
        _ => PublishOutcome.Moved,
    };

    private object Arguments(Tick tick, int historyLength, TimeSpan lease, string replicationId = "", long replicationOffset = 0,
        int replicas = 0) => new
    {
        leader = TickRedisKeys.Leader,
        token = Token,
        epochKey = TickRedisKeys.Epoch,
        epoch = tick.Epoch,
        counter = TickRedisKeys.Counter,
        published = TickRedisKeys.Published,
        stream = TickRedisKeys.Stream,
        sequence = tick.Sequence,
        historyLength,
        field = TickRedisKeys.StreamField,
        payload = JsonSerializer.SerializeToUtf8Bytes(tick, TickJsonContext.Default.Tick),
        leaseMs = (long)lease.TotalMilliseconds,
        channel = (RedisValue)TickRedisKeys.Channel.ToString(),
        replicationId,
        replicationOffset,
        replicas,
    };
}
