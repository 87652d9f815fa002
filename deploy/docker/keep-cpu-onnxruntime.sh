#!/bin/sh
# Keeps onnxruntime-node's CPU binary for one Linux architecture and removes everything else it
# ships: macOS and Windows builds (DirectML included) and the other architecture, about 200 MB.
# The image installs packages without their install scripts (but better-sqlite3's), so no CUDA or
# TensorRT provider was downloaded to begin with.
#
#   keep-cpu-onnxruntime.sh <node_modules folder> <x64|arm64>
set -eu
modules="$1"
arch="$2"
bin="$modules/onnxruntime-node/bin"
[ -d "$bin" ] || { echo "no onnxruntime-node in $modules" >&2; exit 1; }
for napi in "$bin"/napi-v*; do
  [ -f "$napi/linux/$arch/onnxruntime_binding.node" ] || { echo "onnxruntime-node has no linux/$arch binary in $napi" >&2; exit 1; }
  for platform in "$napi"/*; do
    [ "$(basename "$platform")" = linux ] || rm -rf "$platform"
  done
  for a in "$napi"/linux/*; do
    [ "$(basename "$a")" = "$arch" ] || rm -rf "$a"
  done
  # CPU only: any GPU execution provider library that might be present goes too.
  find "$napi" -name 'libonnxruntime_providers_*' ! -name 'libonnxruntime_providers_shared*' -exec rm -f {} +
done
