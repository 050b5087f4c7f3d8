"""Complaint, churn and anger cues for the languages VADER and the learned model do not read.

A text in another language gets no sentiment ("sentiment not scored for Spanish (es)"), but a
complaint in Spanish or Hindi must not sink. These short lists, written for support traffic
(outages, no signal, wrong charges, refunds, days without service, cancelling), cover the
languages the demo and the twcs data hold: Spanish, French, German, Portuguese, Italian,
Hindi (Devanagari and romanised: "nahi chal raha"), Welsh and Japanese. They are matched
together on any non-English text (the language detector confuses short Welsh with German,
and a Spanish word in a Portuguese post is still a complaint), as whole words for
alphabetic scripts and as substrings for Japanese.

    complaint   something is wrong ("sin internet", "ne marche pas", "funktioniert nicht",
                "não funciona", "non funziona", "नहीं चल रहा", "nahi chal raha",
                "ddim yn gweithio", "繋がらない")
    churn       leaving ("voy a cancelar", "résilier", "kündigen", "disdetta", "port kar")
    anger       outrage ("vergüenza", "honteux", "Frechheit", "schifo", "bakwas")

    resolved    the problem is over ("solucionado", "funktioniert wieder", "हल कर दी", "yn ôl")

A complaint cue (or a churn cue) makes the text a complaint that needs a response, unless a
resolved cue says the problem is over and there is no churn or anger (thanks for a fix). Churn is
worth 1.2 anger points and anger words 1 (as in English); a text is angry when they reach
twice `angry_threshold`, the rule the English cues follow on their own.
"""

from __future__ import annotations

import re

#: language -> kind -> "|"-separated phrases (lower case).
CUES: dict[str, dict[str, str]] = {
    "es": {
        "resolved": "solucionado|solucionada|resuelto|resuelta|funciona de nuevo|ya funciona|funcionó|arreglado|arreglada",
        "complaint": "no funciona|no me funciona|no va|no tengo|sin internet|sin señal|sin servicio|sin conexión"
                     "|sin línea|sin luz|no hay señal|no hay internet|caído|caída|avería|problema|problemas|error"
                     "|fallo|falla|me cobraron|cobro|cobrado|doble cargo|reembolso|devolución|todavía no|aún no"
                     "|sigo sin|sigue sin|días sin|horas sin|semanas sin|nadie me|nadie responde|queja"
                     "|reclamación|reclamo|no puedo|no me deja|no llega|no ha llegado|no llegó|roto|rota|lento"
                     "|lentísimo|cortado|corte|me rechaza|bloqueado|bloqueada",
        "churn": "cancelar|voy a cancelar|darme de baja|dar de baja|me doy de baja|me cambio de compañía"
                 "|cambiarme de compañía|portabilidad",
        "anger": "vergüenza|harto|harta|pésimo|pésima|indignante|estafa|ladrones|una mierda|de coña|inaceptable",
    },
    "fr": {
        "resolved": "réglé|résolu|résolue|fonctionne à nouveau|remarche|ça marche|réparé|réparée",
        "complaint": "ne fonctionne pas|ne fonctionne plus|ne marche pas|ne marche plus|marche pas|fonctionne pas"
                     "|pas de réseau|pas d'internet|pas de connexion|sans internet|sans réseau|en panne|panne"
                     "|coupure|coupé|problème|problèmes|erreur|bug|toujours pas|toujours rien|personne ne"
                     "|facturé|prélevé|remboursement|aucune réponse|lent|impossible de|redémarre seul|bloqué",
        "churn": "résilier|résiliation|je vais résilier|changer d'opérateur|je pars chez",
        "anger": "inadmissible|honteux|scandaleux|marre|j'en ai marre|arnaque|voleurs|nul|lamentable",
    },
    "de": {
        "resolved": "gelöst|behoben|funktioniert wieder|geht wieder|repariert",
        "complaint": "funktioniert nicht|funktioniert seit|geht nicht|kein internet|kein netz|kein empfang"
                     "|keine verbindung|ohne internet|störung|ausfall|ausgefallen|problem|probleme|fehler"
                     "|immer noch nicht|noch immer nicht|niemand|abgebucht|rückerstattung|geld zurück"
                     "|keine antwort|langsam|kaputt|nicht möglich|unzustellbar|nicht synchron|nicht angekommen",
        "churn": "kündigen|kündigung|ich kündige|anbieter wechseln|wechsle den anbieter",
        "anger": "frechheit|unverschämt|katastrophe|abzocke|betrug|sauerei|skandal",
    },
    "pt": {
        "resolved": "resolvido|resolvida|funcionou|voltou a funcionar|já funciona|consertado",
        "complaint": "não funciona|nao funciona|não está funcionando|sem internet|sem sinal|sem rede|sem serviço"
                     "|caiu|fora do ar|problema|problemas|erro|falha|ainda não|ainda nao|há dias|ha dias"
                     "|ninguém|ninguem|cobrado|cobrança|cobraram|reembolso|lento|não consigo|nao consigo"
                     "|não foi possível|nao foi possivel|não chegou|nao chegou",
        "churn": "cancelar|vou cancelar|mudar de operadora|portabilidade",
        "anger": "absurdo|vergonha|péssimo|péssima|palhaçada|ladrões|descaso|ridículo",
    },
    "it": {
        "resolved": "risolto|risolta|funziona di nuovo|ora funziona|sistemato|riparato",
        "complaint": "non funziona|non va|senza internet|senza linea|senza segnale|nessun segnale|guasto"
                     "|disservizio|problema|problemi|errore|ancora niente|ancora nulla|da giorni|nessuno"
                     "|addebito|addebitato|rimborso|lento|non riesco|bloccato|non è arrivato|non arriva",
        "churn": "disdetta|disdire|cambio operatore",
        "anger": "vergogna|schifo|pessimo|vergognoso|truffa|ladri|inaccettabile",
    },
    "hi": {
        "resolved": "हल कर दी|हल कर दिया|हल हो गई|हल हो गया|ठीक हो गया|ठीक हो गई|ठीक कर दिया|ठीक कर दी"
                    "|theek ho gaya|thik ho gaya|solve ho gaya|chal raha hai ab|ab chal raha",
        "complaint": "नहीं चल रहा|नहीं चल रही|नहीं चल रहे|काम नहीं कर|नहीं आ रहा|नहीं आ रही|बंद है|खराब|ख़राब"
                     "|समस्या|दिक्कत|परेशान|परेशानी|शिकायत|नेटवर्क नहीं|सिग्नल नहीं|इंटरनेट नहीं|दिन से"
                     "|घंटे से|अभी तक|कोई जवाब नहीं|पैसे कट|रिफंड|नहीं मिला|नहीं मिली"
                     "|nahi chal raha|nahi chal rahi|nahin chal raha|nhi chal raha|nahi chalta|kaam nahi kar"
                     "|nahi ho raha|nahi aa raha|nahi aa rahi|band hai|kharab|problem ho|dikkat|pareshan|pareshani"
                     "|shikayat|network nahi|signal nahi|internet nahi|net nahi|abhi tak|koi jawab nahi"
                     "|paise kat|nahi mila|nahi mili|din se|ghante se",
        "churn": "कैंसिल|पोर्ट कर|cancel kar|port kar|band kar dunga|chhod dunga",
        "anger": "बकवास|बेकार|धोखा|शर्म|bakwas|bekar|bekaar|dhokha|chor|sharam",
    },
    "cy": {
        "resolved": "wedi trwsio|wedi datrys|yn ôl|gweithio eto|yn gweithio nawr",
        "complaint": "ddim yn gweithio|dim yn gweithio|dim signal|dim rhyngrwyd|dim band eang|dim gwasanaeth"
                     "|dim cysylltiad|wedi torri|problem|broblem|toriad|ers dyddiau|ers tridiau|ers deuddydd"
                     "|ers wythnos|dal ddim|dal heb|dim ateb|araf",
        "churn": "canslo|newid darparwr|gadael chi",
        "anger": "gwarthus|cywilydd|annerbyniol",
    },
    "ja": {  # substrings: Japanese has no spaces between words
        "resolved": "解決|直りました|直った|復旧",
        "complaint": "エラー|届かない|届いていない|できない|出来ない|できなくなった|出来なくなった|困る|困っ"
                     "|不具合|壊れ|返金|おかしい|つながらない|繋がらない|遅い|使えない",
        "churn": "解約",
        "anger": "ふざけ|最悪",
    },
}
W_CHURN, W_ANGER = 1.2, 1.0


def _pattern(kind: str) -> re.Pattern[str]:
    words = sorted({p for lang, kinds in CUES.items() if lang != "ja" for p in kinds[kind].split("|")}, key=len,
                   reverse=True)
    japanese = sorted(CUES["ja"][kind].split("|"), key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, words)) + r")(?![\w\u0900-\u097f])|"
                      + "|".join(map(re.escape, japanese)))


PATTERNS = {kind: _pattern(kind) for kind in ("complaint", "churn", "anger", "resolved")}


def find(text: str) -> dict[str, str]:
    """{kind: the first phrase found} for the complaint, churn and anger cues of a text."""
    low = text.lower().replace("’", "'")
    found = {}
    for kind, pattern in PATTERNS.items():
        m = pattern.search(low)
        if m:
            found[kind] = m.group()
    return found


def anger(found: dict[str, str]) -> tuple[float, list[tuple[str, float, str]]]:
    """(anger points, cues) of the cues `find` found: churn and anger words, as in English."""
    cues = []
    if "anger" in found:
        cues.append(("anger words", W_ANGER, found["anger"]))
    if "churn" in found:
        cues.append(("churn", W_CHURN, found["churn"]))
    return round(sum(c[1] for c in cues), 3), cues
