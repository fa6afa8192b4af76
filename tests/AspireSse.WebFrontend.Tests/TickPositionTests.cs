using AspireSse.WebFrontend.Relay;

namespace AspireSse.WebFrontend.Tests;

public sealed class TickPositionTests
{
    [Theory]
    [InlineData("e1", 6, TickOrder.Next)]
    [InlineData("e1", 9, TickOrder.Gap)]
    [InlineData("e1", 5, TickOrder.Duplicate)]
    [InlineData("e1", 2, TickOrder.Duplicate)]
    [InlineData("e2", 6, TickOrder.OtherEpoch)]
    [InlineData("e2", 1, TickOrder.OtherEpoch)]
    public void ATickIsNextAGapADuplicateOrOfAnotherEpoch(string epoch, long sequence, TickOrder expected) =>
        Assert.Equal(expected, new TickPosition("e1", 5).Of(epoch, sequence));

    [Fact]
    public void APositionThatKnowsNoEpochYetTakesTheFirstTicksEpochAsItsOwn()
    {
        var unknown = new TickPosition(null, 0);

        Assert.Equal(TickOrder.Next, unknown.Of("e7", 1));
        Assert.Equal(TickOrder.Gap, unknown.Of("e7", 40));
        Assert.True(unknown.Wants("e7", 40));
    }

    [Fact]
    public void OnlyTicksNotHadInTheSameEpochAreWanted()
    {
        var position = new TickPosition("e1", 5);

        Assert.True(position.Wants("e1", 6));
        Assert.True(position.Wants("e1", 60));
        Assert.False(position.Wants("e1", 5));
        Assert.False(position.Wants("e2", 60));
    }
}
