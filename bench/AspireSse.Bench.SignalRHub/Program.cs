using AspireSse.Bench.SignalRHub;
using Microsoft.AspNetCore.Http.Connections;
using StackExchange.Redis;

// One executable, two roles (Bench:Role): the hub server whose cost the benchmark measures, and
// the feeder that publishes into it through the backplane. Splitting them keeps the hub's CPU and
// memory free of anything but fan-out, as in a scaled-out SignalR deployment where ticks come from
// another service.
var builder = WebApplication.CreateBuilder(args);
var role = builder.Configuration["Bench:Role"] ?? "hub";
var redis = builder.Configuration.GetConnectionString("redis")
    ?? throw new InvalidOperationException("ConnectionStrings:redis is not set.");

builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.AddSignalR()
    .AddStackExchangeRedis(redis, options => options.Configuration.ChannelPrefix = RedisChannel.Literal("aspiresse-bench"));
builder.Services.AddHealthChecks().AddCheck<FeederHealthCheck>("feeder");

switch (role)
{
    case "hub":
        builder.Services.AddSingleton(FeederStatus.NotAFeeder);
        break;
    case "feeder":
        builder.Services.AddSingleton<FeederStatus>();
        builder.Services.AddSingleton<IConnectionMultiplexer>(_ => ConnectionMultiplexer.Connect(redis));
        builder.Services.AddHostedService<TickFeeder>();
        break;
    default:
        throw new InvalidOperationException($"Bench:Role must be 'hub' or 'feeder', not '{role}'.");
}

var app = builder.Build();
if (role == "hub")
{
    // WebSockets only, like a production SignalR deployment behind a sticky-less load balancer.
    app.MapHub<TickHub>("/hub", options => options.Transports = HttpTransportType.WebSockets);
}

app.MapHealthChecks("/health");
app.Run();
