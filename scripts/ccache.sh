# Sourced by the build scripts: ccache keys on paths relative to the checkout, so a fresh clone
# in another folder (CI) reuses what an earlier build on the same machine compiled.
CCACHE_BASEDIR="$(pwd)"
CCACHE_NOHASHDIR=true
export CCACHE_BASEDIR CCACHE_NOHASHDIR
