using AspireSse.Bench;

return await BenchCommand.RunAsync(args);
