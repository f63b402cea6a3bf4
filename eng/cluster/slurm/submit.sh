#!/bin/bash
# Submits the three steps of a sharded build to Slurm:
#   prepare (once) -> N array tasks (afterok: prepare) -> final (afterok: every task).
# usage: eng/cluster/slurm/submit.sh PROJECT N [sbatch options for the shards, e.g. --gres=gpu:1 -p gpu]
# Environment: VDS_BUILD_ARGS (extra dotnet build arguments for every step), VDS_LOG_DIR (default:
# slurm-logs/ beside the project). Prints the three job ids.
set -euo pipefail
if [ $# -lt 2 ]; then echo "usage: $0 PROJECT N [sbatch options for the shards]" >&2; exit 2; fi
project=$(realpath "$1"); count=$2; shift 2
here=$(dirname "$(realpath "$0")")
logs=${VDS_LOG_DIR:-$(dirname "$project")/slurm-logs}
mkdir -p "$logs"
export VDS_PROJECT="$project" VDS_SHARD_COUNT="$count"
prepare=$(sbatch --parsable --export=ALL -o "$logs/prepare-%j.log" "$here/prepare.sbatch")
shards=$(sbatch --parsable --export=ALL --dependency="afterok:$prepare" --array="0-$((count - 1))" \
  -o "$logs/shard-%A_%a.log" "$@" "$here/shard.sbatch")
final=$(sbatch --parsable --export=ALL --dependency="afterok:$shards" -o "$logs/final-%j.log" "$here/final.sbatch")
echo "prepare=$prepare shards=$shards final=$final"
