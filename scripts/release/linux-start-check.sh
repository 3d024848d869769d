#!/usr/bin/env bash
# Release workflow, Linux: starts the INSTALLED packages under Ubuntu 24.04's AppArmor rule for
# unprivileged user namespaces (issue 18, item 6), with Chromium's sandbox on, and checks each
# got as far as writing "Koutu starting" to its log and was still running 25 s later.
#   - the deb, installed with apt (its AppArmor profile comes with it): must start, or this fails;
#   - the AppImage with the profile docs/installers.md gives (kept in step with it below): a
#     failure is reported as a warning, since the deb is what Ubuntu 24.04 users are told to use.
# Usage: scripts/release/linux-start-check.sh <release dir>   (needs sudo and xvfb-run)
set -euo pipefail
release_dir="${1:?release dir}"
work="$(mktemp -d)"

sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=1

# Runs "$@" under Xvfb for 25 s with a scratch user data folder $1; true if it started and lasted.
started_and_lasted() {
  local user_data="$1"
  shift
  local status=0
  # No update check against GitHub from CI: a closed loopback port.
  KOUTU_USER_DATA="$user_data" KOUTU_UPDATE_FEED_URL="http://127.0.0.1:9/" \
    timeout 25 xvfb-run -a "$@" > "$user_data.out" 2>&1 || status=$?
  if [ "$status" -ne 124 ]; then
    echo "exited early with status $status:"
    tail -n 40 "$user_data.out"
    return 1
  fi
  grep -q 'Koutu starting' "$user_data/logs/main.log"
}

deb="$(ls "$release_dir"/koutu_*_amd64.deb)"
sudo apt-get install -y -qq "$deb"
if started_and_lasted "$work/deb" /opt/Koutu/koutu; then
  echo "deb: started with the sandbox on under the AppArmor rule"
else
  echo "::error title=deb on Ubuntu 24.04::the installed deb did not start (see the log above)"
  exit 1
fi

appimage_dir="$HOME/Applications"
mkdir -p "$appimage_dir"
cp "$release_dir"/Koutu-*.AppImage "$appimage_dir/"
chmod +x "$appimage_dir"/Koutu-*.AppImage
sudo apt-get install -y -qq libfuse2t64
sudo tee /etc/apparmor.d/koutu-appimage > /dev/null <<'PROFILE'
abi <abi/4.0>,
include <tunables/global>
profile koutu-appimage /{home/*/Applications/Koutu-*.AppImage,tmp/.mount_Koutu*/koutu} flags=(unconfined) {
  userns,
  include if exists <local/koutu-appimage>
}
PROFILE
sudo apparmor_parser -r /etc/apparmor.d/koutu-appimage
if started_and_lasted "$work/appimage" "$appimage_dir"/Koutu-*.AppImage; then
  echo "AppImage: started with the documented AppArmor profile"
else
  echo "::warning title=AppImage on Ubuntu 24.04::the AppImage did not start with the AppArmor profile from docs/installers.md"
fi
