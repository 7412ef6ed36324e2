"""Which fonts the weekly chart tries for the reader's script (handlers/render/chart_png.py),
kept apart from it so the worker and the tests can name them without importing matplotlib."""

from __future__ import annotations

from typing import Final

FONTS_ENV: Final = "RTB_CHART_FONTS"  # internal: an environment variable's name
HANGUL_FONT_FILES: Final = (
    "/usr/share/fonts/truetype/nanum/NanumGothic.ttf",  # internal: fonts-nanum (the image's)
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",  # internal: fonts-noto-cjk
)
