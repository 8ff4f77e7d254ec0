"""Decode the barcodes in PNG images with zxing-cpp (a standard decoder, PyPI `zxing-cpp`).

Usage: python decode.py IMAGE...  — prints one JSON line per image:
{"image": path, "codes": [{"format": "DataMatrix" | "Code128" | ..., "text": "..."}]}
Run by the e2e test `labels` (crates/cli/tests/e2e/labels.rs) with the interpreter of
/opt/cellpath-ci-venv, where .ci/run installs zxing-cpp and Pillow.
"""

import json
import sys

import zxingcpp
from PIL import Image

for path in sys.argv[1:]:
    image = Image.open(path).convert("L")
    codes = [
        {"format": str(r.format).split(".")[-1].replace(" ", ""), "text": r.text}
        for r in zxingcpp.read_barcodes(image)
    ]
    print(json.dumps({"image": path, "codes": codes}))
