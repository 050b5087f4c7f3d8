"""The word lists behind the anger cues: general customer-service English, lower case,
"|"-separated words or phrases, matched as whole words (see `cues`)."""

from __future__ import annotations

import re

ANGER_WORDS = (
    "frustrated|frustrating|frustration|frustrates|furious|fuming|livid|pissed|enraged|angry|angered|outraged"
    "|outrageous|outrage|infuriating|infuriated|disgusted|disgusting|disgrace|disgraceful|appalled|appalling"
    "|annoyed|annoying|irritated|irritating|ridiculous|absurd|unacceptable|laughable|pathetic|useless|worthless"
    "|incompetent|incompetence|hopeless|shameful|ashamed|worst|terrible|horrible|awful|atrocious|abysmal"
    "|dreadful|trash|garbage|rubbish|nightmare|ripoff|rip-off|ripped off|rip off|scam|scams|scammed|scammers"
    "|robbery|fraud|fraudulent|liars|liar|lying|lied to|rude|unprofessional|disrespectful|disrespected|ruined"
    "|ruining|unbelievable|unhappy|sucks|sucked|shambles|lame|idiot|idiots|idiotic|morons|moronic|clowns"
    "|stupid|dumb|despise|aggravating|aggravation|runaround|run-around|hate you|hate your|hate this|hate dealing"
    "|#fail|#epicfail|#csfail|#customerservicefail|#badservice|#worstservice|#neveragain|#unacceptable"
    "|#disappointed|#notimpressed|#ripoff|#scam|fed up|fed-up|sick of|sick and tired|tired of"
    "|had enough|enough is enough|last straw|lost my patience|losing my patience|out of patience|no patience"
    "|can't stand|cannot stand|what a joke|such a joke|is a joke|joke of a|waste of time|waste of money"
    "|waste of my time|wasted my time|wasted my money|wasting my time|wasted my day|do better"
    "|get your act together|get it together|get your shit together|sort it out|sort this out|fix your"
    "|just fix it|fix it already|fix this already"
    "|are you kidding|are you serious|are you joking|kidding me|beyond me|beyond frustrating|so disappointed"
    "|very disappointed|extremely disappointed|really disappointed|incredibly disappointed|so upset|very upset"
    "|really upset|not happy|not impressed|what the hell|what the heck|how hard is it|how difficult is it"
    "|shame on|drop the ball|dropped the ball|what's the point|what is the point"
)
CHURN_WORDS = (
    "cancel my account|cancel my subscription|cancel my membership|cancel my service|cancel my contract"
    "|cancel my plan|cancel my card|cancelling my account|canceling my account|cancelling my subscription"
    "|canceling my subscription|cancelling my membership|canceling my membership|close my account"
    "|closing my account|delete my account|want to cancel|wanna cancel|going to cancel|gonna cancel"
    "|about to cancel|want to switch|switching to|switched to|switching providers|switching carriers"
    "|leaving you|never again|never using|never buying|never ordering|never flying|never shopping"
    "|never booking|never coming back|never going back|never recommend|don't recommend|do not recommend"
    "|wouldn't recommend|would not recommend|can't recommend|won't renew|will not renew|not renewing"
    "|time to cancel|time to switch|done with you"
    "|done with y'all|i'm done with|im done with|i am done with|we're done with|so done"
    "|officially done|completely done|totally done|getting rid of|take my business elsewhere"
    "|taking my business elsewhere|won't be back|won't be using|won't be buying|won't be ordering"
    "|will not be back|never be back|lost a customer|lost another customer|losing a customer"
    "|lost this customer|lost a loyal customer|lost me as a customer|losing me as a customer"
    "|former customer|ex-customer|unsubscribe|port my number|porting my number|to a competitor|boycott"
    "|boycotting|go elsewhere|going elsewhere|look elsewhere|looking elsewhere|shop elsewhere"
)
SARCASM_WORDS = "|".join(
    [
        f"{thanks} for {what}"
        for thanks in ("thanks", "thank you", "thanks so much", "thank you so much", "thanks again")
        for what in ("nothing", "ruining", "wasting", "breaking", "losing", "ignoring", "never")
    ]
) + (
    "|way to go|way to drop|way to ruin|way to mess|way to screw|way to lose|way to treat"
    "|oh great|oh joy|oh good|oh wonderful|oh perfect|just what i needed|just what i wanted|yeah right"
)
# Sarcasm only next to a problem (the cheerful words are checked by INTERJECTION).
SARCASM_NEAR_WORDS = (
    "so much for|love how|love that|love it when|gotta love|got to love|loving how|love being|love waiting"
    "|love paying"
    "|love spending|as usual|as always|great job|great work|great service|nice job|nice work|awesome job"
    "|well done|great update|great feature|cool feature|great move"
)
CHEERFUL = "great|nice|awesome|brilliant|fantastic|wonderful|lovely|perfect|cool|terrific|amazing"
PROBLEM_WORDS = (
    "not|never|cannot|can't|cant|won't|wont|don't|dont|doesn't|doesnt|didn't|didnt|isn't|isnt|haven't"
    "|hasn't|unable|nothing|still|again|broken|broke|down|outage|error|crash|crashed|crashing|crashes|stuck"
    "|froze|frozen|freezing|missing|lost|damaged|wrong|late|delayed|delay|overcharged|charged|refund|waiting"
    "|hold|ruined|failed|fails|failing"
)
WAITING_WORDS = (
    "on hold|still waiting|still no|still not|still nothing|still haven't|still havent|still hasn't"
    "|still hasnt|still can't|still cant|still cannot|still don't|still dont|still doesn't|still doesnt"
    "|still isn't|still won't|still broken|still down|still missing|still stuck|no response|no reply"
    "|no replies|no answer|no update|no updates|no callback|no call back|not a single|haven't heard"
    "|havent heard|have not heard|never heard back|no one answers|no one answered|no one responds"
    "|no one responded|no one is responding|no one replied|no one helps|no one helped|no one can help"
    "|no one is helping|no one called|no one got back|no one gets back|nobody answers|nobody answered"
    "|nobody responds|nobody responded|nobody is responding|nobody replied|nobody helps|nobody helped"
    "|nobody can help|nobody is helping|nobody called|nobody got back|for days|for weeks"
    "|for months|for ages|for hours|days now|weeks now|months now|days later|weeks later|been hours"
    "|been days|been weeks|been months|been ages|2nd time"
    "|3rd time|second time|third time|fourth time|every time|every single time|yet again|yet another|once again"
    "|over and over|keeps happening|keeps breaking|keeps crashing|keeps failing|twice now|twice already"
    "|three times|multiple times|several times|so many times|countless times|noone responds|noone answers"
)
PROFANITY_WORDS = (
    "fuck|fucking|fucked|fucker|fuckers|fucks|fck|fcking|fuk|wtf|stfu|ffs|tf|af|shit|shitty|shite|bullshit"
    "|crap|crappy|damn|damned|dammit|goddamn|hell|bloody|arse|ass|asshole|assholes|bastard|bastards|bitch"
    "|piss|feck|feckin|fecking|effing|freaking|frickin"
)
UNITS = "min|mins|minute|minutes|hour|hours|hr|hrs|day|days|week|weeks|wk|wks|month|months|times"
NUM = r"(?:\d+|an?|one|two|three|four|five|six|seven|eight|nine|ten|twelve|several|few|a few|many|multiple|couple of)"
UNIT = r"(?:min(?:ute)?s?|hours?|hrs?|days?|weeks?|wks?|months?)"
TIMED_WAIT = re.compile(
    rf"\b(?:{NUM} {UNIT} (?:on hold|waiting|of waiting|later|late|and still|now|in a row|straight)"
    rf"|(?:on hold|waiting|waited|wait|been) (?:for )?(?:over |almost |nearly |more than )?{NUM} {UNIT}"
    rf"|for (?:over |almost |nearly |more than )?{NUM} {UNIT}"
    r"|(?:\d+|two|four|five|six|seven|eight|nine|ten)(?: more)? times)\b"
)
CANCEL = re.compile(
    r"\bcancel(?:l?ing|l?ed)? (?:my |our |the |this )?(?:[\w-]+ ){0,2}"
    r"(?:account|subscription|membership|service|contract|plan|policy|line)s?\b"
)
INTERJECTION = re.compile(rf"\b(?:{CHEERFUL})(?:\s*[,!…]|\.\.)")
SCARE_QUOTES = re.compile(r"(?:^|\s)[\"“'‘][a-z][a-z ]{2,24}[\"”'’](?=\W|$)")
PUNCT_RUN = re.compile(r"[!?]{2,}")
ANGRY_EMOJI = re.compile("[\U0001f621\U0001f620\U0001f92c\U0001f624\U0001f595\U0001f4a2]")
ANNOYED_EMOJI = re.compile("[\U0001f644\U0001f44e\U0001f926\U0001f612\U0001f611]")
ANGRY_HASHTAG_ENDS = ("sucks", "fail", "fails", "neveragain", "worst", "ripoff", "scam")
HASHTAG = [("hashtag", None)]
NEGATORS = ("not ", "never ", "no ", "isn't ", "wasn't ", "not that ", "not the ")
CURLY = str.maketrans({"’": "'", "‘": " ", "“": " ", "”": " ", "…": " "})
STRIP = "\"'“”‘’.,;:!?()[]{}<>*_~…-"

W_ANGER, W_ANGER_MORE, W_ANGER_MAX = 1.0, 0.3, 1.6
W_CHURN, W_SARCASM, W_SARCASM_NEAR = 1.2, 1.0, 0.8
W_WAITING, W_WAITING_MORE, W_WAITING_MAX, W_PROFANITY = 0.6, 0.3, 1.2, 0.8
W_EMPHASIS, W_SHOUTING = 0.4, 0.8
W_PUNCT, W_PUNCT_MORE = 0.4, 0.6
W_ANGRY_EMOJI, W_ANNOYED_EMOJI = 1.0, 0.5
W_NEGATIVITY, W_POSITIVE_DAMP = 1.25, 1.0


# Frequent words are poor keys for finding a phrase: they would send many texts to the phrase check.
COMMON = frozenset(
    "the and for you your this that what with will have has been are was not all can one our out get got"
    " now way time day back over call thanks thank i'm we're account service number customer still"
    " to be go it is in on of so my me we no do help just".split()
)


# Suggestions and feature requests (intent "feedback" when nothing is complained about).
SUGGESTION = re.compile(
    r"\b(?:you should (?:add|make|have|bring|do|offer|sell|stock|get|open|consider|put|let)|you guys should"
    r"|y'all should|please (?:add|bring back|make|stock|consider|offer|sell|open)|(?:could|can|would) you (?:add|make|"
    r"bring back|stock|offer|consider)|would (?:love|like) (?:to see|it if|a|an|more|some)|(?:it )?would be (?:nice|great|"
    r"cool|awesome|amazing|good) (?:if|to)|suggestion|suggest|feature request|bring back|consider adding"
    r"|why not (?:add|make|have)|why don't you (?:add|make|have)|i wish (?:you|there)|wish you (?:had|would|could)"
    r"|add an option|add a feature|need an option|needs an option)\b"
)
# The regular expression runs only on texts holding one of these words.
SUGGESTION_TRIGGERS = frozenset("should suggestion suggest request bring consider wish option feature add".split())

# Thanks in the languages the demo and common support channels see (texts in a language no
# scorer covers are ranked by these, a question mark and the risk cues).
THANKS_WORDS = frozenset(
    "thanks thank gracias merci danke diolch dzięki dziękuję dziekuje obrigado obrigada grazie bedankt dank"
    " mulțumesc multumesc teşekkürler teşekkür tesekkurler tack takk kiitos спасибо дякую धन्यवाद शुक्रिया"
    " شكرا ありがとう ありがとうございます 谢谢 감사합니다 cheers ta".split()
)

#: English function words that other languages the language model confuses English with do not
#: share, and a few frequent English words of chat (a text holding one is taken as English).
ENGLISH_WORDS = frozenset(
    """the and you your you're i'm i've i'll don't can't won't didn't doesn't isn't it's that's my i are were
    been have has had does did not it this that what when where why how who for of on with from by just get
    got can will would could should please thanks thank still again any anyone there they them their our we
    us he she his her but if or about good new more time really lol damn wait luck news day today love like
    great glad bro dude yeah yes""".split()
)


# -- praise, thanks and sarcasm around a problem (`tone`) ------------------------------------------

#: Praise and thanks: a text holding one of these, and no question, request or unresolved
#: problem, is praise that needs no response (labelling guidelines: "praise or thanks only").
PRAISE_WORDS = (
    "thanks|thank you|thankyou|thx|ty|cheers|many thanks|much appreciated|appreciate it|appreciate you"
    "|appreciated|grateful|kudos|shoutout|shout-out|shout out|props to|credit where|hats off|well done"
    "|legend|legends|superstar|star|hero|heroes|brilliant|amazing|awesome|excellent|fantastic|superb"
    "|outstanding|wonderful|lovely|great job|great work|great service|great team|nice one|top notch"
    "|impressed|impressive|love|loving|loved|best|perfect|spot on|so kind|so helpful|very helpful"
    "|really helpful|super helpful|helpful|patient|a pleasure|pleasure to|delighted|happy|very happy|chuffed"
    "|give her a raise|give him a raise|give them a raise|made my day|you rock|you rule|better than i expected"
    "|better than expected|way better|diolch|gracias|merci"
    "|danke|obrigado|obrigada|grazie|dzięki|dziękuję|dhanyavad|shukriya"
)
#: A problem the text says is over ("fixed by 10", "back online", "sorted in 20 mins").
RESOLVED_WORDS = (
    "fixed|sorted|resolved|solved|restored|back online|back up|back on|back in|signal back|working again"
    "|works again|works now|working now|now works|now working|up and running|all good|it's working|is working"
    "|worked|works perfectly|went through|arrived|turned up|refunded|credited|replaced|unblocked|unlocked"
    "|reconnected|got it sorted|got it working|live|helped|helping|saved me|saving|tracked down|found it"
    "|made up for|making up for|compensated"
)
#: Contrast after thanks ("thanks, but it's still down") keeps a problem open.
CONTRAST = re.compile(r"\b(?:but|however|although|though|except|unfortunately|sadly|yet)\b")
#: Asking for something: a reply is needed whatever the thanks.
REQUEST = re.compile(
    r"\b(?:please|pls|plz|can you|could you|would you|can someone|can anyone|i need|we need|need help|need you to"
    r"|help me|help us|let me know|get back to me|call me|ring me|phone me|contact me|email me|text me|dm me"
    r"|message me|best time to (?:call|ring|reach|contact)|any update|any news|when will|how do|how can"
    r"|check your dms?|sent (?:you|you guys|you all|y'all) an? (?:dm|message|email)|dm'd you|dmed you|follow back"
    r"|in advance|any help|imagine if|why|what's the|what is the|wondering|any idea|anyone know|does anyone)\b"
)
REQUEST_TRIGGERS = frozenset(
    "please pls plz can could would i need we help let get call ring phone contact email text dm message best any"
    " when how check sent dm'd dmed follow advance imagine why what's what wondering anyone does".split()
)
#: Problem words that are more than a negation ("not", "never" also appear in praise: "never
#: had such good service"): what sarcasm must stand next to, with the trouble words.
NEGATIONS = frozenset(
    "not never cannot can't cant won't wont don't dont doesn't doesnt didn't didnt isn't isnt haven't hasn't nothing"
    .split()
)
#: Trouble words beyond PROBLEM_WORDS that sarcasm needs near it ("yet another outage", "no
#: signal", "is a 404", "had to"): looked up only when a sarcastic marker is present.
TROUBLE_WORDS = (
    "outage|outages|is out|are out|went out|out of service|out across|out again|cut off|went off|switched off"
    "|no signal|no service|no internet|no wifi|no broadband|no connection|no network|no power"
    "|broadband went|internet went|signal went|wifi went|connection went|network went|line went"
    "|dropped|dropping|drops|404|yet another|another outage|had to"
    "|promised|again|disconnected|offline|slow|slower|buffering|price rise|price rises|more than new customers"
    "|more than what|waited|downtime|nobody|no one|penalty|disappointed|disappointing"
)
#: Sarcastic praise: cheerful words that, next to a problem, mean the opposite.
SARCASTIC_MARKERS = (
    "wow|oh wow|thanks a lot|thanks a bunch|love that|love this|loving this"
    "|love that for me|love that for us|great start|what a great|what a lovely|brilliant|fantastic|amazing"
    "|genius|bravo|well done|nice one|great job|great work|good job|stellar|top notch|impressive|stunning"
    "|classy|feels symbolic|how fitting|how lovely|how nice|as always|as usual|standard|never fails"
    "|never disappoints|i'd like to thank|i would like to thank|cheers for that|thanks for that"
)
#: Emoji that turn cheerful words around next to a problem: upside-down face, clapping, unamused.
SARCASTIC_EMOJI = re.compile("[\U0001f643\U0001f44f\U0001f612]")
#: An emphatic count after a number ("At 8pm it's 4. FOUR."): exasperation.
COUNT_WORDS = "ZERO|ONE|TWO|THREE|FOUR|FIVE|SIX|SEVEN|EIGHT|NINE|TEN|ELEVEN|TWELVE|TWENTY|FIFTY|HUNDRED"
EXASPERATED_COUNT = re.compile(rf"\d[^.!?]{{0,40}}[.!?]\s+(?:{COUNT_WORDS})[.!]")
