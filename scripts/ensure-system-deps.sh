#!/usr/bin/env bash
# Debian packages the tests use: chromium (the real-browser test) and poppler-utils
# (pdftoppm/pdftotext, to read the PDF report back). Installed when missing and we are root;
# otherwise the tests that need them say why they were skipped (and fail under CI=true).
set -u
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing ${need[*]} (Debian packages for the browser and PDF tests)"
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null \
    || echo "warning: could not install ${need[*]}; the tests needing them will be skipped" >&2
else
  echo "note: ${need[*]} missing and not root; the browser/PDF-rendering tests will be skipped" >&2
fi
exit 0
