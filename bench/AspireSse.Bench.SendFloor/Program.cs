using System.Net;
using System.Net.Sockets;
using AspireSse.Bench.SendFloor;
using StackExchange.Redis;

// Settings come as for the other benchmark processes: URLs to listen on (';'-separated: its own, and
// one shared with the other floor processes) and a Redis connection string.
var urls = (Environment.GetEnvironmentVariable("ASPNETCORE_URLS")
    ?? throw new InvalidOperationException("ASPNETCORE_URLS is not set.")).Split(';').Select(u => new Uri(u)).ToList();
var redisConnection = Environment.GetEnvironmentVariable("ConnectionStrings__redis")
    ?? throw new InvalidOperationException("ConnectionStrings__redis is not set.");

using var stop = new CancellationTokenSource();
AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.Cancel();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};

var fanOut = new FloorFanOut();
await using var redis = await ConnectionMultiplexer.ConnectAsync(redisConnection);
await fanOut.SubscribeAsync(redis.GetSubscriber());

var listeners = urls.Select(Listen).ToList();
Console.WriteLine($"send floor listening on {string.Join(", ", urls)}");
await Task.WhenAll(listeners.Select(AcceptAllAsync));
foreach (var listener in listeners)
{
    listener.Dispose();
}

async Task AcceptAllAsync(Socket listener)
{
    try
    {
        while (true)
        {
            var socket = await listener.AcceptAsync(stop.Token);
            _ = fanOut.AcceptAsync(socket, stop.Token);
        }
    }
    catch (OperationCanceledException) when (stop.IsCancellationRequested)
    {
    }
}

static Socket Listen(Uri url)
{
    var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    // SO_REUSEPORT (Linux): several floor processes share one port, as our replicas do (PortSharing:Port).
    listener.SetRawSocketOption(1, 15, BitConverter.GetBytes(1));
    listener.Bind(new IPEndPoint(IPAddress.Parse(url.Host), url.Port));
    listener.Listen(4096);
    return listener;
}
