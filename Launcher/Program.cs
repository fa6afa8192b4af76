using AspireSse.Launcher;

return await LauncherCommand.RunAsync(args);
