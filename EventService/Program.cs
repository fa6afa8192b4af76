var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddTicker();

var app = builder.Build();

app.MapDefaultEndpoints();

app.Run();
