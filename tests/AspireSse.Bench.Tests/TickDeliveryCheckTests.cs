using AspireSse.TestSupport;

namespace AspireSse.Bench.Tests;

/// <summary>The one rule for lost, duplicated and reordered ticks, shared by the tests and the load generator.</summary>
public sealed class TickDeliveryCheckTests
{
    [Fact]
    public void ConsecutiveTicksAreAllReceivedWithNothingLostRepeatedOrReordered()
    {
        var check = Observe(new TickDeliveryCheck(startsAfter: 0), 1, 2, 3, 4, 5);

        Assert.Equal((0L, 0L, 0L, 5L, 5L), Counts(check));
    }

    [Fact]
    public void ASkippedTickIsLostUntilItArrivesLateAndThenItIsReorderedInstead()
    {
        var check = Observe(new TickDeliveryCheck(startsAfter: 0), 1, 2, 5);
        Assert.Equal(2, check.Lost);

        check = Observe(check, 3);

        Assert.Equal((1L, 0L, 1L, 5L, 4L), Counts(check));
    }

    [Fact]
    public void ATickThatArrivedBeforeIsDuplicatedWhetherItWasTheLastOrLongAgo()
    {
        var check = Observe(new TickDeliveryCheck(startsAfter: 0), 1, 2, 2, 1);
        Assert.Equal(2, check.Duplicated);

        for (var sequence = 3; sequence <= 3 + TickDeliveryCheck.Window; sequence++)
        {
            check.Observe(sequence);
        }

        check = Observe(check, 2);

        Assert.Equal((0L, 3L, 0L), (check.Lost, check.Duplicated, check.Reordered));
    }

    [Fact]
    public void AGapWiderThanTheWindowIsLostTickForTickAndALateTickInItIsStillTold()
    {
        var check = Observe(new TickDeliveryCheck(startsAfter: 0), 1, 200, 199, 199);

        Assert.Equal((197L, 1L, 1L), (check.Lost, check.Duplicated, check.Reordered));
    }

    [Fact]
    public void TheBenchmarksClientsExpectEveryTickFromTheFirstAndUpToTheLastPublished()
    {
        var check = Observe(new TickDeliveryCheck(startsAfter: 0), 3, 4);

        Assert.Equal(2, check.Lost);
        Assert.Equal(2 + 6, check.LostUpTo(finalSequence: 10));
    }

    [Fact]
    public void AClientThatJoinsMidStreamIsCheckedFromItsFirstTick()
    {
        var check = new TickDeliveryCheck();
        check.Observe("e1", 41);
        check.Observe("e1", 42);
        check.Observe("e1", 40);

        Assert.Equal((0L, 0L, 1L), (check.Lost, check.Duplicated, check.Reordered));
    }

    [Fact]
    public void ANewEpochIsANewNumberingStartingAtItsFirstTickWhenNoResetAnnouncedIt()
    {
        var check = new TickDeliveryCheck();
        check.Observe("e1", 41);
        check.Observe("e1", 42);
        check.Observe("e2", 7);
        check.Observe("e2", 8);

        Assert.Equal((4L, 0L, 0L, 0L), (check.Received, check.Lost, check.Duplicated, check.Reordered));
        Assert.Equal(("e2", 8L), (check.Epoch, check.Highest));
    }

    [Theory]
    [InlineData("e2", 0, 3, 2)] // a new epoch starts where its reset said: ticks 1 and 2 are lost
    [InlineData("e1", 50, 51, 9)] // a reset in the current epoch hides no gap: 42 to 50 are lost
    public void AResetSaysWhereANewEpochStartsButHidesNoGapInTheCurrentOne(string epoch, long startsAfter, long next, long lost)
    {
        var check = new TickDeliveryCheck();
        check.Observe("e1", 41);
        check.Announce(epoch, startsAfter);
        check.Observe(epoch, next);

        Assert.Equal(lost, check.Lost);
    }

    [Fact]
    public void ObservingATickAllocatesNothing()
    {
        var check = new TickDeliveryCheck(startsAfter: 0);
        check.Observe("e1", 1);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var sequence = 2; sequence < 10_000; sequence++)
        {
            check.Observe("e1", sequence);
            check.Observe(sequence - 1);
        }

        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
        Assert.Equal(9_998, check.Duplicated);
    }

    private static TickDeliveryCheck Observe(TickDeliveryCheck check, params long[] sequences)
    {
        foreach (var sequence in sequences)
        {
            check.Observe(sequence);
        }

        return check;
    }

    private static (long Lost, long Duplicated, long Reordered, long Highest, long Received) Counts(TickDeliveryCheck check) =>
        (check.Lost, check.Duplicated, check.Reordered, check.Highest, check.Received);
}
