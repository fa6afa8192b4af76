namespace AspireSse.TestSupport;

/// <summary>Several one-stream clients of the same URL, opened one after another and closed together.</summary>
public sealed class SseTestClients : IAsyncDisposable
{
    private readonly List<SseTestClient> _clients = [];

    private SseTestClients()
    {
    }

    public IReadOnlyList<SseTestClient> Clients => _clients;

    /// <summary>
    /// Opens <paramref name="count"/> streams, each on a connection of its own (an open stream
    /// holds its connection), so a proxy in front picks a replica for each.
    /// </summary>
    public static async Task<SseTestClients> ConnectAsync(HttpClient http, Uri url, int count, CancellationToken cancellationToken)
    {
        var group = new SseTestClients();
        try
        {
            for (var i = 0; i < count; i++)
            {
                group._clients.Add(await SseTestClient.ConnectAsync(http, url, cancellationToken));
            }

            return group;
        }
        catch
        {
            await group.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            await client.DisposeAsync();
        }
    }
}
