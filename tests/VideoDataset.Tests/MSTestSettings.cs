// End-to-end tests start `dotnet build` processes; the machine has 2 cores, so run classes in sequence.
[assembly: DoNotParallelize]
