using AspireSse.TestSupport.Processes;
using StackExchange.Redis;

namespace AspireSse.TestSupport;

/// <summary>
/// A test's own connection to the redis-server it started: to read what the services wrote, and
/// to cause faults with admin commands such as <c>CLIENT KILL</c>.
/// </summary>
public static class TestRedisClient
{
    public static Task<ConnectionMultiplexer> ConnectAsync(RedisServer redis) => ConnectAsync(redis.ConnectionString);

    /// <summary>The same, for any Redis the test has the connection string of (the AppHost's, say).</summary>
    public static Task<ConnectionMultiplexer> ConnectAsync(string connectionString)
    {
        var options = ConfigurationOptions.Parse(connectionString);
        // Some tests restart Redis under this connection: it must reconnect, not give up.
        options.AbortOnConnectFail = false;
        options.AllowAdmin = true;
        return ConnectionMultiplexer.ConnectAsync(options);
    }
}
