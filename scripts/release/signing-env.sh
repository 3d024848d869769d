#!/usr/bin/env bash
# Release workflow: turns the repository's signing secrets (passed in as environment variables)
# into what electron-builder reads, appended to $GITHUB_ENV, and says with a ::notice:: what is
# skipped when a secret is absent, so an unsigned build is a visible choice, not a surprise.
#
#   Windows: WIN_CSC_LINK (base64 .pfx or https URL), WIN_CSC_KEY_PASSWORD -> CSC_LINK, CSC_KEY_PASSWORD
#   macOS:   MAC_CSC_LINK, MAC_CSC_KEY_PASSWORD (Developer ID Application) -> CSC_LINK, CSC_KEY_PASSWORD
#            notarization: APPLE_API_KEY_P8 (the .p8 text), APPLE_API_KEY_ID, APPLE_API_ISSUER
#            or APPLE_ID, APPLE_APP_SPECIFIC_PASSWORD, APPLE_TEAM_ID
#            without a certificate: ad-hoc signature (KOUTU_DIST_FLAGS=-c.mac.identity=-), so the
#            app still starts on Apple silicon; no notarization, no auto-update on macOS.
set -euo pipefail
: "${GITHUB_ENV:?GITHUB_ENV must name the file to append to}"
: "${RUNNER_OS:?RUNNER_OS must be Linux, Windows or macOS}"
temp_dir="${RUNNER_TEMP:-${TMPDIR:-/tmp}}"

put() { printf '%s=%s\n' "$1" "$2" >> "$GITHUB_ENV"; }
notice() { printf '::notice title=Signing::%s\n' "$1"; }

case "$RUNNER_OS" in
  Windows)
    if [ -n "${WIN_CSC_LINK:-}" ]; then
      put CSC_LINK "$WIN_CSC_LINK"
      put CSC_KEY_PASSWORD "${WIN_CSC_KEY_PASSWORD:-}"
      echo "Windows: signing with the certificate from WIN_CSC_LINK"
    else
      notice "WIN_CSC_LINK is not set: the Windows installer is unsigned (SmartScreen warns; the updater cannot check a publisher signature)."
    fi
    ;;
  macOS)
    if [ -n "${MAC_CSC_LINK:-}" ]; then
      put CSC_LINK "$MAC_CSC_LINK"
      put CSC_KEY_PASSWORD "${MAC_CSC_KEY_PASSWORD:-}"
      echo "macOS: signing with the Developer ID certificate from MAC_CSC_LINK"
    else
      put CSC_IDENTITY_AUTO_DISCOVERY false
      put KOUTU_DIST_FLAGS "-c.mac.identity=-"
      notice "MAC_CSC_LINK is not set: the macOS app is ad-hoc signed only (Gatekeeper blocks it on other Macs; no notifications; no auto-update)."
    fi
    if [ -n "${MAC_CSC_LINK:-}" ] && [ -n "${APPLE_API_KEY_P8:-}" ] && [ -n "${APPLE_API_KEY_ID:-}" ] && [ -n "${APPLE_API_ISSUER:-}" ]; then
      key_file="$temp_dir/AuthKey_${APPLE_API_KEY_ID}.p8"
      printf '%s\n' "$APPLE_API_KEY_P8" > "$key_file"
      chmod 600 "$key_file"
      put APPLE_API_KEY "$key_file"
      put APPLE_API_KEY_ID "$APPLE_API_KEY_ID"
      put APPLE_API_ISSUER "$APPLE_API_ISSUER"
      echo "macOS: notarizing with the App Store Connect API key $APPLE_API_KEY_ID"
    elif [ -n "${MAC_CSC_LINK:-}" ] && [ -n "${APPLE_ID:-}" ] && [ -n "${APPLE_APP_SPECIFIC_PASSWORD:-}" ] && [ -n "${APPLE_TEAM_ID:-}" ]; then
      put APPLE_ID "$APPLE_ID"
      put APPLE_APP_SPECIFIC_PASSWORD "$APPLE_APP_SPECIFIC_PASSWORD"
      put APPLE_TEAM_ID "$APPLE_TEAM_ID"
      echo "macOS: notarizing with the Apple ID of team $APPLE_TEAM_ID"
    else
      notice "No notarization credentials (APPLE_API_KEY_P8/APPLE_API_KEY_ID/APPLE_API_ISSUER or APPLE_ID/APPLE_APP_SPECIFIC_PASSWORD/APPLE_TEAM_ID, with MAC_CSC_LINK): the DMG is not notarized."
    fi
    ;;
  Linux)
    notice "Linux packages are not signed; the updater checks the AppImage against the sha512 in latest-linux.yml."
    ;;
  *)
    echo "unknown RUNNER_OS: $RUNNER_OS" >&2
    exit 1
    ;;
esac
