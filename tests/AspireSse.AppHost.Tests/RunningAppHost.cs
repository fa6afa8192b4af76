using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace AspireSse.AppHost.Tests;

/// <summary>
/// The AppHost started as <c>dotnet run --project AppHost</c> starts it, through Aspire.Hosting.Testing.
/// Disposing it stops every resource.
/// </summary>
internal sealed class RunningAppHost : IAsyncDisposable
{
    private readonly IDistributedApplicationTestingBuilder _builder;

    private RunningAppHost(IDistributedApplicationTestingBuilder builder, DistributedApplication app)
    {
        _builder = builder;
        App = app;
    }

    public DistributedApplication App { get; }

    /// <summary>True when the AppHost runs redis-server (a resource named redis-server) instead of the container.</summary>
    public bool RedisIsExecutable =>
        App.Services.GetRequiredService<DistributedApplicationModel>().Resources.Any(r => r is ExecutableResource { Name: "redis-server" });

    /// <summary>
    /// Every resource the AppHost starts by itself; hidden ones that start on request (such as the
    /// rebuilder Aspire adds for each project) are left out, since they never run in a test.
    /// </summary>
    public IReadOnlyList<string> StartedResources =>
        [.. App.Services.GetRequiredService<DistributedApplicationModel>().Resources
            .Where(r => !r.HasAnnotationOfType<ExplicitStartupAnnotation>())
            .Select(r => r.Name)];

    public static async Task<RunningAppHost> StartAsync(CancellationToken cancellationToken)
    {
        var builder = await DistributedApplicationTestingBuilder
            .CreateAsync<Projects.AspireSse_AppHost>(cancellationToken)
            .WaitAsync(cancellationToken);
        DistributedApplication? app = null;
        try
        {
            app = await builder.BuildAsync(cancellationToken).WaitAsync(cancellationToken);
            await app.StartAsync(cancellationToken).WaitAsync(cancellationToken);
            return new RunningAppHost(builder, app);
        }
        catch
        {
            if (app is not null)
            {
                await app.DisposeAsync();
            }

            await builder.DisposeAsync();
            throw;
        }
    }

    /// <summary>Waits until the resource (any replica of it) is healthy; fails at once if it cannot start.</summary>
    public Task WaitHealthyAsync(string resource, CancellationToken cancellationToken) =>
        App.ResourceNotifications
            .WaitForResourceHealthyAsync(resource, WaitBehavior.StopOnResourceUnavailable, cancellationToken)
            .WaitAsync(cancellationToken);

    public Task WaitAllHealthyAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(StartedResources.Select(r => WaitHealthyAsync(r, cancellationToken)));

    public async ValueTask DisposeAsync()
    {
        await App.DisposeAsync();
        await _builder.DisposeAsync();
    }
}
