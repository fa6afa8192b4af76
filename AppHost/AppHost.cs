// What the AppHost runs, in the order it starts:
//   redis         counter, tick history and channel: a container by default, or a local redis-server
//                 with Redis:RunAs=executable (RedisResources.cs)
//   eventservice  publishes the ticks; healthy once it has published
//   webfrontend   three replicas relaying the ticks over SSE, behind Aspire's proxy
using AspireSse.AppHost;

var builder = DistributedApplication.CreateBuilder(args);

var redis = builder.AddRedisFromConfiguration("redis");

var eventService = builder.AddProject<Projects.AspireSse_EventService>("eventservice")
    .WithReference(redis)
    .WaitFor(redis)
    .WithHttpHealthCheck("/health");

// Three replicas behind Aspire's proxy show that every instance relays the same ticks.
// Waiting for the publisher means a healthy frontend is one whose stream is already ticking.
builder.AddProject<Projects.AspireSse_WebFrontend>("webfrontend")
    .WithReplicas(3)
    .WithExternalHttpEndpoints()
    .WithReference(redis)
    .WaitFor(redis)
    .WaitFor(eventService)
    .WithHttpHealthCheck("/health");

builder.Build().Run();
