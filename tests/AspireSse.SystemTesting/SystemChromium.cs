namespace AspireSse.SystemTesting;

/// <summary>
/// The browser the tests drive: the machine's own Chromium, not one Playwright downloads (that
/// download is not possible everywhere these tests run, and ./test.sh installs the Debian package).
/// </summary>
public static class SystemChromium
{
    private const string Override = "ASPIRESSE_CHROMIUM";
    private const string DefaultPath = "/usr/bin/chromium";

    /// <summary>The executable, or an exception that says how to get one: a missing browser must fail, not skip.</summary>
    public static string ExecutablePath
    {
        get
        {
            var path = Environment.GetEnvironmentVariable(Override) is { Length: > 0 } configured ? configured : DefaultPath;
            return File.Exists(path)
                ? path
                : throw new InvalidOperationException(
                    $"Chromium was not found at {path}. The browser tests drive the system Chromium: install the Debian " +
                    $"package (sudo apt-get install chromium; ./test.sh does this when run as root), or set {Override} " +
                    "to the path of a Chromium or Chrome executable.");
        }
    }

    /// <summary>
    /// Flags for a headless browser in a container or CI: no sandbox (it needs privileges a
    /// container lacks), no GPU, and none of the background traffic to Google's services.
    /// </summary>
    public static IReadOnlyList<string> Arguments { get; } =
        ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
}
