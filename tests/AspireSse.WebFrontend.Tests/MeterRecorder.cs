using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace AspireSse.WebFrontend.Tests;

/// <summary>
/// Sums what the instruments of one private <see cref="IMeterFactory"/> record, so a test sees only
/// the measurements of the objects it built.
/// </summary>
internal sealed class MeterRecorder : IDisposable
{
    private readonly ServiceProvider _services;
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, long> _sums = new();

    public MeterRecorder()
    {
        _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        Factory = _services.GetRequiredService<IMeterFactory>();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, Factory))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
            _sums.AddOrUpdate(instrument.Name, value, (_, sum) => sum + value));
        _listener.Start();
    }

    public IMeterFactory Factory { get; }

    public long Sum(string instrument) => _sums.GetValueOrDefault(instrument);

    public void Dispose()
    {
        _listener.Dispose();
        _services.Dispose();
    }
}
