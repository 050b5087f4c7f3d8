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


#: ISO 639-1: every two-letter language code.
ISO_639_1 = frozenset("""
aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy da de
dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id
ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu
lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu
rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr
ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu
""".split())

#: The codes the language detector (fastText's lid.176) reports for languages that have no
#: two-letter code, e.g. yue (Cantonese), ceb (Cebuano), sco (Scots); "sh" is Serbo-Croatian.
DETECTOR_CODES = frozenset("""
als arz ast azb bar bcl bpy bxr cbk ceb ckb diq dsb dty eml frr gom hif hsb ilo jbo krc lez lmo
lrc mai mhr min mrj mwl myv mzn nah nap nds new pam pfl pms pnb rue sah scn sco sh tyv vec vep vls
war wuu xal xmf yue
""".split())


def is_code(value: str) -> bool:
    """Whether `value` is a language code a mention can carry: ISO 639-1 (any case), or one of
    the detector's codes for languages without one."""
    code = value.strip().lower()
    return code in ISO_639_1 or code in DETECTOR_CODES


def code_hint(value: str) -> str:
    """What to write instead of a value that is no language code: "use a language code such as
    cy (Welsh)" for a language's name, else "use a language code such as en or cy"."""
    wanted = value.strip().lower()
    for code, language in NAMES.items():
        if language.lower() == wanted:
            return f"use a language code such as {code} ({language})"
    return "use a language code such as en or cy (ISO 639-1)"
