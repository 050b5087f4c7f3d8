"""Language names for people (a tiny module: the views import it without the detector)."""

from __future__ import annotations

#: Names for the codes people meet most; others are shown as the code.
NAMES = {
    "en": "English", "cy": "Welsh", "ga": "Irish", "gd": "Scottish Gaelic", "hi": "Hindi", "ur": "Urdu",
    "bn": "Bengali", "pa": "Punjabi", "gu": "Gujarati", "ta": "Tamil", "es": "Spanish", "fr": "French",
    "de": "German", "it": "Italian", "pt": "Portuguese", "nl": "Dutch", "pl": "Polish", "ro": "Romanian",
    "ru": "Russian", "uk": "Ukrainian", "tr": "Turkish", "ar": "Arabic", "fa": "Persian", "he": "Hebrew",
    "ja": "Japanese", "zh": "Chinese", "ko": "Korean", "sv": "Swedish", "da": "Danish", "no": "Norwegian",
    "fi": "Finnish", "el": "Greek", "cs": "Czech", "hu": "Hungarian", "id": "Indonesian", "ms": "Malay",
    "tl": "Tagalog", "vi": "Vietnamese", "th": "Thai", "so": "Somali", "sw": "Swahili", "lt": "Lithuanian",
    "lv": "Latvian", "bg": "Bulgarian", "sk": "Slovak", "sl": "Slovenian", "hr": "Croatian", "sr": "Serbian",
    "ne": "Nepali", "mr": "Marathi",
}


def name(code: str | None) -> str:
    """A language's name for people ("Welsh (cy)"); "unknown" for None."""
    if not code:
        return "unknown"
    known = NAMES.get(code)
    return f"{known} ({code})" if known else code
