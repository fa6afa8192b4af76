using AspireSse.WebFrontend.Relay;

namespace AspireSse.WebFrontend.Tests;

public sealed class ReplicaIdentityTests
{
    [Theory]
    [InlineData("service.instance.id=webfrontend-2", "webfrontend-2")]
    [InlineData("deployment.environment=dev, service.instance.id=abc123 ,host.name=x", "abc123")]
    [InlineData("service.instance.id=web%20frontend", "web frontend")]
    public void ReplicaIdComesFromTheOpenTelemetryInstanceId(string attributes, string expected) =>
        Assert.Equal(expected, ReplicaIdentity.FromEnvironment(attributes).Id);

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("service.namespace=demo")]
    [InlineData("service.instance.id=")]
    public void ReplicaIdFallsBackToMachineAndProcess(string? attributes) =>
        Assert.Equal($"{Environment.MachineName}-{Environment.ProcessId}", ReplicaIdentity.FromEnvironment(attributes).Id);
}
