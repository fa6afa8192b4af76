var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddTickRelay();
builder.AddAdmission();
builder.AddPortSharing();
builder.AddStreamAuthorization();
builder.AddFastPath();

var app = builder.Build();

app.UseTickPage();
app.MapTickStream();
app.MapTickStats();
app.MapDefaultEndpoints();

app.Run();
