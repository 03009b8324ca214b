"""Opt-out by any reasonable means (FCC 24-18, in force since April 2025): what reads as "stop".

Two readings, both on the normalised words (upper-case, apostrophes dropped: "don't" is DONT):

- An opt-out keyword (STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, OPTOUT or "OPT OUT",
  REVOKE) with nothing around it but words of politeness or emphasis: "stop please", "please
  STOP!!", "stop it now", "STOP STOP", "just stop", "can you stop", "unsubscribe me".
- A revocation phrase anywhere in the message: "opt (me) out", "unsubscribe", "stop texting /
  messaging / sending / contacting", "stop (the|these) texts", "don't text / message / email me",
  "no more texts / messages", "remove me", "take me off", "leave me alone", "revoke / withdraw
  my consent", "cancel my subscription". A negation just before it ("I don't want to
  unsubscribe", "don't stop texting me") undoes it.

"I won't stop trying", "don't stop now" and "Stop rambling next time" are not opt-outs. The last
starts with a stop word, though: `starts_with_stop_word` lets the reply say how to stop, in case
that was meant (never silently unsubscribed, never silently ignored).

The same in Spanish and French, the other languages onward speaks, whatever the person's own
(someone told "Responde STOP para darte de baja" may answer "darme de baja"), read with their
accents folded: keywords (BAJA, ARRÊT, DESABONNER... `OPT_OUT_KEYWORDS_ES_FR`, with "por favor",
"merci", "svp" round them) and phrases ("no me mandes más mensajes", "dejen de escribirme",
"sáquenme de la lista", "ne m'envoyez plus", "désabonnez-moi", "laissez-moi tranquille"), each
undone by its own negation ("no quiero darme de baja", "je ne veux pas me désabonner").
"""

from __future__ import annotations

import re

from onward.engine.inbound.words import FOLD_ACCENTS, keys
from onward.plans.keywords import OPT_OUT_KEYWORDS, OPT_OUT_KEYWORDS_ES_FR

# Two words that stop as one keyword does, with only courtesy round them ("sorry, wrong
# number", "not interested, thanks"); in a sentence they are everyday words.
_SAID_AS_ONE = {"WRONG NUMBER": "WRONGNUMBER", "NOT INTERESTED": "NOTINTERESTED"}
_AS_SAID = {one: said for said, one in _SAID_AS_ONE.items()}
_ENGLISH = OPT_OUT_KEYWORDS | set(_AS_SAID)
# Everyday words as well ("para mañana", "alto nivel"): no hint when a sentence starts with one.
_HINTED_ES_FR = OPT_OUT_KEYWORDS_ES_FR - {"PARA", "ALTO", "BASTA", "DETENER"}

# Politeness and emphasis: nothing here changes what a bare STOP means.
_AROUND_A_KEYWORD = frozenset(
    {
        "PLEASE", "PLS", "PLZ", "PLEASEE", "NOW", "RIGHT", "IT", "ALL", "THIS", "THAT", "THESE",
        "EVERYTHING", "THANKS", "THANK", "YOU", "THX", "TY", "ASAP", "IMMEDIATELY", "ALREADY",
        "ME", "OK", "OKAY", "SERIOUSLY", "JUST", "FOR", "GOOD", "FOREVER", "AGAIN", "REALLY",
        "SORRY", "KINDLY", "YES", "HEY", "HI", "OH", "SO", "CAN", "COULD", "WOULD", "WILL", "U",
        "YA", "OUT", "OPT", "NO", "MORE", "ANYMORE", "SIR", "MAAM", "GOD", "DAMN",
        "DAMMIT", "FFS", "LOL", "FINE", "THEN", "WELL", "ALRIGHT", "HERE", "MESSAGES", "TEXTS",
        # Spanish and French.
        "POR", "FAVOR", "PORFA", "PORFAVOR", "PLIS", "GRACIAS", "AHORA", "MISMO", "SI",
        "HOLA", "MENSAJES", "SVP", "STP", "SIL", "VOUS", "TE", "PLAIT", "MERCI", "MAINTENANT",
        "OUI", "BONJOUR", "SALUT", "TOUT",
    }
)  # fmt: skip
_MESSAGES = (
    r"(?:TEXTS?|TXTS?|MESSAGES?|MSGS?|SMS|EMAILS?|REMINDERS?|NUDGES?|NOTIFICATIONS?|ALERTS?)"
)
_CONTACT = r"(?:TEXT|TXT|MESSAGE|MSG|EMAIL|CONTACT|SMS|CALL|SPAM|BOTHER|PING)"
_CONTACTING = (
    r"(?:TEXTING|TXTING|MESSAGING|MSGING|EMAILING|CONTACTING|CALLING|SPAMMING|BOTHERING|"
    r"PINGING|SENDING|TEXTIN|MESSAGIN)"
)
_REVOCATION = re.compile(
    r"\b(?:"
    r"OPT (?:ME )?OUT|OPTOUT|OPTING OUT|UNSUBSCRIBE|UNSUB|UNSUBSCRIBING"
    rf"|(?:STOP|QUIT|CEASE) {_CONTACTING}"
    rf"|(?:STOP|QUIT|END|CANCEL|HALT) (?:ALL |SENDING |RECEIVING |GETTING )?"
    rf"(?:(?:THE|THESE|THOSE|THIS|YOUR|UR|MY|ALL THE|ALL THESE|ANY) )?{_MESSAGES}"
    rf"|(?:DONT|DO NOT|NEVER|PLEASE DONT|PLS DONT) (?:EVER )?{_CONTACT} ME"
    rf"|(?:NO|NOT ANY) MORE {_MESSAGES}|I DONT WANT (?:ANY )?(?:MORE )?{_MESSAGES}"
    r"|REMOVE ME|TAKE ME OFF|DELETE ME FROM|LEAVE ME ALONE|LEAVE ME BE"
    r"|(?:REVOKE|WITHDRAW|WITHDRAWING|REVOKING|RESCIND) (?:MY |ALL )?CONSENT"
    r"|(?:CANCEL|END|STOP|TERMINATE) (?:MY |THIS |THE )?SUBSCRIPTION|CANCEL ME|STOPALL"
    rf"|I DONT WANT (?:THESE |THOSE |YOUR |THE )?{_MESSAGES}"
    r"|I DONT WANT (?:THESE|THOSE|THEM|THIS) (?:ANYMORE|ANY MORE)"
    rf"|(?:CAN|COULD|WOULD|WILL) YOU (?:PLEASE )?NOT {_CONTACT} ME"
    rf"|(?:TURN|SWITCH) OFF (?:(?:THE|THESE|THOSE|ALL|YOUR|MY|ALL THE|ALL THESE) )?{_MESSAGES}"
    r"|GET ME OFF (?:THIS|THE|YOUR|UR|YA) (?:LIST|THING|SERVICE|PROGRAM|NUMBER)"
    r"|NO LONGER (?:WISH|WANT) TO (?:RECEIVE|GET|BE SENT)"
    r"|DELETE MY (?:NUMBER|DATA|INFO|INFORMATION|DETAILS|ACCOUNT|CONTACT)"
    # Only as the message's end: "please stop" after anything ("I don't need this anymore,
    # please stop"), and what could begin a longer sentence ("I want out of this industry").
    r"|PLEASE STOP(?: (?:IT|NOW|THANKS|THANK YOU|ALREADY))*\Z"
    r"|STOP (?:RECEIVING|GETTING) (?:THESE|THEM|THIS)(?: (?:PLEASE|NOW|THANKS|ANYMORE))*\Z"
    rf"|ENOUGH (?:WITH |OF )?(?:THE |THESE |YOUR )?{_MESSAGES}(?: (?:PLEASE|ALREADY|NOW))*\Z"
    r"|\AI WANT OUT\Z"
    r")\b"
)
# Spanish, accents folded ("sáquenme" is SAQUENME).
_ES_MESSAGES = r"(?:MENSAJES|MENSAJITOS|TEXTOS|SMS|CORREOS|EMAILS|NOTIFICACIONES|RECORDATORIOS)"
_ES_REVOCATION = (
    r"(?:DARME|DAME|DENME|DEME|DARSE|ME DOY) DE BAJA"
    r"|(?<!\bNO )(?:QUIERO|QUISIERA|DESEO|PIDO) (?:LA |MI )?BAJA"
    r"|DESUSCRIB\w*|DESINSCRIB\w*"
    r"|CANCELAR (?:MI |LA )?SUSCRIPCION"
    r"|NO (?:ME )?(?:MANDES|MANDEN|ENVIES|ENVIEN|ESCRIBAS|ESCRIBAN|CONTACTES|CONTACTEN"
    r"|MOLESTES|MOLESTEN)"
    rf"|NO QUIERO (?:RECIBIR )?(?:MAS |NINGUN |NINGUNA )?{_ES_MESSAGES}"
    r"|(?:DEJA|DEJEN|DEJE|DEJAD|PARA|PAREN|PARE) DE (?:ESCRIBIRME|MANDARME|ENVIARME"
    r"|CONTACTARME|MOLESTARME|LLAMARME)"
    r"|(?:BORRA|BORREN|BORRAR|QUITA|QUITEN|QUITAR|SACA|SAQUEN|SACAR|ELIMINA|ELIMINEN|ELIMINAR)"
    r"ME DE (?:LA |TU |SU |VUESTRA |ESTA |ESTE |SUS |TUS )?(?:LISTA|LISTAS|SERVICIO|PROGRAMA)"
    r"|(?:DEJAME|DEJENME|DEJADME) EN PAZ"
    r"|(?:REVOCO|RETIRO|REVOCAR|RETIRAR) (?:MI |EL )?CONSENTIMIENTO"
    rf"|NO MAS {_ES_MESSAGES}"
)
# French, accents folded and apostrophes and hyphens dropped ("m'envoyez" is MENVOYEZ,
# "laissez-moi" LAISSEZMOI).
_FR_MESSAGES = r"(?:MESSAGES|SMS|TEXTOS|MAILS|EMAILS|COURRIELS|NOTIFICATIONS|RAPPELS)"
_FR_REVOCATION = (
    r"DESABONN\w*|DESINSCRI\w*"
    r"|(?:ARRETEZ|ARRETE|ARRETER|CESSEZ|CESSE) (?:DE |D )?(?:MENVOYER|MECRIRE|ME CONTACTER"
    rf"|ME TEXTER|ME DERANGER|ME HARCELER|MAPPELER|ENVOYER (?:DES |LES |VOS |CES )?{_FR_MESSAGES})"
    rf"|(?:ARRETEZ|ARRETE|ARRETER|STOP) (?:LES |VOS |CES |TES |TOUS LES |TOUS CES )?{_FR_MESSAGES}"
    r"|NE (?:MENVOYEZ|MENVOIE|MENVOIS|MECRIVEZ|MECRIS|ME CONTACTEZ|ME CONTACTE|MAPPELEZ"
    r"|ME DERANGEZ) PLUS"
    rf"|JE (?:NE )?VEUX PLUS (?:RECEVOIR )?(?:DE |DES |VOS |CES |LES |TES )?{_FR_MESSAGES}"
    r"|(?:LAISSEZ|LAISSE)MOI (?:TRANQUILLE|EN PAIX)|(?:FICHEZ|FOUTEZ)MOI LA PAIX"
    r"|(?:RETIREZ|RETIRE|SUPPRIMEZ|SUPPRIME|ENLEVEZ|ENLEVE)MOI DE (?:LA |VOTRE |TA |VOS |CETTE )?"
    r"(?:LISTE|LISTES|PROGRAMME|SERVICE)"
    r"|(?:RETIRE|REVOQUE|RETIRER|REVOQUER) (?:MON )?CONSENTEMENT"
    r"|(?:ANNULER|ANNULEZ|ANNULE|RESILIER|RESILIEZ) (?:MON |MA |LE |LA )?(?:ABONNEMENT|INSCRIPTION)"
)
# The words a Spanish or French phrase above can begin with, and the stems of its one-word
# readings: a message with none of them is not read for those phrases.
_ES_FR_FIRST_WORDS = frozenset(
    {"DARME", "DAME", "DENME", "DEME", "DARSE", "ME", "QUIERO", "QUISIERA", "DESEO", "PIDO",
     "CANCELAR", "NO", "DEJA", "DEJEN", "DEJE", "DEJAD", "PARA", "PAREN", "PARE", "BORRAME",
     "BORRENME", "BORRARME", "QUITAME", "QUITENME", "QUITARME", "SACAME", "SAQUENME", "SACARME",
     "ELIMINAME", "ELIMINENME", "ELIMINARME", "DEJAME", "DEJENME", "DEJADME", "REVOCO", "RETIRO",
     "REVOCAR", "RETIRAR", "ARRETEZ", "ARRETE", "ARRETER", "CESSEZ", "CESSE", "STOP", "NE", "JE",
     "LAISSEZMOI", "LAISSEMOI", "FICHEZMOI", "FOUTEZMOI", "RETIREZMOI", "RETIREMOI",
     "SUPPRIMEZMOI", "SUPPRIMEMOI", "ENLEVEZMOI", "ENLEVEMOI", "RETIRE", "REVOQUE", "RETIRER",
     "REVOQUER", "ANNULER", "ANNULEZ", "ANNULE", "RESILIER", "RESILIEZ"}
)  # fmt: skip
_ES_FR_STEMS = ("DESUSCRIB", "DESINSCRI", "DESABONN")
_ES_FR_REVOCATION = re.compile(rf"\b(?:{_ES_REVOCATION}|{_FR_REVOCATION})\b")
# Undoes a phrase it comes just before: "don't stop texting me", "I don't want to unsubscribe".
_NEGATED = re.compile(
    r"\b(?:DONT|DO NOT|NEVER|WONT|WILL NOT|NOT|CANT|CANNOT|DIDNT|DOESNT|SHOULDNT|WOULDNT)"
    r"(?: (?:WANT|WANNA|NEED|PLAN|MEAN|GOING|TRYING|GONNA|TO|EVER|REALLY|JUST|PLEASE)){0,3} \Z"
    # "no quiero / no voy a darme de baja", "je ne veux pas / ne vais pas me désabonner".
    r"|\b(?:NO|NUNCA) (?:QUIERO|QUIERE|QUEREMOS|DESEO|PIENSO|NECESITO|VOY A|VAMOS A)"
    r"(?: (?:QUE|ME|TE|NADA|REALMENTE))* \Z"
    r"|\bNE (?:VEUX|VEUT|VOULONS|VAIS|VA|SOUHAITE|COMPTE|PENSE|DOIS) (?:PAS|JAMAIS)"
    r"(?: (?:ME|TE|VOUS|DE|ME FAIRE))* \Z"
)
_MAX_KEYWORD_WORDS = 16
_HEART = re.compile(r"</?3+")


def opt_out_reading(norm: str) -> str | None:
    """The keyword or phrase that makes `norm` an opt-out, or None."""
    norm = _HEART.sub(" ", norm)  # "stop <3": the heart is no word
    every = keys(norm)
    folded = _folded(every)  # for the Spanish and French readings only ("STÖP" is no STOP)
    if every and len(every) <= _MAX_KEYWORD_WORDS:
        keyword = _keyword_with_courtesy(every, folded)
        if keyword is not None:
            return keyword
    readings = [(_REVOCATION, " ".join(every))]
    if _may_start_es_fr(folded):  # most messages: no word that begins one
        readings.append((_ES_FR_REVOCATION, " ".join(folded)))
    for phrases, words in readings:
        for match in phrases.finditer(words):
            if not _NEGATED.search(words[: match.start()]):
                return match.group()
    return None


def _may_start_es_fr(words: list[str]) -> bool:
    return any(word in _ES_FR_FIRST_WORDS or word.startswith(_ES_FR_STEMS) for word in words)


def _folded(words: list[str]) -> list[str]:
    if all(word.isascii() for word in words):  # most messages: nothing to fold
        return words
    return [word.translate(FOLD_ACCENTS) for word in words]


def _keyword_with_courtesy(words: list[str], folded: list[str]) -> str | None:
    pairs = list(zip(_opt_out_as_one(words), _opt_out_as_one(folded), strict=True))
    found = [
        _AS_SAID.get(word, word) if word in _ENGLISH else plain
        for word, plain in pairs
        if word in _ENGLISH or plain in OPT_OUT_KEYWORDS_ES_FR
    ]
    around = all(
        word in _ENGLISH or plain in OPT_OUT_KEYWORDS_ES_FR or plain in _AROUND_A_KEYWORD
        for word, plain in pairs
    )
    return found[0] if found and around else None


def _opt_out_as_one(words: list[str]) -> list[str]:
    joined = " ".join(words).replace("OPT OUT", "OPTOUT")
    for said, one in _SAID_AS_ONE.items():
        joined = joined.replace(said, one)
    return joined.split()


def starts_with_stop_word(norm: str) -> bool:
    """Does it start (after a "please") with an opt-out keyword, or end with one ("I want to
    stop")? Such a message that is no opt-out is kept, and the reply says how to stop."""
    words = keys(norm)
    while words and words[0] in ("PLEASE", "PLS", "PLZ", "OK", "OKAY", "JUST", "SO"):
        words = words[1:]
    if not words:
        return False
    if words[:2] == ["OPT", "OUT"]:
        return True
    return _hinted(words[0]) or (len(words) <= 6 and _hinted(words[-1]))


def _hinted(word: str) -> bool:
    return word in OPT_OUT_KEYWORDS or word.translate(FOLD_ACCENTS) in _HINTED_ES_FR
