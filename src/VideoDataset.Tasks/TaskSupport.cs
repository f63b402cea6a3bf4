using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using VideoDataset.Core.Dataset;
using VideoDataset.Core.Diagnostics;

namespace VideoDataset.Tasks;

static class TaskSupport
{
    /// <summary>The build's settings: the item <see cref="ResolveDatasetSettings"/> made, its metadata the properties.</summary>
    public static DatasetSettings ReadSettings(ITaskItem item) => DatasetSettings.FromProperties(item.GetMetadata);

    public static void Log(this TaskLoggingHelper log, Diagnostic d)
    {
        if (d.Severity == Severity.Error)
            log.LogError(null, d.Code, null, d.File, d.Line, d.Column, 0, 0, d.Message);
        else
            log.LogWarning(null, d.Code, null, d.File, d.Line, d.Column, 0, 0, d.Message);
    }

    public static void Error(this TaskLoggingHelper log, string code, string file, string message) =>
        log.LogError(null, code, null, file, 0, 0, 0, 0, message);
}
