namespace VideoDataset.Tasks; internal static class Placeholder {}
