using AspireSse.TestSupport.Processes;
using Microsoft.Playwright;

namespace AspireSse.SystemTesting;

/// <summary>Saves what the page looked like under TestResults/screenshots, which ./test.sh collects.</summary>
public static class Screenshots
{
    public static string Directory { get; } = Path.Combine(ServiceBinaries.RepositoryRoot, "TestResults", "screenshots");

    public static async Task<string> SaveAsync(IPage page, string name)
    {
        ArgumentNullException.ThrowIfNull(page);
        var path = Path.Combine(Directory, name + ".png");
        await page.ScreenshotAsync(new() { Path = path, FullPage = true });
        Xunit.TestContext.Current.TestOutputHelper?.WriteLine($"screenshot: {path}");
        return path;
    }
}
