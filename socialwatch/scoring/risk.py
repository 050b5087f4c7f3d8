"""Risk cues: mentions that must never sink in the queue, whatever their sentiment.

Each cue is a category of words or phrases (general customer-service English, lower case,
matched as whole words like the anger cues):

    fraud             scams, phishing, SIM swaps, unauthorised transactions, stolen cards and
                      phones, callers pretending to be the brand ("posing as", "claiming to
                      be from", "impersonating"), contracts opened in the customer's name
    account_takeover  hacked or compromised accounts, someone else logged in or using the
                      account, another customer's data shown
    safety            fire, injury, assault, harassment, emergencies, food poisoning
    elderly           elderly relatives, pensioners, an age of 75 or more ("she's 89",
                      "89 years old"; also the Welsh "yn 84")
    disabled          disability, blind or deaf customers, accessibility, wheelchairs
    bereavement       a death, a late relative, a death certificate
    medical           hospitals, doctors, patients, medication, personal alarms, carers
    legal             solicitors, lawsuits, courts, ombudsman and regulators (Ofcom, FCA,
                      FCC, FTC, BBB, trading standards), data-protection requests
    press             journalists, newspapers, broadcasters, "going to the press"

`elderly`, `disabled`, `bereavement` and `medical` form the group `vulnerability` (routing
rules can name the group). Brands add their own phrases per category with
`[scoring] risk_words = { fraud = ["fake invoice"], press = ["our local paper"] }`.
"""

from __future__ import annotations

import re

from socialwatch.scoring.cues import COMMON, Index, add, contains

RISK_WORDS: dict[str, str] = {
    "fraud": (
        "fraud|fraudulent|fraudster|fraudsters|scammed|scammer|scammers|phishing|smishing|vishing"
        "|scam text|scam call|scam email|scam message|scam link|is this a scam|is this legit|is this genuine"
        "|fake text|fake email|fake website|fake call|fake link|sim swap|sim swapped|sim-swap"
        "|unauthorised|unauthorized|didn't authorise|didn't authorize|did not authorise|did not authorize"
        "|never authorised|never authorized|transactions i didn't make|payments i didn't make"
        "|someone used my card|card was stolen|stolen card|card has been stolen|identity theft"
        "|stole my identity|money stolen|stolen money|emptied my account"
        "|bank codes|verification codes|security codes|one-time code|one time code|otp|fraud team"
        "|fraud department|my bank has frozen|bank has frozen|bank froze"
        "|impersonating|impersonated|impersonation|impersonator|pretending to be you|pretended to be you"
        "|pretending to be from|pretended to be from|claiming to be from|claimed to be from|posing as"
        "|phone was stolen|phone has been stolen|phone got stolen|stolen phone|phone stolen|stole my phone"
        "|mugged|pickpocketed|took money from my account|money was taken|money taken|taken from my account"
        "|opened in my name|taken out in my name|took out a contract in my name|took out a loan in my name"
    ),
    "account_takeover": (
        "hacked|hacker|hackers|hacking|compromised|takeover|taken over|someone logged into|someone logged in"
        "|someone accessed|someone has accessed|someone else logged|unauthorised access|unauthorized access"
        "|password was changed|password has been changed|someone changed my"
        "|email was changed|someone changed|wasn't me|i didn't request|i did not request"
        "|didn't request it|did not request it|someone else's account|someone elses account"
        "|other people's accounts|other customers' accounts|another customer's|strangers' addresses"
        "|data breach|breach of my data|sim that isn't mine|someone else is getting|someone else is now getting"
        "|ported without|moved to a new sim"
        "|someone is using my account|someone has been using my account|someone's using my account"
        "|someone else is using my|someone is using my|someone has been using my|using my account without"
        "|someone used my account|someone got into my account|got into my account|locked me out of my account"
        "|orders i didn't place|order i didn't place"
    ),
    "safety": (
        "unsafe|dangerous|danger|hazard|caught fire|on fire|set fire|fire hazard|exploded|explosion|electric shock"
        "|electrocuted|sparking|overheating|overheated|injured|injury|injuries|got hurt|was hurt"
        "|assaulted|assault|attacked|threatened me|harassed|harassing|harassment|stalking|stalker"
        "|drunk driver|driver was drunk|car accident|had an accident|emergency services|emergency call"
        "|emergency calls|an emergency|call 999|called 999|ring 999|dial 999|call 911|called 911|dial 911|suicidal|suicide|kill myself|self harm|self-harm"
        "|food poisoning|allergic reaction|anaphylaxis|anaphylactic|choking|glass in|metal in|stranded"
        "|alone at night|unsafe driver|carbon monoxide|gas leak"
    ),
    "elderly": (
        "elderly|pensioner|pensioners|oap|my gran|my grandma|my grandmother|my grandad|my granddad"
        "|my grandfather|my nan|my nana|grandparents|grandparent|care home|nursing home|senior citizen"
        "|aged parent|aged mother|aged father"
    ),
    "disabled": (
        "disabled|disability|disabilities|wheelchair|i'm blind|i am blind|registered blind|visually impaired"
        "|partially sighted|sight loss|i'm deaf|i am deaf|profoundly deaf|hard of hearing|hearing impaired"
        "|screen reader|voiceover|accessibility"
        "|mobility scooter|autistic|autism|learning disability|dyslexic|dyslexia|relay uk|sign language"
        "|bsl|large print|braille"
    ),
    "bereavement": (
        "passed away|mum died|dad died|mother died|father died|husband died|wife died|partner died|son died"
        "|daughter died|death in the family|a death|the death of|after the death|deceased|bereavement|bereaved|funeral|late mum|late mother|late dad"
        "|late father|late husband|late wife|late partner|late son|late daughter|death certificate|widow"
        "|widowed|widower|probate|executor|lost my mum|lost my dad|lost my mother|lost my father"
        "|lost my husband|lost my wife|lost my son|lost my daughter"
    ),
    "medical": (
        "hospital|in hospital|a&e|ambulance|doctor|doctors|gp|nhs|patients|a patient|medication|medicine"
        "|prescription|insulin|dialysis|chemo|chemotherapy|cancer|surgery|pregnant|heart attack|stroke"
        "|seizure|epilepsy|epileptic|diabetic|oxygen|carer|carers|care worker|personal alarm"
        "|pendant alarm|telecare|lifeline alarm|vulnerable|mental health|terminally ill|terminal illness"
    ),
    "legal": (
        "lawyer|lawyers|solicitor|solicitors|attorney|attorneys|legal action|legal advice|lawsuit|sue you"
        "|suing|will sue|going to sue|small claims|take you to court|see you in court|court action"
        "|ombudsman|ofcom|fca|ftc|fcc|bbb|better business bureau|trading standards|cma|citizens advice"
        "|consumer rights|consumer protection|gdpr|data protection|ico|subject access request|regulator"
        "|report you to|reporting you to|formal complaint|deadlock letter|class action|attorney general"
        "|financial ombudsman|cfpb|advertising standards"
    ),
    "press": (
        "journalist|journalists|reporter|reporters|the press|to the press|press office|press enquiry"
        "|press inquiry|newspaper|newspapers|the papers|news desk|newsdesk|watchdog|rip off britain"
        "|the bbc|bbc news|sky news|daily mail|the guardian|the telegraph"
        "|request for comment|for comment|the media|media enquiry|media inquiry|local news|on the news"
        "|writing a story|doing a story|for a story|consumer champion"
    ),
}

#: The category groups that routing rules may name instead of a category.
GROUPS: dict[str, tuple[str, ...]] = {"vulnerability": ("elderly", "disabled", "bereavement", "medical")}
CATEGORIES: tuple[str, ...] = tuple(RISK_WORDS)

# An age of 75 or more, in English ("she's 89", "aged 84", "89 years old") and Welsh ("yn 84").
_AGE = re.compile(
    r"\b(?:is|she's|he's|shes|hes|i'm|im|i am|aged|age|turned|turning|turns|yn)\s+(7[5-9]|[89]\d|10\d)\b"
    r"(?!\s*(?:%|min|mins|minutes|hours?|hrs?|days?|weeks?|months?|gb|mb|mbps|pounds|quid|p\b|pence|calls?|times))"
    r"|\b(7[5-9]|[89]\d|10\d)[- ]?(?:years?[- ]old|yrs?[- ]old|y/o|yo)\b"
)
_AGE_NUMBER = re.compile(r"(?<!\d)(?:7[5-9]|[89]\d|10\d)(?!\d)")  # cheap test before _AGE
_AGE_TRIGGERS = frozenset("is she's he's shes hes i'm im am aged age turned turning turns yn years year yrs yr y/o yo old"
                          .split())


# Frequent words are poor keys for finding a phrase (every text holding one is checked for the
# phrase): a phrase is found through a rarer word of it where it has one.
_FREQUENT = COMMON | frozenset(
    "who after without going isn't old real action screen family self money care lost doing subject message called"
    " someone department support business news story home worker team my me i a the this that is was not her his"
    " their about have has had said says taken writing allergic into life better used age else large story late"
    .split()
)


def build_index(extra: dict[str, list[str]] | None = None) -> Index:
    """word -> [(category, phrase or None)] for the risk words, plus a brand's own."""
    index: Index = {}
    for category, phrases in RISK_WORDS.items():
        add(index, category, phrases, _FREQUENT)
    more = extra or {}  # (not `(extra or {}).items()`, on which Cython 3.3's type inference crashes)
    for category, phrases in more.items():
        add(index, category, phrases, _FREQUENT)
    return index


BASE_INDEX = build_index()


class RiskFinder:
    """Finds the risk cues of a text, given its lower-case VADER tokens."""

    def __init__(self, extra: dict[str, list[str]] | None = None) -> None:
        self.index = build_index(extra) if extra else BASE_INDEX
        self.triggers = frozenset(self.index)

    def find(self, text: str, low_tokens: list[str]) -> list[tuple[str, str]]:
        """[(category, the word or phrase found)], one per category, in `CATEGORIES` order."""
        hits = self.triggers.intersection(low_tokens)
        found: dict[str, str] = {}
        low = ""
        if hits:
            low = text.lower()
            if not low.isascii():
                low = low.replace("’", "'")
            if len(hits) > 1:  # in the text's order, so that every process names the same phrase
                hits = sorted(hits, key=low_tokens.index)
            for word in hits:
                for category, phrase in self.index[word]:
                    if category in found:
                        continue
                    if phrase is None or contains(low, phrase):
                        found[category] = phrase or word
        if "elderly" not in found and not _AGE_TRIGGERS.isdisjoint(low_tokens) and _AGE_NUMBER.search(text):
            m = _AGE.search(low or text.lower())
            if m:
                found["elderly"] = m.group().strip()
        if not found:
            return []
        return [(c, found[c]) for c in CATEGORIES if c in found] + [
            (c, p) for c, p in found.items() if c not in CATEGORIES
        ]


def expand(names: list[str]) -> set[str]:
    """Risk category names, with groups (`vulnerability`) replaced by their categories."""
    out: set[str] = set()
    for name in names:
        out.update(GROUPS.get(name, (name,)))
    return out
