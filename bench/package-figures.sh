#!/usr/bin/env bash
# Figures of the packages as a user gets them (bench/README.md, "Packages"): package sizes, the first
# restore into an empty NuGet folder (download, disk, time), and the first and no-op builds of the
# bundled sample by a consumer outside the repository, next to the same builds of the in-repo Dataset.proj.
# Usage: bench/package-figures.sh [work-dir]   (needs network access to nuget.org)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-$(mktemp -d /tmp/vds-figures-XXXX)}
feed=$work/feed
version=0.1.0-figures.$(date -u +%Y%m%d%H%M%S)
mkdir -p "$feed" "$work/consumer"

secs() { local s=$(date +%s.%N); "$@" > "$work/last.log" 2>&1 || { cat "$work/last.log"; exit 1; }; echo "$(date +%s.%N) - $s" | bc; }

for p in Build Sdk Templates; do
  dotnet pack "$repo/src/VideoDataset.$p" -nologo -v:q -o "$feed" -p:VideoDatasetVersion="$version" > /dev/null
done
ls -l "$feed" | awk 'NR>1 {printf "package %s: %d bytes\n", $9, $5}'

cat > "$work/nuget.config" <<XML
<configuration><packageSources><clear /><add key="local" value="$feed" /><add key="nuget.org" value="https://api.nuget.org/v3/index.json" /></packageSources></configuration>
XML
cp -r "$repo/sample/episodes" "$repo/sample/annotations.jsonl" "$work/consumer/"
cat > "$work/consumer/MyDataset.proj" <<XML
<Project Sdk="Microsoft.Build.NoTargets/3.7.0">
  <PropertyGroup><TargetFramework>net10.0</TargetFramework><ModelDir>tiny</ModelDir><FrameWidth>128</FrameWidth><FrameHeight>80</FrameHeight></PropertyGroup>
  <ItemGroup><PackageReference Include="VideoDataset.Build" Version="$version" /></ItemGroup>
</Project>
XML
cd "$work/consumer"
export NUGET_PACKAGES=$work/packages   # empty: what a new machine downloads
echo "first restore: $(secs dotnet restore -nologo) s"
echo "first restore: $(find "$NUGET_PACKAGES" -name '*.nupkg' -printf '%s\n' | awk '{s+=$1} END {printf "%.0f MB downloaded", s/1e6}'), $(du -sm "$NUGET_PACKAGES" | cut -f1) MB on disk"
echo "consumer first build: $(secs dotnet build -nologo -v:m -nodeReuse:false --no-restore) s"
echo "consumer no-op build: $(secs dotnet build -nologo -v:m -nodeReuse:false) s"
grep -q "5 videos (0 to encode), 7 distinct texts (0 to encode)" "$work/last.log"

cd "$repo"
unset NUGET_PACKAGES
dotnet build src/VideoDataset.Worker -nologo -v:q > /dev/null   # the tools, built as the in-repo build finds them
rm -rf sample/dataset obj/VideoDataset
echo "in-repo first build: $(secs dotnet build Dataset.proj -nologo -v:m -nodeReuse:false) s"
echo "in-repo no-op build: $(secs dotnet build Dataset.proj -nologo -v:m -nodeReuse:false) s"
diff -r -x .videodataset.lock sample/dataset "$work/consumer/dataset" && echo "consumer and in-repo datasets: identical"
