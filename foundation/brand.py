"""The foundation's main colour (FOUNDATION_COLOR) made into the stylesheet's brand tokens.

The colour itself is only an accent (bars, borders): few brand colours reach 4.5:1 against
white. Text, links and buttons use shades derived here until they pass WCAG 2.1 AA against
every ground they sit on, in the light and the dark scheme. No Django here: settings import
this module to put the hash of the very same text in the Content-Security-Policy."""

import base64
import hashlib
import re

HEX = re.compile(r"#[0-9a-fA-F]{6}")
WHITE = "#ffffff"
BLACK = "#000000"
# The grounds portal.css puts brand-coloured text on, in each scheme.
LIGHT_GROUNDS = ("#ffffff", "#f6f7f9")      # --color-surface, --color-bg
DARK_GROUNDS = ("#1b1f27", "#12151b")       # --color-surface, --color-bg (dark)
AA_TEXT = 4.5
AA_GRAPHIC = 3.0  # an accent is a graphic object (WCAG 1.4.11)


def _rgb(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def _hex(rgb: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{round(min(255, max(0, c))):02x}" for c in rgb)


def luminance(color: str) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in _rgb(color))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def mix(color: str, other: str, amount: float) -> str:
    """`color` moved `amount` (0 to 1) of the way towards `other`."""
    (r, g, b), (r2, g2, b2) = _rgb(color), _rgb(other)
    return _hex((r + (r2 - r) * amount, g + (g2 - g) * amount, b + (b2 - b) * amount))


def toward(color: str, other: str, grounds: tuple[str, ...], ratio: float,
           start: float = 0.0) -> str:
    """The first shade from `color` towards `other` (black or white) with at least `ratio`
    against every one of `grounds`."""
    step = start
    while step < 1:
        shade = mix(color, other, step)
        if all(contrast(shade, g) >= ratio for g in grounds):
            return shade
        step += 0.02
    return other


def palette(color: str) -> tuple[dict[str, str], dict[str, str]]:
    """The brand tokens for the light and the dark scheme."""
    if not HEX.fullmatch(color):
        raise ValueError(f"FOUNDATION_COLOR must be a colour like #ee4c2c, not {color!r}.")
    color = color.lower()
    strong = toward(color, BLACK, (*LIGHT_GROUNDS, WHITE), AA_TEXT + 0.3)
    light = {
        "brand": color,
        "brand-strong": strong,                         # text, links; white on buttons
        "brand-stronger": mix(strong, BLACK, 0.25),     # hover
        "brand-tint": mix(color, WHITE, 0.9),
    }
    # Badges: brand-strong on the tint must pass too.
    light["brand-strong"] = toward(strong, BLACK, (light["brand-tint"],), AA_TEXT)
    light["action"] = light["brand-strong"]
    light["action-hover"] = light["brand-stronger"]
    dark_tint = mix(DARK_GROUNDS[0], color, 0.18)
    dark_strong = toward(color, WHITE, (*DARK_GROUNDS, dark_tint), AA_TEXT + 0.3)
    dark_action = toward(color, BLACK, (WHITE,), AA_TEXT)  # a button's ground, white text
    dark = {
        "brand": toward(color, WHITE, DARK_GROUNDS, AA_GRAPHIC),
        "brand-strong": dark_strong,
        "brand-stronger": mix(dark_strong, WHITE, 0.35),
        "brand-tint": dark_tint,
        "action": dark_action,
        "action-hover": mix(dark_action, BLACK, 0.15),
    }
    return light, dark


def style(color: str) -> str:
    """The text of base.html's one `<style>`: the brand tokens, after portal.css's own."""
    light, dark = palette(color)

    def block(tokens: dict[str, str]) -> str:
        return ":root{" + ";".join(f"--color-{k}:{v}" for k, v in tokens.items()) + "}"

    return f"{block(light)}@media (prefers-color-scheme:dark){{{block(dark)}}}"


def csp_hash(text: str) -> str:
    """The CSP source that allows an inline `<style>` holding exactly `text`."""
    digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
    return f"'sha256-{digest}'"
