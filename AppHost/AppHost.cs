// What the AppHost runs, in the order it starts:
//   redis         counter, tick history and channel: the Redis container where Docker or Podman
//                 answers, else redis-server as an executable (RedisResources.cs); or, with
//                 Redis:Topology=sentinel, a primary, a replica and three Sentinels (RedisSentinelResources.cs)
//   eventservice  two instances: one holds the lease in Redis and ticks, the other stands by
//   webfrontend   three replicas relaying the ticks over SSE, behind one URL (Aspire's proxy)
using AspireSse.AppHost;

var builder = DistributedApplication.CreateBuilder(args);

var redis = builder.AddRedisFromConfiguration("redis");

// A second instance shows the single-writer lease at work: kill the one that ticks and the other
// takes over without a number published twice or skipped.
var eventService = builder.AddProject<Projects.AspireSse_EventService>("eventservice")
    .WithReplicas(2)
    .WithReference(redis)
    .WaitFor(redis)
    .WithReplicaAcknowledgements(builder.Configuration)
    .WithHttpHealthCheck("/health");

// Three replicas behind Aspire's proxy show that every instance relays the same ticks. The proxy
// picks a replica per connection and stops sending to one that has stopped; a client that lands on
// a dead or draining replica reconnects with its Last-Event-ID and lands elsewhere.
// Waiting for the publisher means a healthy frontend is one whose stream is already ticking.
builder.AddProject<Projects.AspireSse_WebFrontend>("webfrontend")
    .WithReplicas(3)
    .WithExternalHttpEndpoints()
    .WithPublicUrl(builder.Configuration)
    .WithReference(redis)
    .WaitFor(redis)
    .WaitFor(eventService)
    .WithHttpHealthCheck("/health");

builder.Build().Run();
