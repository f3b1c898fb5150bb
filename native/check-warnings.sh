#!/bin/sh
# Compile every native/src/*.cc with -Wall -Wextra -Werror (syntax and warnings only), as binding.gyp does.
# Usage: sh native/check-warnings.sh   (from the repo root; ~12 s on 2 cores)
set -eu
cd "$(dirname "$0")/.."
NAPI=$(node -p "require('node-addon-api').include_dir")
NODEINC=${NODE_INCLUDE:-/usr/include/node}
status=0
for f in native/src/*.cc; do
  if ! g++ -std=c++17 -Wall -Wextra -Werror -fsyntax-only -DNAPI_VERSION=8 -DNAPI_CPP_EXCEPTIONS -D_GNU_SOURCE \
      -I"$NAPI" -I"$NODEINC" "$f"; then
    status=1
  fi
done
[ $status -eq 0 ] && echo "native: no warnings (g++ $(g++ -dumpversion), -Wall -Wextra)"
exit $status
