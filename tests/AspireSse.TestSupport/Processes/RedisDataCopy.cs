namespace AspireSse.TestSupport.Processes;

/// <summary>
/// A copy of a stopped or running redis-server's data directory (its append-only file), taken now and
/// put back later: Redis coming back with older data, as after a restore, a lost disk, or a container
/// that kept only its last snapshot. Disposing it deletes the copy.
/// </summary>
public sealed class RedisDataCopy : IDisposable
{
    private readonly string _copy;

    private RedisDataCopy(string copy) => _copy = copy;

    /// <summary>
    /// Copies <paramref name="dataDirectory"/> as it stands. Redis may be appending meanwhile; a copy cut
    /// mid-command is what a crash leaves too, and Redis loads it up to the last whole command.
    /// </summary>
    public static RedisDataCopy Take(string dataDirectory)
    {
        var copy = Directory.CreateTempSubdirectory("aspiresse-redis-older-").FullName;
        CopyDirectory(dataDirectory, copy);
        return new RedisDataCopy(copy);
    }

    /// <summary>Replaces everything in <paramref name="dataDirectory"/> (Redis must be stopped) with the copy.</summary>
    public void RestoreInto(string dataDirectory)
    {
        DeleteContents(dataDirectory);
        CopyDirectory(_copy, dataDirectory);
    }

    /// <summary>Empties a (stopped) server's data directory: Redis coming back with no data at all.</summary>
    public static void DeleteContents(string dataDirectory)
    {
        foreach (var entry in new DirectoryInfo(dataDirectory).EnumerateFileSystemInfos())
        {
            if (entry is DirectoryInfo directory)
            {
                directory.Delete(recursive: true);
            }
            else
            {
                entry.Delete();
            }
        }
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_copy, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory is not worth failing a test over.
        }
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)), overwrite: true);
        }

        foreach (var directory in Directory.EnumerateDirectories(from))
        {
            CopyDirectory(directory, Path.Combine(to, Path.GetFileName(directory)));
        }
    }
}
