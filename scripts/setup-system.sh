#!/usr/bin/env bash
# System packages deckgen's tests use: LibreOffice (prove decks open and render), poppler
# (pdfinfo/pdftoppm for page counts and previews), fonts (Latin and CJK), and Chromium (email
# screenshots).
# Idempotent: skips apt when everything is already there. Run as root (or with sudo).
set -euo pipefail

need=()
command -v soffice >/dev/null 2>&1 || need+=(libreoffice-impress-nogui libreoffice-writer-nogui)
command -v pdfinfo >/dev/null 2>&1 || need+=(poppler-utils)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
fc-list 2>/dev/null | grep -qi "DejaVuSans" || need+=(fonts-dejavu-core)
fc-list 2>/dev/null | grep -qi "Liberation" || need+=(fonts-liberation2)
# CJK glyphs, so previews of accounts with Chinese/Japanese names do not show empty boxes.
fc-list 2>/dev/null | grep -qi "WenQuanYi Micro Hei" || need+=(fonts-wqy-microhei)

if [ ${#need[@]} -eq 0 ]; then
  echo "setup-system: all system packages present"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "setup-system: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
echo "setup-system: done"
