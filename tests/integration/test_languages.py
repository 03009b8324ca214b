"""A person's language, end to end on SQLite and PostgreSQL: a Spanish number hears Spanish from
its first reply (acknowledgement, the plan's nudges through the dispatcher, HELP, the crisis
answer, STOP), LANG switches mid-plan, English stays exactly as it was, the plan's own language
stands in for one it lacks, and the operator sees each person's language."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from onward.engine import consent_ledger, replies
from onward.engine.clock import FakeClock
from onward.engine.crisis import crisis_line_for, crisis_reply
from onward.engine.plan_store import add_plan
from onward.engine.runtime import Runtime
from onward.engine.storage.models import Rejection
from onward.engine.unsubscribe import make_token
from onward.plans import sms_segments
from tests.integration.dispatch_helpers import Harness
from tests.integration.inbound_helpers import PHONE, Talk
from tests.integration.records_helpers import MakeRuntime
from tests.integration.test_cli_listings import onward
from tests.integration.web_helpers import build_rig, engine_url

MADRID = "+34612345678"  # a Spanish mobile: Europe/Madrid, country ES
PARIS = "+33612345678"  # a French mobile


def sent_bodies(world: Harness) -> list[str]:
    return [message.body for message in world.sms.outbox]  # type: ignore[attr-defined]


def test_a_spanish_number_hears_spanish_from_the_first_reply_to_stop(
    talk: Talk, world: Harness
) -> None:
    # Tuesday 24 November, 16:00 in Madrid.
    first = talk.say("REJECTED Acme", MADRID)
    assert first is not None
    assert first.startswith("Siento mucho que la respuesta de Acme no fuera la que esperabas.")
    assert "Luego: un pequeño saludo, mañana a las 18:00." in first
    assert first.endswith("\nResponde STOP para darte de baja.")
    assert sms_segments(first).encoding == "GSM-7" and sms_segments(first).segments <= 2
    assert talk.me(MADRID).language is None  # inferred from the country, not chosen

    dispatcher = world.dispatcher()
    run = talk.run(MADRID)
    world.drive(dispatcher, until=talk.step(run.id, "checkin").due_at)
    assert sent_bodies(world) == [
        "Solo paso a saludarte. Hoy no hay tarea: descansa, sal a caminar, haz algo que te "
        "guste. Sentirse mal tras un no es normal, y se pasa."
    ]  # no footer: the first reply said how to stop two hours ago
    world.drive(dispatcher, until=talk.step(run.id, "reflect").due_at)
    assert sent_bodies(world)[-1].startswith("Cuando quieras, piensa en la entrevista con Acme.")

    assert talk.say("Me puse nerviosa con las preguntas técnicas", MADRID) == (
        "Gracias. Lo he guardado en tu diario privado."
    )
    assert talk.say("HELP", MADRID) == replies.help_text("es", "onward")
    assert talk.say("ayuda", MADRID) == replies.help_text("es", "onward")
    assert talk.say("NEXT", MADRID).startswith("Luego: ")  # type: ignore[union-attr]

    crisis = talk.say("me quiero morir", MADRID)
    assert crisis == crisis_reply("es", crisis_line_for("ES"))
    assert crisis is not None and "llama al 024" in crisis and "RESUME" in crisis
    assert talk.run(MADRID).status == "paused"
    assert talk.say("RESUME", MADRID).startswith("Qué bien que vuelvas. Luego: ")  # type: ignore[union-attr]

    assert talk.say("STOP", MADRID) == (
        "Te has dado de baja y no te llegarán más mensajes por aquí. "
        "Responde START para volver a recibirlos."
    )
    before = len(sent_bodies(world))
    world.drive(dispatcher)
    assert len(sent_bodies(world)) == before  # nothing after STOP


@pytest.mark.parametrize(
    ("number", "said", "lang", "detail"),
    [
        (MADRID, "Por favor dejen de escribirme", "es", "DEJEN DE ESCRIBIRME"),
        (MADRID, "baja", "es", "BAJA"),
        (PARIS, "Désabonnez-moi s'il vous plaît", "fr", "DESABONNEZMOI"),
        (PARIS, "ne m'envoyez plus de messages", "fr", "NE MENVOYEZ PLUS"),
    ],
)
def test_an_opt_out_in_their_own_words_stops_everything(
    talk: Talk, world: Harness, number: str, said: str, lang: str, detail: str
) -> None:
    talk.say("REJECTED Acme", number)
    talk.later(hours=1)
    assert talk.say(said, number) == replies.opted_out(lang)
    assert talk.me(number).sms_status == "opted_out"
    assert talk.run(number).status != "active"
    with talk.sessions() as session:
        last = consent_ledger.ledger_rows(session, talk.me(number).id)[-1]
    assert (last["status"], last["detail"], last["said"]) == ("opted_out", detail, said)
    world.drive(world.dispatcher())
    assert sent_bodies(world) == []  # not one nudge after it


@pytest.mark.parametrize(
    ("number", "said", "lang", "country"),
    [
        (MADRID, "me quiero matar", "es", "ES"),
        (MADRID, "ya no aguanto más, soy una carga", "es", "ES"),
        (PARIS, "je veux me tuer", "fr", "FR"),
        (PARIS, "j'ai envie de me foutre en l'air", "fr", "FR"),
    ],
)
def test_crisis_in_the_words_people_use_is_answered_in_their_language(
    talk: Talk, number: str, said: str, lang: str, country: str
) -> None:
    talk.say("REJECTED Acme", number)
    talk.later(hours=1)
    assert talk.say(said, number) == crisis_reply(lang, crisis_line_for(country))
    assert talk.run(number).status == "paused"


@pytest.mark.parametrize(
    ("number", "said", "opening"),
    [
        (MADRID, "me rechazaron en Globex", "Siento mucho que la respuesta de Globex"),
        (MADRID, "Globex me dijo que no", "Siento mucho que la respuesta de Globex"),
        (PARIS, "j'ai été refusée chez Globex", "Globex"),
        (PARIS, "Globex m'a recalé pour le poste de comptable", "Globex"),
    ],
)
def test_a_rejection_told_in_their_words_starts_their_plan(
    talk: Talk, number: str, said: str, opening: str
) -> None:
    first = talk.say(said, number)
    assert first is not None and opening in first
    run = talk.run(number)
    [rejection] = talk.rows(Rejection, Rejection.id == run.rejection_id)
    assert run.status == "active" and rejection.company == "Globex"


def test_lang_switches_a_running_plan_and_its_replies(talk: Talk, world: Harness) -> None:
    english = talk.say("REJECTED Acme")
    assert english is not None and english.endswith("your time.\nReply STOP to end.")
    assert talk.say("LANG français") == "C'est noté : je vous écrirai désormais en français."
    assert talk.me().language == "fr"

    dispatcher = world.dispatcher()
    world.drive(dispatcher, until=talk.step(talk.run().id, "checkin").due_at)
    [checkin] = sent_bodies(world)
    assert checkin.startswith("Un petit mot pour prendre de vos nouvelles.")
    assert talk.say("NEXT").startswith("Ensuite : une courte réflexion, ")  # type: ignore[union-attr]
    assert talk.say("LANG") == replies.language_choices("fr")
    assert talk.say("LANG klingon") == replies.language_unknown("fr")
    assert "en (English), es (español), fr (français)" in replies.language_unknown("fr")
    assert talk.say("PAUSE 99w") == (
        "La pause la plus longue est de 8 semaines. Essayez PAUSE 8w, et envoyez RESUME quand "
        "vous voulez."
    )

    assert talk.say("LANG en") == "Done: from now on I'll write to you in English."
    assert talk.say("NEXT").startswith("Next: a short reflection, ")  # type: ignore[union-attr]
    world.drive(dispatcher, until=talk.step(talk.run().id, "reflect").due_at)
    assert sent_bodies(world)[-1].startswith("When you're ready, think back to the interview")


def test_an_english_speaker_reads_exactly_what_they_always_did(talk: Talk, world: Harness) -> None:
    assert talk.say("REJECTED Acme") == (
        "I'm so sorry the news from Acme wasn't what you hoped. It's normal for it to sting, and "
        "you're not alone: it happens to nearly everyone. Take a day or two off: there's nothing "
        "to do yet.\n- onward\n\nNext: a gentle check-in, tomorrow at 18:00 your time.\n"
        "Reply STOP to end."
    )
    dispatcher = world.dispatcher()
    world.drive(dispatcher, until=talk.step(talk.run().id, "checkin").due_at)
    assert sent_bodies(world) == [
        "Just checking in. No task today: rest, take a walk, do something you like. Feeling low "
        "after a no is normal, and it fades."
    ]
    assert talk.say("HELP") == (
        "onward: kind nudges after a job rejection. REJECTED <company> starts a plan. NEXT, "
        "DONE, PAUSE, RESUME. STOP to end, FORGET to erase your data."
    )
    assert talk.me().language is None


def test_strangers_are_answered_in_their_number_s_language(talk: Talk) -> None:
    assert talk.say("HELP", MADRID) == replies.help_text("es", "onward")
    assert talk.say("ayuda", MADRID) == replies.help_text("es", "onward")
    assert talk.say("what is this?", PARIS) == replies.help_text("fr", "onward")  # who we are
    assert talk.say("bonjour ?", PARIS) == replies.hint("fr")
    assert talk.say("LANG en", PARIS) == replies.no_plan("en")  # nothing to keep it on
    assert talk.person(PARIS) is None


def test_a_plan_without_the_person_s_language_speaks_its_own(talk: Talk, clock: FakeClock) -> None:
    source = (
        "name: plain\n"
        "description: English only.\n"
        "keywords: [OOPS]\n"
        "steps:\n"
        "  - id: ack\n"
        "    kind: message\n"
        "    due: 0m\n"
        "    text: Sorry about {{ company }}.\n"
        "  - id: later\n"
        "    kind: message\n"
        "    due: 1d at 18:00\n"
        "    text: Thinking of you.\n"
    )
    with talk.sessions.begin() as session:
        add_plan(session, source, clock, "plain.yaml")
    reply = talk.say("OOPS Acme", MADRID)
    # The plan's text in its own language; onward's own words in the person's.
    assert reply == (
        "Sorry about Acme.\n\nLuego: unas palabras de mi parte, mañana a las 18:00.\n"
        "Responde STOP para darte de baja."
    )


def test_the_operator_sees_each_person_s_language(
    talk: Talk, make_runtime: MakeRuntime, tmp_path: Path
) -> None:
    make_runtime()
    talk.say("REJECTED Acme", MADRID)
    talk.say("REJECTED Acme", PARIS)
    talk.say("LANG es", PARIS)
    assert onward("people", "show", MADRID, "--json").json()["language"] == "es"
    assert onward("people", "show", PARIS, "--json").json()["language"] == "es"
    assert onward("people", "show", PHONE, "--json").code == 1  # unknown: nobody
    out = tmp_path / "export.json"
    assert onward("people", "export", PARIS, "--out", str(out)).code == 0
    profile = json.loads(out.read_text())["profile"]
    assert (profile["language"], profile["language_chosen"], profile["country"]) == (
        "es",
        "es",
        "FR",
    )
    page = out.with_suffix(".html").read_text()  # the page the person reads: theirs
    assert "<html lang=es>" in page and "<h1>Tus datos en onward</h1>" in page
    assert "<h2>Tu diario</h2>" in page


def test_an_imported_spanish_number_gets_its_welcome_in_spanish(
    make_runtime: MakeRuntime, engine: Engine, clock: FakeClock, tmp_path: Path
) -> None:
    runtime: Runtime = make_runtime()
    csv = tmp_path / "cohort.csv"
    csv.write_text(
        "phone,email,name,consent_source,consent_date,timezone\n"
        f"{MADRID},,Lucía,Feria de empleo,2026-10-01,\n",
        encoding="utf-8",
    )
    assert onward("people", "import", str(csv)).code == 0, runtime
    world = Harness(engine, clock)
    world.drive(world.dispatcher(), until=clock.now() + timedelta(days=1))
    [welcome] = sent_bodies(world)
    assert welcome.startswith("onward: te has apuntado a mensajes breves y amables")
    assert "Hasta 10 mensajes en 2 semanas" in welcome
    assert "Pueden aplicarse tarifas de mensajes y datos." in welcome
    assert "STOP" in welcome and "HELP" in welcome


def test_the_preview_shows_a_plan_in_a_language(make_runtime: MakeRuntime) -> None:
    make_runtime()
    at = ("plans", "preview", "standard", "--at", "2026-12-22T10:00:00Z", "--json")
    spanish = onward(*at, "--tz", "Europe/Madrid", "--lang", "es").json()
    assert spanish[0]["text"].startswith("Siento mucho que la respuesta de Acme no fuera")
    assert spanish[1]["text"].startswith("Solo paso a saludarte.")
    by_phone = onward(*at, "--phone", PARIS).json()  # a French number reads French
    assert by_phone[0]["text"].startswith("Je regrette que la réponse de Acme")
    english = onward(*at, "--tz", "Europe/Madrid").json()
    assert english[0]["text"].startswith("I'm so sorry the news from Acme")
    assert [row["due_utc"] for row in english] == [row["due_utc"] for row in spanish]
    wrong = onward(*at, "--lang", "de")
    assert wrong.code == 2 and "--lang: onward speaks en, es, fr, not 'de'" in wrong.err


def test_the_unsubscribe_page_speaks_the_person_s_language(
    db_engine: Engine, clock: FakeClock
) -> None:
    rig = build_rig(engine_url(db_engine), clock)
    try:
        harness = Harness(db_engine, clock)
        harness.start_run(PARIS, email="zoe@example.org", email_status="active")
        with rig.runtime.sessions.begin() as session:
            token = make_token(session, harness.person(PARIS).id, "email")
        page = rig.client.get(f"/unsubscribe/{token}")
        assert page.status_code == 200 and "<html lang=fr>" in page.text
        assert "Ne plus recevoir aucun e-mail d&#x27;onward ?" in page.text
        assert ">Me désabonner</button>" in page.text
        done = rig.client.post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})
        assert done.status_code == 200
        assert "onward ne vous enverra plus d&#x27;e-mails." in done.text
        assert harness.person(PARIS).email_status == "opted_out"
        invalid = rig.client.get(f"/unsubscribe/{token[:-6]}AAAAAA")
        assert invalid.status_code == 404 and "This unsubscribe link is not valid." in invalid.text
    finally:
        rig.runtime.close()
