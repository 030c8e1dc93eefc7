#!/usr/bin/env python3
"""The layers of src/ point one way (README "Layout").

Every #include "x.h" in src/ names a header of the file's own folder or of a folder below it
in LAYERS; main.c and route_table.c, on top, may include anything. A header that exists in no
folder (assets.h is generated into the build) is found by its name. Fails listing each
include that points up, or at a header this script cannot place.
"""
import os
import re
import sys

LAYERS = ["lib", "catalog", "http", "daemon", "h2", "endpoints"]
TOP = {"main.c", "route_table.c", "route_table.h"}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def main():
    src = os.path.join(os.environ.get("STATUSD_SOURCE_ROOT", "."), "src")
    home = {}
    for layer in LAYERS:
        for name in os.listdir(os.path.join(src, layer)):
            home[name] = layer
    for name in TOP:
        home[name] = "top"
    problems = []
    checked = 0
    for folder, _, names in os.walk(src):
        for name in names:
            if not name.endswith((".c", ".h")):
                continue
            layer = os.path.relpath(folder, src)
            layer = "top" if layer == "." else layer
            if layer not in LAYERS and layer != "top":
                problems.append("%s/%s: a folder the layers do not name" % (layer, name))
                continue
            with open(os.path.join(folder, name), encoding="utf-8") as f:
                text = f.read()
            for included in INCLUDE.findall(text):
                checked += 1
                target = home.get(os.path.basename(included))
                if target is None:
                    problems.append("%s/%s includes %s, which is in no layer" % (layer, name, included))
                elif layer != "top" and (target == "top" or
                                         LAYERS.index(target) > LAYERS.index(layer)):
                    problems.append("%s/%s includes %s/%s: an include that points up"
                                    % (layer, name, target, included))
    for p in problems:
        print("layers:", p)
    print("layers: %d includes checked, %d problems" % (checked, len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
