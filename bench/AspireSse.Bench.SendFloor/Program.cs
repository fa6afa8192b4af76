using System.Net;
using System.Net.Sockets;
using AspireSse.Bench.SendFloor;
using StackExchange.Redis;

// Settings come as for the other benchmark processes: a URL to listen on and a Redis connection string.
var url = new Uri(Environment.GetEnvironmentVariable("ASPNETCORE_URLS")
    ?? throw new InvalidOperationException("ASPNETCORE_URLS is not set."));
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

using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
listener.Bind(new IPEndPoint(IPAddress.Parse(url.Host), url.Port));
listener.Listen(4096);
Console.WriteLine($"send floor listening on {url}");

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
