#!/usr/bin/env bash
# Install what pip cannot: Debian Chromium (browser tests) and a Java 17 runtime (Spark tests).
# As root they are installed when missing; otherwise the tests that need them are skipped
# with a reason, except in CI (CI=true), where a missing prerequisite fails the run.
set -u
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
# A CJK font, or Chromium draws Chinese labels in screenshots and PDFs as empty boxes.
fc-list 2>/dev/null | grep -qi "wenquanyi\|noto sans cjk" || need+=(fonts-wqy-zenhei)
java_major=$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1)
if [ -z "${java_major}" ] || [ "${java_major}" -lt 17 ]; then need+=(openjdk-17-jre-headless); fi
[ ${#need[@]} -eq 0 ] && { echo "prereqs: chromium, a CJK font and Java ${java_major} present"; exit 0; }

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "prereqs: installing ${need[*]} (Debian packages)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null \
    && exit 0
  echo "prereqs: apt-get install ${need[*]} FAILED" >&2
else
  echo "prereqs: MISSING ${need[*]}; not root, so not installing." >&2
  echo "prereqs: run 'sudo apt-get install ${need[*]}' to run browser/Spark tests." >&2
fi
if [ "${CI:-}" = "true" ]; then
  echo "prereqs: CI=true and prerequisites are missing: failing." >&2
  exit 1
fi
echo "prereqs: the tests that need them will be SKIPPED." >&2
exit 0
