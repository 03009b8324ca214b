"""The words onward reserves, in one place: the text commands, how to opt out and back in, and
the words that always start the default plan.

The inbound parser (onward.engine.inbound.classify) reads its keywords from these tables and
plan validation refuses every reserved word as a plan keyword, so a plan can never take a word
that the parser would read as something else (TIMEZONE validated once, then never triggered).
A new command is one row here (its words, by the intent they give) and one in the parser.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

# Carriers' and the FCC's opt-out words; "OPT OUT" is read as OPTOUT.
OPT_OUT_KEYWORDS: frozenset[str] = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"}
)
# The same said in Spanish or French, which onward speaks (accents folded: ARRÊT is ARRET).
# Commands stay in English; stopping does not have to. PARA, ALTO and BASTA are everyday words
# too: they stop only as the whole message (with courtesy round them), never as a hint.
OPT_OUT_KEYWORDS_ES_FR: frozenset[str] = frozenset(
    {
        "BAJA", "PARA", "PARAR", "ALTO", "BASTA", "CANCELAR", "DETENER", "DESUSCRIBIR",
        "DESUSCRIBIRME", "ARRET", "ARRETE", "ARRETEZ", "ARRETER", "DESABONNER",
        "DESABONNEMENT", "DESINSCRIRE", "DESINSCRIPTION",
    }
)  # fmt: skip
OPT_IN_KEYWORDS: tuple[str, ...] = ("START", "UNSTOP", "YES")
# These always start the default plan; a plan may list them, and add its own.
REJECT_KEYWORDS: tuple[str, ...] = ("REJECTED", "REJECT", "REJECTION")

_HELP_PHRASES = (
    "HELP", "INFO", "AYUDA", "AIDE", "WHO IS THIS", "WHOS THIS", "WHO ARE YOU", "WHAT IS THIS",
    "WHATS THIS", "QUIEN ERES", "QUIÉN ERES", "QUIEN ES", "QUIÉN ES", "QUI ESTCE",
    "QUI ÊTES VOUS", "QUI ETES VOUS", "CEST QUI",
)  # fmt: skip
# "Is this a bot?", as people ask it (apostrophes and hyphens dropped: "c'est" is CEST).
_BOT_QUESTIONS = (
    "IS THIS A BOT", "ARE YOU A BOT", "ARE YOU A ROBOT", "ARE YOU A REAL PERSON", "ARE YOU REAL",
    "ARE YOU HUMAN", "ARE YOU A HUMAN", "ARE YOU A PERSON", "AM I TALKING TO A BOT",
    "AM I TALKING TO A REAL PERSON", "AM I TALKING TO A HUMAN", "IS THIS AUTOMATED",
    "IS THIS A REAL PERSON", "ERES UN BOT", "ERES UN ROBOT", "ERES UNA PERSONA REAL",
    "ERES UNA PERSONA", "ERES REAL", "ERES HUMANO", "ES UN BOT", "TU ES UN ROBOT", "TU ES UN BOT",
    "CEST UN BOT", "CEST UN ROBOT", "VOUS ÊTES UN ROBOT", "VOUS ETES UN ROBOT",
    "ÊTES VOUS UN ROBOT", "ETES VOUS UN ROBOT",
)  # fmt: skip
# Commands that are the whole message ("next week I'll apply" is not NEXT), by intent name.
# Words are compared upper-case with inner apostrophes and hyphens dropped ("what's" is WHATS).
WHOLE_MESSAGE: Mapping[str, str] = MappingProxyType(
    {
        **dict.fromkeys(OPT_IN_KEYWORDS, "opt_in"),
        # HELP, the word a Spanish or French speaker would send for it, and what anyone asks
        # a number they do not know.
        **dict.fromkeys(_HELP_PHRASES, "help"),
        **dict.fromkeys(_BOT_QUESTIONS, "automated"),
        # RESUME, and the word a Spanish or French speaker would try (as PAUSA for PAUSE).
        **dict.fromkeys(("RESUME", "REANUDAR", "REPRENDRE"), "resume"),
        "DONE": "done",
        **dict.fromkeys(("NEXT", "WHATS NEXT"), "next"),
        "SMS": "use_sms",
        **dict.fromkeys(
            ("HIRED", "IM HIRED", "GOT HIRED", "I GOT HIRED", "GOT THE JOB", "I GOT THE JOB"),
            "hired",
        ),
        **dict.fromkeys(("OFFER", "GOT AN OFFER", "I GOT AN OFFER", "GOT OFFER"), "offer"),
        **dict.fromkeys(("COACH", "TALK"), "coach"),
        "SHARE": "share",
        "UNSHARE": "unshare",
        **dict.fromkeys(("JOURNAL", "MY JOURNAL"), "journal"),
        **dict.fromkeys(("FORGET", "FORGET ME"), "forget"),
        **dict.fromkeys(("FORGET YES", "FORGET CONFIRM"), "forget_confirm"),
    }
)
# Commands led by a keyword and followed by an argument, by intent name.
LEADING: Mapping[str, str] = MappingProxyType(
    {
        **dict.fromkeys(("PAUSE", "PAUSA"), "pause"),
        "APPLIED": "applied",
        **dict.fromkeys(("TZ", "TIMEZONE"), "set_timezone"),
        "EMAIL": "set_email",
        "INTERVIEW": "interview",
        # LANG, and the word a Spanish or French speaker would try first.
        **dict.fromkeys(("LANG", "LANGUAGE", "IDIOMA", "LANGUE"), "set_language"),
        **dict.fromkeys(REJECT_KEYWORDS, "rejected"),
    }
)

# Every word that begins a command. A plan keyword must not be one of them (a plan would never
# see it), above all an opt-out; the reject keywords are the exception, as they start a plan.
COMMAND_FIRST_WORDS: frozenset[str] = frozenset(
    {
        *OPT_OUT_KEYWORDS,
        *OPT_OUT_KEYWORDS_ES_FR,
        "OPT",
        *LEADING,
        *(phrase.split()[0] for phrase in WHOLE_MESSAGE),
    }
)
RESERVED_WORDS: frozenset[str] = COMMAND_FIRST_WORDS - set(REJECT_KEYWORDS)
