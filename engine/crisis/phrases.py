"""The words of crisis onward listens for, in the forms people text them (the documented defaults).

Each phrase is matched by `crisis.detect_crisis` on words, not letters, after the same clean-up
on both sides: case, apostrophes and punctuation dropped ("Can't", "cant", "CANT!!"), common
contractions and slang folded ("do not" = "dont", "wanna" = "want to", "my self" = "myself"),
small words of emphasis skipped inside a phrase ("want to just die"), a phrase run together or
spelled out ("killmyself", "k i l l myself") found, and one typo forgiven in words of five
letters or more ("suicdal", "myslef"). So one entry covers many spellings; the list below only
needs each way of saying it once.

A false positive costs a kind message, a pause the person can lift with RESUME, and a look
from the on-call person; a miss can cost far more. So the list leans wide ("I'm not suicidal"
and "I hurt myself at football" are flagged on purpose). What it leaves out is the everyday
figure of speech: "the interview killed me", "dying to hear back", "I could die of
embarrassment", "killing it". `FIGURES_OF_SPEECH` undoes a match inside a few fixed idioms.

Operators add their own phrases (their users' words, other languages) with
ONWARD_CRISIS_PHRASES; they can never remove these.
"""

from __future__ import annotations

DEFAULT_CRISIS_PHRASES: tuple[str, ...] = (
    # Suicide named, and its euphemisms.
    "suicide",
    "suicidal",
    "kill myself",
    "killing myself",
    "unalive myself",
    "unalive",
    "sewer slide",
    "take my own life",
    "taking my own life",
    "take my life",
    "end my life",
    "ending my life",
    "end my own life",
    "hang myself",
    "shoot myself",
    "slit my wrists",
    "overdose",
    "jump off a bridge",
    "jump in front of a train",
    # Wanting to die.
    "want to die",
    "want to be dead",
    "wish i was dead",
    "wish i were dead",
    "wish i could die",
    "better off dead",
    "ready to die",
    "going to die tonight",
    "dont want to live",
    "dont want to be alive",
    "dont want to wake up",
    "hope i dont wake up",
    "want it all to end",
    "want everything to end",
    "want to stop feeling like this",
    # Not wanting to be here, wanting to disappear.
    "dont want to be here anymore",
    "dont want to be here any longer",
    "dont want to exist",
    "wish i didnt exist",
    "wish i wasnt here",
    "wish i wasnt born",
    "never been born",
    "want to disappear",
    "wish i could disappear",
    "want to vanish",
    "not be here anymore",
    # No point.
    "no point in living",
    "no point living",
    "no point in going on",
    "no point going on",
    "no point anymore",
    "no point in anything",
    "whats the point of living",
    "life is pointless",
    "life isnt worth living",
    "not worth living",
    "no reason to live",
    "nothing to live for",
    "no will to live",
    "lost the will to live",
    # Can't go on.
    "cant go on",
    "cant keep going",
    "cant carry on",
    "cant do this anymore",
    "cant take it anymore",
    "cant take this anymore",
    "cant cope anymore",
    "cant live like this",
    "give up on life",
    "giving up on life",
    # Better off without me.
    "better off without me",
    "better off if i was gone",
    "better off if i wasnt here",
    "better off if i were gone",
    "world would be better without me",
    "im a burden",
    "a burden to everyone",
    "nobody would miss me",
    "no one would miss me",
    # Ending it.
    "end it all",
    "ending it all",
    "going to end it",
    "thinking about ending it",
    "thinking of ending it",
    "end it tonight",
    "ending it tonight",
    # Hurting oneself.
    "hurt myself",
    "hurting myself",
    "harm myself",
    "harming myself",
    "self harm",
    "self harming",
    "cut myself",
    "cutting myself",
    "punish myself",
    # Spanish, which onward speaks (engine/language.py), with and without its accents.
    "suicidarme",
    "suicidio",
    "me quiero suicidar",
    "me voy a suicidar",
    "quiero morir",
    "quiero morirme",
    "no quiero vivir",
    "no quiero seguir viviendo",
    "quitarme la vida",
    "acabar con mi vida",
    "quiero matarme",
    "voy a matarme",
    "hacerme daño",
    "hacerme dano",
    "mejor estaria muerto",
    "mejor estaría muerto",
    "mejor estaria muerta",
    "mejor estaría muerta",
    "ya no puedo mas",
    "ya no puedo más",
    # French, likewise.
    "me suicider",
    "suicidaire",
    "je veux mourir",
    "envie de mourir",
    "mettre fin à mes jours",
    "mettre fin a mes jours",
    "en finir avec la vie",
    "je veux en finir",
    "je vais me tuer",
    "envie de me tuer",
    "plus envie de vivre",
    "je ne veux plus vivre",
    "me faire du mal",
    "je nen peux plus",
    "jen peux plus",
)

# Idioms that contain a phrase above but say nothing about crisis: a match inside one of these,
# at the same place in the text, does not count.
FIGURES_OF_SPEECH: tuple[str, ...] = (
    "killing myself laughing",
    "kill myself laughing",
    "die of embarrassment",
    "die of shame",
    "die of boredom",
    "die laughing",
    "die on this hill",
    "overdose of",
    "overdosed on coffee",
    "overdose on coffee",
    "quiero morir de verguenza",
    "quiero morir de vergüenza",
    "quiero morirme de verguenza",
    "quiero morirme de vergüenza",
    "quiero morir de risa",
    "veux mourir de honte",
    "veux mourir de rire",
)
