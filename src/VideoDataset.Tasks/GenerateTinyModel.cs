namespace VideoDataset.Tasks;

/// <summary>Builds the ModelDir=tiny models (deterministic small weights) in obj/ on first use.</summary>
public sealed class GenerateTinyModel : WorkerTask
{
    protected override string Stage => "tiny-model";
    string _root = "";
    protected override string GenerateCommandLineCommands() => $"\"{WorkerPath}\" tiny-model --out \"{_root}\"";

    public override bool Execute()
    {
        _root = TaskSupport.ReadSettings(Settings).TinyModelRoot;
        if (File.Exists(Path.Combine(_root, ".complete"))) return true;
        if (RefuseInQuestionMode(1, "tiny models")) return false;
        return base.Execute() && !Log.HasLoggedErrors;
    }
}
