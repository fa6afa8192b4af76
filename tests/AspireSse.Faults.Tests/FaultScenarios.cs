namespace AspireSse.Faults.Tests;

/// <summary>Fault scenarios run one at a time: each starts the whole system, and each measures gaps.</summary>
[CollectionDefinition(Name)]
public sealed class FaultScenarios
{
    public const string Name = "fault scenarios";
}
