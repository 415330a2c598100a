#!/usr/bin/env bash
# What the tests need besides Deno: real DICOM peers and tools (openssl makes the TLS tests'
# certificates). Run by `deno task test` before the tests: quiet and quick when everything is
# there; on Debian/Ubuntu as root it installs what is missing (apt-get); otherwise it says in one
# line what to install, and fails.
set -uo pipefail

# command  package  (apt options)
NEEDS=(
  "storescp dcmtk"
  "dcmconv dcmtk"
  "dcmdump dcmtk"
  "gdcmconv libgdcm-tools"
  "opj_decompress libopenjp2-tools"
  "Orthanc orthanc --no-install-recommends"
  "cc gcc"
  "openssl openssl"
)

missing_cmds=()
packages=()
plain=()
norec=()
for row in "${NEEDS[@]}"; do
  read -r cmd pkg opt <<<"$row"
  command -v "$cmd" >/dev/null 2>&1 && continue
  missing_cmds+=("$cmd")
  case " ${packages[*]} " in *" $pkg "*) continue ;; esac
  packages+=("$pkg")
  if [ "${opt:-}" = "--no-install-recommends" ]; then norec+=("$pkg"); else plain+=("$pkg"); fi
done
[ ${#missing_cmds[@]} -eq 0 ] && exit 0

what="the tests need ${missing_cmds[*]} (Debian/Ubuntu packages: ${packages[*]})"
if ! command -v apt-get >/dev/null 2>&1; then
  echo "test set-up: $what; no apt-get here: install them by hand, then run deno task test again" >&2
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "test set-up: $what; run as root, or: sudo apt-get install -y ${packages[*]}" >&2
  exit 1
fi
log=$(mktemp)
echo "test set-up: installing ${packages[*]} (apt-get; log in $log)" >&2
{
  apt-get update &&
    { [ ${#plain[@]} -eq 0 ] || apt-get install -y "${plain[@]}"; } &&
    { [ ${#norec[@]} -eq 0 ] || apt-get install -y --no-install-recommends "${norec[@]}"; }
} >"$log" 2>&1 || {
  echo "test set-up: apt-get could not install ${packages[*]}; last lines of $log:" >&2
  tail -5 "$log" >&2
  exit 1
}
exit 0
