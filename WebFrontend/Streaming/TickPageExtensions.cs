namespace Microsoft.AspNetCore.Builder;

public static class TickPageExtensions
{
    /// <summary>Serves the page in wwwroot at <c>/</c>. Everything it needs is local: it works offline.</summary>
    public static WebApplication UseTickPage(this WebApplication app)
    {
        app.UseDefaultFiles();
        app.UseStaticFiles();
        return app;
    }
}
