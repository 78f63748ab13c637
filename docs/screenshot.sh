#!/bin/sh
# Renders a run as the HTML ladder diagram and takes a PNG screenshot of it
# with headless Chromium.
#
# Usage:
#   docs/screenshot.sh INPUT OUT.png [FRAGMENT] [WIDTH,HEIGHT]
#
# INPUT is a scenario (.ron), which is run with `tlsim run --format html`
# from the release build (built first if needed), or a page already written
# by it (.html). FRAGMENT opens the page at an event, e.g. '#select=7' shows
# event #7 in the side panel. The default window is 1600,1000. Progress is
# printed to standard error.
#
# Example:
#   docs/screenshot.sh scenarios/tcp-basic.ron tcp-basic.png '#select=4'
set -eu

if [ "$#" -lt 2 ]; then
    sed -n '2,16s/^# \{0,1\}//p' "$0" >&2
    exit 2
fi
input=$1
png=$2
fragment=${3:-}
size=${4:-1600,1000}

browser=
for name in chromium chromium-browser google-chrome; do
    if command -v "$name" >/dev/null 2>&1; then
        browser=$name
        break
    fi
done
if [ -z "$browser" ]; then
    echo "screenshot.sh: needs chromium (Debian: apt-get install chromium)" >&2
    exit 2
fi

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT INT TERM

case "$input" in
*.html)
    page=$input
    ;;
*)
    page=$scratch/run.html
    echo "screenshot.sh: building tlsim (release)..." >&2
    cargo build --release --quiet
    echo "screenshot.sh: running $input..." >&2
    cargo run --release --quiet -- run "$input" --format html --out "$page"
    ;;
esac
page=$(cd "$(dirname "$page")" && pwd)/$(basename "$page")

echo "screenshot.sh: rendering $page$fragment at $size with $browser..." >&2
"$browser" --headless --no-sandbox --disable-gpu \
    --disable-background-networking --disable-component-update \
    --disable-sync --no-first-run --hide-scrollbars \
    --user-data-dir="$scratch/profile" \
    --window-size="$size" --virtual-time-budget=5000 \
    --screenshot="$scratch/shot.png" "file://$page$fragment" 2>/dev/null
mv "$scratch/shot.png" "$png"
echo "wrote $png"
