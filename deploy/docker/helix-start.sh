#!/bin/sh
# Container entry point: `helix-start <app> [node options...]` runs one Helix process as PID 1's
# child-free replacement (exec), so SIGTERM from Kubernetes reaches Node directly.
set -eu
app="${1:-}"
case "$app" in
  gateway | settings-service | models-service | runner) ;;
  *)
    echo "usage: helix-start gateway|settings-service|models-service|runner" >&2
    exit 64
    ;;
esac
shift
exec node "/app/dist/apps/$app/main.js" "$@"
