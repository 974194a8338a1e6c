"""The fixed words around a survey's own texts, per language: the answer page's buttons and
notes, the ends of the NPS, CSAT and CES scales, and the invitation email.

A survey's questions are translated by the business (``SurveyTranslation``); these are the
words tenure itself says around them, in the languages it knows (English, German, French,
Spanish, Dutch, Italian). Another language gets the English words beside its own questions.
"""

from __future__ import annotations

from typing import Any

WORDS: dict[str, dict[str, Any]] = {
    "en": {
        "name": "English",
        "title": "A question for you",
        "send": "Send my answer",
        "optional": "(optional)",
        "choose_several": "(choose any)",
        "check": "Please check this answer.",
        "thanks_title": "Thank you",
        "thanks": "Your answer is recorded. It helps us do better.",
        "promoter": "Glad to hear it! Would you tell others? A short review helps us a lot.",
        "review": "Write a review",
        "referral": "Recommend us to a friend",
        "fallback": "This survey is not available in {wanted} yet; it is shown in {shown}.",
        "ends": {
            "nps": ("Not at all likely", "Extremely likely"),
            "csat": ("Very dissatisfied", "Very satisfied"),
            "ces": ("Strongly disagree", "Strongly agree"),
        },
        "subject": "{business}: a question for you",
        "hello": "Hello,",
        "intro": "{business} would like to know what you think. It takes a few seconds:",
        "answer_here": "Answer here",
        "answer_button": "Answer the question",
        "valid": "The link is yours alone and can be used once, until {expires}.",
        "ask_review_subject": "{business}: would you write a short review?",
        "ask_review": "Thank you for your answer! If you are glad you chose {business}, a short "
        "review helps others find us:",
        "ask_referral_subject": "{business}: know someone who would like us?",
        "ask_referral": "Thank you for your answer! If you know someone who would like "
        "{business}, your own link takes them to us:",
        "thanks_again": "Thank you,",
    },
    "de": {
        "name": "Deutsch",
        "title": "Eine Frage an Sie",
        "send": "Antwort senden",
        "optional": "(freiwillig)",
        "choose_several": "(mehrere möglich)",
        "check": "Bitte prüfen Sie diese Antwort.",
        "thanks_title": "Vielen Dank",
        "thanks": "Ihre Antwort ist gespeichert. Sie hilft uns, besser zu werden.",
        "promoter": "Das freut uns! Erzählen Sie es weiter? Eine kurze Bewertung hilft uns sehr.",
        "review": "Bewertung schreiben",
        "referral": "Uns weiterempfehlen",
        "fallback": "Diese Umfrage gibt es noch nicht auf {wanted}; sie wird auf {shown} gezeigt.",
        "ends": {
            "nps": ("Überhaupt nicht wahrscheinlich", "Äußerst wahrscheinlich"),
            "csat": ("Sehr unzufrieden", "Sehr zufrieden"),
            "ces": ("Stimme überhaupt nicht zu", "Stimme voll zu"),
        },
        "subject": "{business}: eine Frage an Sie",
        "hello": "Guten Tag,",
        "intro": "{business} möchte gern wissen, was Sie denken. Es dauert nur Sekunden:",
        "answer_here": "Hier antworten",
        "answer_button": "Frage beantworten",
        "valid": "Der Link gilt nur für Sie und einmal, bis {expires}.",
        "ask_review_subject": "{business}: Schreiben Sie uns eine kurze Bewertung?",
        "ask_review": "Danke für Ihre Antwort! Wenn Sie mit {business} zufrieden sind, hilft eine "
        "kurze Bewertung anderen, uns zu finden:",
        "ask_referral_subject": "{business}: Kennen Sie jemanden, dem wir gefallen würden?",
        "ask_referral": "Danke für Ihre Antwort! Wenn Sie jemanden kennen, dem {business} "
        "gefallen würde, führt Ihr eigener Link zu uns:",
        "thanks_again": "Vielen Dank,",
    },
    "fr": {
        "name": "français",
        "title": "Une question pour vous",
        "send": "Envoyer ma réponse",
        "optional": "(facultatif)",
        "choose_several": "(plusieurs choix possibles)",
        "check": "Veuillez vérifier cette réponse.",
        "thanks_title": "Merci",
        "thanks": "Votre réponse est enregistrée. Elle nous aide à faire mieux.",
        "promoter": "Ravis de l'entendre ! Le diriez-vous à d'autres ? Un court avis nous aide "
        "beaucoup.",
        "review": "Écrire un avis",
        "referral": "Nous recommander à un ami",
        "fallback": "Cette enquête n'existe pas encore en {wanted} ; elle est affichée en {shown}.",
        "ends": {
            "nps": ("Pas du tout probable", "Très probable"),
            "csat": ("Très insatisfait", "Très satisfait"),
            "ces": ("Pas du tout d'accord", "Tout à fait d'accord"),
        },
        "subject": "{business} : une question pour vous",
        "hello": "Bonjour,",
        "intro": "{business} aimerait savoir ce que vous en pensez. Cela prend quelques secondes :",
        "answer_here": "Répondre ici",
        "answer_button": "Répondre à la question",
        "valid": "Ce lien est personnel et utilisable une fois, jusqu'au {expires}.",
    },
    "es": {
        "name": "español",
        "title": "Una pregunta para usted",
        "send": "Enviar mi respuesta",
        "optional": "(opcional)",
        "choose_several": "(puede elegir varias)",
        "check": "Revise esta respuesta, por favor.",
        "thanks_title": "Gracias",
        "thanks": "Su respuesta está registrada. Nos ayuda a mejorar.",
        "promoter": "¡Nos alegra! ¿Se lo contaría a otros? Una breve reseña nos ayuda mucho.",
        "review": "Escribir una reseña",
        "referral": "Recomendarnos a un amigo",
        "fallback": "Esta encuesta aún no está en {wanted}; se muestra en {shown}.",
        "ends": {
            "nps": ("Nada probable", "Muy probable"),
            "csat": ("Muy insatisfecho", "Muy satisfecho"),
            "ces": ("Muy en desacuerdo", "Muy de acuerdo"),
        },
        "subject": "{business}: una pregunta para usted",
        "hello": "Hola:",
        "intro": "{business} quiere saber su opinión. Solo lleva unos segundos:",
        "answer_here": "Responder aquí",
        "answer_button": "Responder a la pregunta",
        "valid": "El enlace es solo suyo y sirve una vez, hasta el {expires}.",
    },
    "nl": {
        "name": "Nederlands",
        "title": "Een vraag voor u",
        "send": "Antwoord versturen",
        "optional": "(optioneel)",
        "choose_several": "(meerdere mogelijk)",
        "check": "Controleer dit antwoord.",
        "thanks_title": "Dank u wel",
        "thanks": "Uw antwoord is opgeslagen. Het helpt ons beter te worden.",
        "promoter": "Fijn om te horen! Vertelt u het verder? Een korte review helpt ons enorm.",
        "review": "Review schrijven",
        "referral": "Ons aanbevelen aan een vriend",
        "fallback": "Deze enquête is nog niet in het {wanted}; ze wordt in het {shown} getoond.",
        "ends": {
            "nps": ("Helemaal niet waarschijnlijk", "Zeer waarschijnlijk"),
            "csat": ("Zeer ontevreden", "Zeer tevreden"),
            "ces": ("Helemaal oneens", "Helemaal eens"),
        },
        "subject": "{business}: een vraag voor u",
        "hello": "Beste klant,",
        "intro": "{business} wil graag weten wat u ervan vindt. Het duurt maar even:",
        "answer_here": "Hier antwoorden",
        "answer_button": "Vraag beantwoorden",
        "valid": "De link is alleen voor u en één keer te gebruiken, tot {expires}.",
    },
    "it": {
        "name": "italiano",
        "title": "Una domanda per lei",
        "send": "Invia la risposta",
        "optional": "(facoltativo)",
        "choose_several": "(anche più di una)",
        "check": "Controlli questa risposta, per favore.",
        "thanks_title": "Grazie",
        "thanks": "La sua risposta è registrata. Ci aiuta a migliorare.",
        "promoter": "Ci fa piacere! Lo direbbe ad altri? Una breve recensione ci aiuta molto.",
        "review": "Scrivi una recensione",
        "referral": "Consigliaci a un amico",
        "fallback": "Questo sondaggio non è ancora in {wanted}; è mostrato in {shown}.",
        "ends": {
            "nps": ("Per niente probabile", "Estremamente probabile"),
            "csat": ("Molto insoddisfatto", "Molto soddisfatto"),
            "ces": ("Per niente d'accordo", "Pienamente d'accordo"),
        },
        "subject": "{business}: una domanda per lei",
        "hello": "Buongiorno,",
        "intro": "{business} vorrebbe sapere cosa ne pensa. Bastano pochi secondi:",
        "answer_here": "Risponda qui",
        "answer_button": "Rispondi alla domanda",
        "valid": "Il link è solo suo e vale una volta, fino al {expires}.",
    },
}


def words(language: str) -> dict[str, Any]:
    """The words of ``language`` (``de-at``: German), English for one tenure does not know;
    a word a language lacks is the English one."""
    found = WORDS.get(language, WORDS.get(language.split("-")[0], WORDS["en"]))
    return {**WORDS["en"], **found}


def language_name(language: str) -> str:
    """A language's name in its own words when tenure knows it, else its tag."""
    known = WORDS.get(language) or WORDS.get(language.split("-")[0])
    return str(known["name"]) if known else language
