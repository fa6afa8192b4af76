namespace AspireSse.TestSupport;

/// <summary>
/// Lines that say what a test measured or checked (lost ticks, trace ids, span counts). They go to
/// the console and, when <c>./test.sh</c> set <c>ASPIRESSE_REPORT_LOG</c>, to a file it prints at the end.
/// </summary>
public static class TestReport
{
    private static readonly Lock Gate = new();

    public static void Publish(string line)
    {
        Console.WriteLine(line);
        if (Environment.GetEnvironmentVariable("ASPIRESSE_REPORT_LOG") is { Length: > 0 } path)
        {
            lock (Gate)
            {
                File.AppendAllLines(path, [line]);
            }
        }
    }
}
