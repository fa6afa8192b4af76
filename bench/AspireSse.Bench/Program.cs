using AspireSse.Bench;
using AspireSse.Bench.LoadGen;

return args is [LoadGenWorker.Command, .. var rest]
    ? await LoadGenWorker.RunAsync(rest)
    : await BenchCommand.RunAsync(args);
