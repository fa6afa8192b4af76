using System.Diagnostics;
using Microsoft.Extensions.Configuration;

namespace AspireSse.AppHost;

/// <summary>
/// Whether Docker or Podman answers on this machine, asked the way a user would check: <c>docker info</c>.
/// An installed client whose engine is not running counts as no runtime.
/// </summary>
internal static class ContainerRuntime
{
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The runtime Aspire would use (its <c>ASPIRE_CONTAINER_RUNTIME</c> setting, else docker), if its engine answers.</summary>
    public static bool Answers(IConfiguration configuration)
    {
        var runtime = configuration["ASPIRE_CONTAINER_RUNTIME"] is { Length: > 0 } configured ? configured : "docker";
        try
        {
            using var info = Process.Start(new ProcessStartInfo(runtime, "info")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            });
            if (info is null)
            {
                return false;
            }

            // Drained so a chatty client cannot block on a full pipe.
            _ = info.StandardOutput.ReadToEndAsync();
            _ = info.StandardError.ReadToEndAsync();
            if (!info.WaitForExit(AnswerTimeout))
            {
                info.Kill(entireProcessTree: true);
                return false;
            }

            return info.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // Not installed.
            return false;
        }
    }
}
