#!/usr/bin/env bash
# Regenerates the bundled sample: small 128x80 clips at 16 fps with motion, 3-s (49 frames) and
# 9-s (145 frames) videos, the 9-s ones holding scene changes. The committed files came from this
# script; it needs only ffmpeg. Usage: bash sample/make-sample.sh
set -euo pipefail
cd "$(dirname "$0")"
S=128x80
enc=(-c:v libx264 -preset veryslow -crf 28 -pix_fmt yuv420p -r 16 -an -y)
src() { # name -> an ffmpeg lavfi source with motion
  case "$1" in
    bars)  echo "testsrc2=size=$S:rate=16" ;;
    zoom)  echo "mandelbrot=size=$S:rate=16:end_scale=0.01" ;;
    life)  echo "life=size=$S:rate=16:mold=10:ratio=0.3:seed=7:death_color=#203040:life_color=#e0c040" ;;
    rings) echo "testsrc=size=$S:rate=16,hue=H=2*PI*t:s=1.5" ;;
    cells) echo "cellauto=size=$S:rate=16:rule=110:seed=3,scale=$S" ;;
  esac
}
one() { # out frames source
  ffmpeg -loglevel error -f lavfi -i "$(src "$3")" -frames:v "$2" "${enc[@]}" "$1"
}
cut3() { # out sourceA framesA sourceB framesB sourceC framesC: three scenes in one clip
  ffmpeg -loglevel error -f lavfi -i "$(src "$2")" -f lavfi -i "$(src "$4")" -f lavfi -i "$(src "$6")" -filter_complex \
    "[0]trim=end_frame=$3,setpts=PTS-STARTPTS[a];[1]trim=end_frame=$5,setpts=PTS-STARTPTS[b];[2]trim=end_frame=$7,setpts=PTS-STARTPTS[c];[a][b][c]concat=n=3:v=1[v]" \
    -map "[v]" -frames:v $(($3 + $5 + $7)) "${enc[@]}" "$1"
}
mkdir -p episodes/ep01 episodes/ep02
one episodes/ep01/seq_0000.mp4 49 bars
one episodes/ep01/seq_0001.mp4 49 zoom
cut3 episodes/ep01/seq_0002.mp4 bars 49 zoom 48 life 48      # scenes change at 3 s and 6 s
one episodes/ep02/seq_0000.mp4 49 rings
cut3 episodes/ep02/seq_0001.mp4 cells 97 rings 24 life 24    # a scene change inside the last segment
