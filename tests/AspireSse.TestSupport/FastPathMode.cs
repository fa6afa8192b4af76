namespace AspireSse.TestSupport;

/// <summary>
/// Whether the WebFrontends under test run with their fast path (<c>WebFrontend/FastPath</c>) or as
/// the plain pattern. Behaviour tests take it as a parameter and run both ways: the fast path may
/// change what a stream costs, never what a client sees.
/// </summary>
public enum FastPathMode
{
    On,
    Off,
}

public static class FastPathSetting
{
    /// <summary>The WebFrontend setting, as an environment variable.</summary>
    public const string Name = "FastPath__Enabled";

    public static string Value(this FastPathMode fastPath) => fastPath == FastPathMode.On ? "true" : "false";
}
