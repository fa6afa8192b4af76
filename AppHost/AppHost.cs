var builder = DistributedApplication.CreateBuilder(args);

// The counter and the tick history live in Redis: a data volume (which also turns on Redis
// persistence) keeps the count going across container restarts.
var redis = builder.AddRedis("redis")
    .WithDataVolume();

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
