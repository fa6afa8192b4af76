namespace AspireSse.WebFrontend.Relay;

/// <summary>Whether the subscriber is in place; set by <see cref="TickSubscriber"/>.</summary>
public sealed class RelayStatus
{
    private volatile bool _subscribed;

    public bool Subscribed
    {
        get => _subscribed;
        set => _subscribed = value;
    }
}
