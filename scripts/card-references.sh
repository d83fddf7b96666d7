#!/usr/bin/env bash
# Regenerates the reference images of tests/api/cards.rs (tests/fixtures/cards/*.png): lines of
# the printed card drawn by HarfBuzz's own hb-view (Debian's libharfbuzz-bin: HarfBuzz shaping,
# cairo and FreeType drawing), independently of the rustybuzz shaping and poppler rendering the
# test compares them with. Run it after changing a card text it draws (card-promise of
# locales/hne, card-title of locales/hi) or a font in assets/fonts, look at the images, commit:
#
#     scripts/card-references.sh
#
# The *-unshaped.png images are the same lines with HarfBuzz's fallback shaper (no OpenType
# shaping: the i-matra after its consonant, no conjuncts); the test checks that its comparison
# tells them from the shaped ones, so a tolerance that let wrong shaping pass would fail.
set -euo pipefail
cd "$(dirname "$0")/.."
out=tests/fixtures/cards
# The pixel size of an em; the test renders the PDF at the resolution that makes it the same.
size=40
line() { sed -n "s/^$2 = //p" "locales/$1/cards.ftl"; }
draw() { # FONT NAME TEXT [hb-view options]
  local font=$1 name=$2 text=$3
  shift 3
  hb-view --font-file="assets/fonts/$font" --font-size=$size --margin=8 \
    --output-format=png --output-file="$out/$name.png" "$@" "$text"
}
mkdir -p "$out"
draw NotoSansDevanagari-Regular.ttf promise-hne "$(line hne card-promise)"
draw NotoSansDevanagari-Regular.ttf promise-hne-unshaped "$(line hne card-promise)" --shapers=fallback
draw NotoSansDevanagari-Bold.ttf title-hi "$(line hi card-title)"
draw NotoSansDevanagari-Bold.ttf title-hi-unshaped "$(line hi card-title)" --shapers=fallback
ls -l "$out"
