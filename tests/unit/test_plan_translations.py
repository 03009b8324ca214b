"""Plan texts per language: every declared language has every text, with the same variables and
the same commands, nothing in an undeclared language; errors name file, line and field."""

from __future__ import annotations

from textwrap import dedent, indent

from onward.plans import arm_text, load_plan, validate_plan

GOOD = dedent(
    """\
    name: tiny
    description: A two-step plan in three languages.
    languages: [en, es, fr]
    steps:
      - id: ack
        kind: message
        due: 0m
        subject: Sorry about {{ company or "the job" }}
        subject_translations:
          es: Lo siento por {{ company or "el puesto" }}
          fr: Désolé pour {{ company or "le poste" }}
        text: I'm sorry about {{ company or "the job" }}. Nothing to do yet.
        translations:
          es: Siento lo de {{ company or "ese puesto" }}. Por ahora no hay nada que hacer.
          fr: Je suis désolé pour {{ company or "ce poste" }}. Rien à faire pour l'instant.
      - id: go
        kind: apply
        due: 2d at 10:00
        goal: 3
        text: Aim for {{ goal }} applications. Reply APPLIED each time.
        translations:
          es: Apunta a {{ goal }} candidaturas. Responde APPLIED cada vez.
          fr: Visez {{ goal }} candidatures. Répondez APPLIED à chaque fois.
        reminder:
          after: 1d
          text: "{{ applied }} so far. Reply DONE to skip."
          translations:
            es: "{{ applied }} por ahora. Responde DONE para saltarlo."
            fr: "{{ applied }} pour l'instant. Répondez DONE pour passer."
    """
)


def errors(text: str, source: str = "p.yaml") -> list[str]:
    return [str(issue) for issue in validate_plan(text, source).errors]


def warnings(text: str, source: str = "p.yaml") -> list[str]:
    return [str(issue) for issue in validate_plan(text, source).warnings]


def test_a_translated_plan_loads_and_gives_each_language_its_text() -> None:
    plan = load_plan(GOOD, "tiny.yaml")
    assert plan.languages == ["en", "es", "fr"]
    ack, go = plan.steps
    assert ack.text_for("es").startswith("Siento lo de")
    assert ack.subject_for("fr") == 'Désolé pour {{ company or "le poste" }}'
    assert ack.text_for("en") == ack.text
    assert go.reminder is not None and go.reminder.text_for("fr").endswith("pour passer.")
    assert errors(GOOD) == [] and warnings(GOOD) == []


def test_a_language_the_plan_lacks_falls_back_to_its_source_language() -> None:
    lines = [line for line in GOOD.splitlines() if not line.lstrip().startswith("fr:")]
    plan = load_plan("\n".join(lines).replace("languages: [en, es, fr]", "languages: [en, es]"))
    assert plan.text_language("fr") == "en" and plan.text_language("es") == "es"
    assert plan.steps[0].text_for("fr") == plan.steps[0].text


def test_a_plan_without_languages_is_english_only() -> None:
    plan = load_plan(GOOD.split("steps:")[0].replace("languages: [en, es, fr]\n", "") + dedent(
        """\
        steps:
          - id: ack
            kind: message
            due: 0m
            text: Sorry.
        """))  # fmt: skip
    assert plan.languages == ["en"] and plan.text_language("es") == "en"


def test_a_missing_translation_names_the_line_and_field() -> None:
    text = GOOD.replace(
        "      es: Apunta a {{ goal }} candidaturas. Responde APPLIED cada vez.\n", ""
    )
    assert errors(text) == [
        "p.yaml:21: steps[1].translations: missing the es translation of text "
        "(the plan's languages: en, es, fr)"
    ]


def test_a_missing_map_of_translations_names_the_step() -> None:
    text = GOOD.replace(
        '      translations:\n        es: "{{ applied }} por ahora. Responde DONE para'
        ' saltarlo."\n        fr: "{{ applied }} pour l\'instant. Répondez DONE pour'
        ' passer."\n',
        "",
    )
    found = errors(text)
    assert found == [
        "p.yaml:24: steps[1].reminder.translations: missing the es translation of text "
        "(the plan's languages: en, es, fr)",
        "p.yaml:24: steps[1].reminder.translations: missing the fr translation of text "
        "(the plan's languages: en, es, fr)",
    ]


def test_a_missing_subject_translation() -> None:
    text = GOOD.replace('      fr: Désolé pour {{ company or "le poste" }}\n', "")
    assert errors(text) == [
        "p.yaml:9: steps[0].subject_translations: missing the fr translation of subject "
        "(the plan's languages: en, es, fr)"
    ]


def test_a_translation_with_other_variables_is_an_error() -> None:
    text = GOOD.replace("Apunta a {{ goal }} candidaturas", "Apunta a {{ applied }} candidaturas")
    [error] = errors(text)
    assert error.startswith("p.yaml:22: steps[1].translations.es: ")
    assert "uses applied but the en text uses goal" in error


def test_a_translation_that_drops_a_command_is_an_error() -> None:
    text = GOOD.replace("Responde DONE para saltarlo.", "Responde HECHO para saltarlo.")
    [error] = errors(text)
    assert error.startswith("p.yaml:28: steps[1].reminder.translations.es: ")
    assert "DONE" in error and "commands stay in English" in error


def test_a_translation_in_an_undeclared_language_is_an_error() -> None:
    text = GOOD.replace("languages: [en, es, fr]", "languages: [en, es]")
    found = errors(text)
    assert (
        "p.yaml:11: steps[0].subject_translations.fr: fr is not one of the plan's "
        "languages (en, es); add it to languages or remove this translation" in found
    )
    assert len(found) == 4  # subject, text, text, reminder text


def test_the_source_language_is_not_translated_again() -> None:
    text = GOOD.replace("languages: [en, es, fr]", "languages: [es, en, fr]")
    found = errors(text)
    assert any(
        e.startswith("p.yaml:10: steps[0].subject_translations.es: es is the plan's source")
        for e in found
    ), found
    assert any("missing the en translation of text" in e for e in found)


def test_languages_must_be_known_and_given_once() -> None:
    assert errors(GOOD.replace("languages: [en, es, fr]", "languages: [en, de]"))[:1] == [
        "p.yaml:3: languages[1]: unknown language 'de'; onward speaks en, es, fr"
    ]
    found = errors(GOOD.replace("languages: [en, es, fr]", "languages: [en, es, es, fr]"))
    assert "p.yaml:3: languages: each language once, please (es is given twice)" in found


def test_a_translation_that_does_not_render_is_an_error() -> None:
    text = GOOD.replace("Visez {{ goal }}", "Visez {{ goal }")
    [error] = errors(text)
    assert error.startswith("p.yaml:23: steps[1].translations.fr: template syntax error")


def test_a_translated_subject_without_a_subject_is_an_error() -> None:
    text = GOOD.replace(
        "    text: Aim for {{ goal }} applications",
        "    subject_translations: {es: Hola}\n    text: Aim for {{ goal }} applications",
    )
    assert (
        "p.yaml:20: steps[1].subject_translations: translates a subject the step does "
        "not have" in errors(text)
    )


def test_variants_carry_translations_too() -> None:
    variant = indent(
        dedent(
            """\
        variants:
          - name: warm
            text: Warmly, aim for {{ goal }}. Reply APPLIED each time.
        """
        ),
        "    ",
    )
    text = GOOD.replace("    reminder:\n", variant + "    reminder:\n", 1)
    text = text.replace("languages: [en, es, fr]", "languages: [en, es, fr]\nholdout: 0.2")
    found = errors(text)
    assert any(
        "steps[1].variants[0].translations: missing the es translation of text" in e for e in found
    ), found


def test_a_long_translation_is_counted_in_its_own_encoding_and_footer() -> None:
    long_es = "Siento mucho lo de {{ company or 'ese puesto' }}. " + "Tómate tu tiempo. " * 12
    text = GOOD.replace(
        'es: Siento lo de {{ company or "ese puesto" }}. Por ahora no hay nada que hacer.',
        f"es: {long_es.strip()}",
    )
    [warning] = warnings(text)
    assert warning.startswith("p.yaml:14: steps[0].translations.es: is ")
    assert "UCS-2" in warning


def test_letters_of_the_language_are_not_flagged_but_curly_quotes_are() -> None:
    assert warnings(GOOD) == []  # é, à in the French texts are letters of the language
    text = GOOD.replace("Rien à faire pour l'instant.", "Rien à faire pour l’instant.")
    [warning] = warnings(text)
    assert warning.startswith("p.yaml:15: steps[0].translations.fr: uses '’'")


def test_an_experiment_s_variant_is_sent_in_the_person_s_language() -> None:
    variant = indent(
        dedent(
            """\
            variants:
              - name: warm
                text: Warmly, aim for {{ goal }}. Reply APPLIED each time.
                translations:
                  es: Con cariño, apunta a {{ goal }}. Responde APPLIED cada vez.
                  fr: Avec douceur, visez {{ goal }}. Répondez APPLIED à chaque fois.
            """
        ),
        "    ",
    )
    text = GOOD.replace("    reminder:\n", variant + "    reminder:\n", 1)
    plan = load_plan(
        text.replace("languages: [en, es, fr]", "languages: [en, es, fr]\nholdout: 0.2")
    )
    go = plan.steps[1]
    assert arm_text(go, "warm", "es")[0].startswith("Con cariño")
    assert arm_text(go, "warm", "fr")[0].startswith("Avec douceur")
    assert arm_text(go, "control", "es")[0].startswith("Apunta a")  # the base text, translated
    assert arm_text(go, "warm")[0].startswith("Warmly")  # no language: the source
