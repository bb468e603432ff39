#!/bin/sh
# The image's build steps, also run by CI on this machine (which has no container engine), so
# what the Dockerfile does is exercised even where the image itself cannot be built.
#   deploy/build.sh install VENV          a fresh venv with the runtime requirements only
#   deploy/build.sh static VENV STATIC    compile the code, collect static files into STATIC
set -eu
cd "$(dirname "$0")/.."
step=${1:?usage: deploy/build.sh install VENV | static VENV STATIC}
venv=${2:?the venv directory}

case "$step" in
install)
    python3 -m venv "$venv"
    "$venv/bin/pip" install --no-cache-dir --disable-pip-version-check --quiet -r requirements-runtime.txt
    "$venv/bin/pip" check
    ;;
static)
    static=${3:?the static files directory}
    # Settings need a writable var dir and, with DEBUG off, a secret; neither is kept.
    scratch=$(mktemp -d)
    DEBUG=0 SECRET_KEY=collectstatic-only TENANTRY_VAR_DIR="$scratch" STATIC_ROOT="$static" \
        "$venv/bin/python" manage.py collectstatic --noinput --verbosity 0
    DEBUG=0 SECRET_KEY=collectstatic-only TENANTRY_VAR_DIR="$scratch" STATIC_ROOT="$static" \
        "$venv/bin/python" manage.py check --fail-level ERROR
    rm -rf "$scratch"
    # The root filesystem is read-only at run time: byte-compile now.
    "$venv/bin/python" -m compileall -q console tenants clusters metering billing kubeemu
    ;;
*)
    echo "unknown step: $step" >&2
    exit 2
    ;;
esac
