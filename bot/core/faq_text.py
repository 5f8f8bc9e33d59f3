"""Text analysis for the rights FAQ: accents folded, French stems, synonyms.

The same analysis runs on entries when they are stored and on questions when
they are asked, so both meet on the same terms:

1. a few upper-case acronyms are spelled out (``ARE``, ``CA``) before case is lost;
2. the text is folded (lower case, no diacritics, ``œ`` → ``oe``) and cut into
   words at anything that is not a letter or a digit (apostrophes, hyphens);
3. French and English stop words go;
4. each word gets its French Snowball stem;
5. synonym phrases (``chômage`` ↔ ``ATI``, ``congé mat`` ↔ ``maternité``, English
   words ↔ French ones) are recognised on stems and add the concept word of
   their group.

An entry's text keeps its own words and gains the concept words; a question
keeps its words too, so a precise word (``ATI``) still ranks the precise entry
first while the concept (``chomage``) reaches the related ones.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer

from bot.core.text import fold as _fold

MAX_WORD = 40
_WORD = re.compile(r"[^\W_]+")
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss", "ı": "i"})

# Upper-case acronyms that would be lost (or mistaken for a common word)
# once the text is folded to lower case.
ACRONYMS: dict[str, str] = {
    "ARE": "allocation de retour à l'emploi",
    "CA": "chiffre d'affaires",
    "AT": "accident du travail",
}
_ACRONYM = re.compile(r"\b(" + "|".join(ACRONYMS) + r")\b")

# Dropped unless part of a synonym phrase (« France Travail »): in a question
# they say where, not what.
WEAK_WORDS = frozenset({"france", "francais", "french", "fr"})

STOPWORDS = frozenset(
    """
    a à ai aie aient ait alors as au aucun aucune aupres auquel aura aurai auraient
    aurais aurait aussi autre autres aux avaient avais avait avec avez aviez avoir avons
    bah bcp beaucoup bien bonjour bonsoir c ca car ce ceci cela celle celles celui ceux
    cette ces cest chaque chez comme comment combien concernant d dans de des deja donc
    dont du e elle elles en encore entre es est et etais etait etant ete etes etre eu eux
    faire fais fait faut hello hey il ils j je jusqu l la le les leur leurs lors lui m ma
    mais me mes moi mon n ne ni nos notre nous o on ont ou par parce pas peu peut
    peuvent peux plus pour pourquoi pouvez pouvoir puis puisje puisque qu quand que quel
    quelle quelles quels qui quoi s sa sans se sera serai seraient serait ses si sil
    sinon soit son sont sous stp suis sur svp t ta te tes toi ton tous tout toute toutes
    tres tu un une unes uns vers voila vos votre vous vs y merci salut coucoucou coucou
    est-ce estce quest quelqu quelque quelques ya cad dois doit doivent devoir devrais
    devrait faudrait bosse bosser bosses taf taff taffe boulot
    also anything does doing going happen happens know like make need really
    something still take thing things want way well work working
    about am an and any anyone are as at be been being but by can could did do does
    doing for from get gets getting got had has have having he her here hi his how i if
    im in into is it its ive just me my myself no not of on or our out please she should
    so some than thanks that the their them then there these they this those to too
    was we were what whats when where which who why will with would you your
    """.split()
)


@lru_cache(maxsize=1)
def _stemmer() -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer("french")


def fold(text: str) -> str:
    """Lower case, without diacritics or ligatures."""
    return _fold(text).translate(_LIGATURES)


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The French Snowball stem of a folded word (numbers are kept as they are)."""
    if word.isdigit() or len(word) < 3:
        return word
    return _stemmer().stemWord(word)


def words(text: str) -> list[str]:
    """Folded words of ``text``, without stop words, single letters or giant tokens."""
    text = _ACRONYM.sub(lambda m: " " + ACRONYMS[m.group(1)] + " ", text)
    return [
        w for w in _WORD.findall(fold(text))
        if (len(w) > 1 or w.isdigit()) and len(w) <= MAX_WORD and w not in STOPWORDS
    ]


# Each group: the concept word first, then words and phrases that mean it.
# Phrases are analysed like any text (stop words dropped, stems compared), so
# « allocation des travailleurs indépendants » also matches « allocation
# travailleur independant ».
SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("chomage", "chômage", "ati", "allocation des travailleurs indépendants",
     "allocation travailleur independant", "unemployment", "unemployed", "jobless",
     "pôle emploi", "france travail", "allocation chômage", "allocation de retour à l'emploi",
     "aide au retour à l'emploi", "arce", "chomdu", "chomedu", "dole", "alloc chomage"),
    ("maternite", "maternité", "congé mat", "conge maternite", "maternity", "maternity leave",
     "enceinte", "grossesse", "accouchement", "accoucher", "pregnant", "pregnancy",
     "mother", "mère"),
    ("paternite", "paternité", "congé pat", "congé paternité", "congé de naissance",
     "paternity", "paternity leave", "second parent", "co-parent", "papa", "father", "dad"),
    ("naissance", "bébé", "baby", "newborn", "birth"),
    ("adoption", "adopter", "adopt", "adopting", "adoptive", "adopted"),
    ("parental", "congé parental", "parental leave", "prepare",
     "prestation partagée d'éducation de l'enfant"),
    ("garde", "garde d'enfant", "mode de garde", "nounou", "crèche", "assistante maternelle",
     "childcare", "daycare", "nanny", "cmg"),
    ("maladie", "malade", "sick", "sickness", "ill", "illness", "arrêt maladie",
     "arrêt de travail", "sick leave", "sick pay", "sick note"),
    ("ij", "indemnités journalières", "daily allowance", "daily allowances", "daily benefit"),
    ("accident", "accident du travail", "at mp", "atmp", "work accident", "injury", "injured",
     "blessure", "blessé", "hurt"),
    ("invalidite", "invalidité", "disability", "disabled", "incapacité", "handicap"),
    ("assurancemaladie", "assurance maladie", "cpam", "ameli", "carte vitale",
     "health insurance", "health cover", "remboursement soins", "medical costs"),
    ("protectionsociale", "protection sociale", "sécurité sociale", "sécu", "social security",
     "social protection", "social insurance"),
    ("mutuelle", "complémentaire santé", "top-up insurance", "private health insurance"),
    ("prevoyance", "prévoyance", "income protection", "loi madelin", "madelin",
     "disability insurance"),
    ("retraite", "retirement", "retired", "retraité", "pension", "pensions",
     "vieillesse", "old age"),
    ("trimestre", "trimestres", "quarter", "quarters"),
    ("formation", "training", "trainings", "course", "courses", "upskilling"),
    ("cpf", "compte personnel de formation", "mon compte formation", "moncompteformation",
     "training account"),
    ("faf", "fonds d'assurance formation", "agefice", "fif pl", "fifpl", "fafcea",
     "training fund", "training funds"),
    ("tva", "vat", "taxe sur la valeur ajoutée", "franchise en base", "sales tax"),
    ("cfe", "cotisation foncière des entreprises", "business property tax",
     "local business tax", "taxe professionnelle", "taxe pro"),
    ("impot", "impôt", "impôts", "impot sur le revenu", "income tax", "tax", "taxes", "fisc",
     "taxed"),
    ("cotisations", "cotisation", "cotisations sociales", "charges sociales", "charges",
     "social contributions", "contributions", "contribution"),
    ("declaration", "déclaration", "déclarer", "declare", "declaring", "report", "reporting"),
    ("microentreprise", "micro-entreprise", "micro entreprise", "micro-entrepreneur",
     "microentrepreneur", "auto-entrepreneur", "auto entrepreneur", "autoentrepreneur",
     "auto-entreprise", "autoentreprise", "ae", "micro", "sole trader"),
    ("independant", "indépendant", "indépendants", "freelance", "freelancer", "freelancers",
     "freelancing", "self-employed", "self employed", "tns", "travailleur non salarié",
     "free lance", "indé", "indés"),
    ("entrepriseindividuelle", "entreprise individuelle", "ei", "sole proprietorship",
     "sole proprietor"),
    ("societe", "société", "company", "limited company", "ltd", "sarl", "sas", "incorporate"),
    ("portage", "portage salarial", "umbrella company", "société de portage", "salarié porté"),
    ("cae", "coopérative d'activité et d'emploi", "coopérative d'activités et d'emploi",
     "coopérative", "cooperative", "coop", "entrepreneur salarié", "entrepreneur-salarié"),
    ("plateforme", "plateformes", "platform", "platforms", "uber", "deliveroo", "uber eats",
     "ubereats", "just eat", "bolt", "stuart", "livreur", "livreurs", "livraison", "rider",
     "riders", "coursier", "coursiers", "vtc", "driver", "drivers", "gig", "gig economy",
     "delivery", "courier"),
    # « directive » alone shares its stem with « directement »: phrases only.
    ("directiveue", "directive européenne", "directive plateformes", "european directive",
     "platform work directive", "platform directive", "directive 2024/2831", "brussels",
     "bruxelles"),
    ("lom", "loi d'orientation des mobilités", "loi mobilités", "mobility law",
     "charte sociale", "social charter", "arpe"),
    ("requalification", "requalifier", "reclassification", "reclassify", "misclassification",
     "présomption de salariat", "presumption of employment", "faux indépendant",
     "bogus self-employment", "salariat déguisé"),
    ("logement", "appartement", "appart", "flat", "apartment", "housing", "rent", "renting",
     "louer", "location", "bail", "lease", "landlord", "propriétaire", "proprio", "tenant",
     "locataire", "dossier de location", "visale"),
    ("credit", "crédit", "prêt", "emprunt", "emprunter", "loan", "loans", "mortgage",
     "crédit immobilier", "borrow", "borrowing", "prêt immobilier"),
    ("banque", "bank", "banks", "banquier", "banker"),
    ("comptebancaire", "compte bancaire", "compte pro", "compte professionnel",
     "bank account", "business account", "compte dédié"),
    ("irregulier", "irrégulier", "irréguliers", "irrégulière", "irrégulières", "irregular",
     "variable", "variables", "fluctuant", "fluctuating", "uneven", "en dents de scie",
     "lisser", "smooth"),
    ("chiffreaffaires", "chiffre d'affaires", "chiffre affaire", "turnover", "revenue",
     "sales", "recettes"),
    ("revenu", "revenus", "income", "earnings", "gagner", "earn"),
    ("seuil", "seuils", "plafond", "plafonds", "threshold", "thresholds", "ceiling", "limit",
     "limits", "limite"),
    ("depassement", "dépassement", "dépasser", "dépasse", "dépassé", "dépassée", "exceed",
     "exceeded", "exceeding",
     "go over", "went over"),
    ("facture", "factures", "facturer", "facturation", "invoice", "invoices", "invoicing",
     "bill", "billing", "e-invoicing", "facturation électronique"),
    ("impaye", "impayé", "impayés", "retard de paiement", "late payment", "late payments",
     "unpaid", "mauvais payeur", "pénalités de retard", "relance", "relancer"),
    ("creation", "création", "créer", "creer", "lancer", "start", "starting", "set up",
     "register", "registering", "registration", "immatriculation", "immatriculer",
     "s'immatriculer", "s'inscrire", "inscris", "inscrit", "inscription", "ouvrir", "monter",
     "open"),
    ("acre", "accre", "aide à la création", "exonération de début d'activité",
     "start-up exemption"),
    ("versementliberatoire", "versement libératoire", "prélèvement libératoire",
     "flat-rate tax"),
    ("rsa", "revenu de solidarité active", "minimum income", "welfare", "minima sociaux"),
    ("primeactivite", "prime d'activité", "prime activite", "activity bonus"),
    ("cumul", "cumuler", "combine", "combining", "en même temps", "à côté", "side",
     "side hustle", "en parallèle", "at the same time", "while", "both", "second job"),
    ("salarie", "salarié", "salariée", "salariés", "salariat", "employee", "employees",
     "employed", "cdi", "cdd", "job", "employer", "employeur", "worker status"),
    ("domiciliation", "domicilier", "siège social", "adresse de l'entreprise",
     "registered office", "business address", "home address"),
    ("changementstatut", "changer de statut", "changer statut", "passer en société",
     "passer en sasu", "passer en eurl", "sortir de la micro", "quitter la micro",
     "change status", "switch status", "switch to a company", "switching"),
    ("cessation", "cesser", "fermer", "fermeture", "radiation", "arrêter son activité",
     "arrêter mon activité", "close my business", "closing", "shut down", "liquidation"),
    ("ssi", "sécurité sociale des indépendants", "régime social des indépendants", "rsi"),
    ("difficulte", "difficulté", "difficultés", "galère", "galere", "struggling",
     "cannot pay", "délai de paiement", "échéancier", "payment plan",
     "hardship", "dette", "dettes", "debt"),
    ("droit", "droits", "right", "rights", "entitled", "entitlement", "eligible", "éligible",
     "eligibility", "éligibilité"),
    ("conge", "congé", "congés", "leave", "time off"),
    ("abattement", "abattements", "allowance for expenses", "flat-rate deduction",
     "deduction", "deductions"),
    ("taux", "rate", "rates", "percentage", "pourcentage"),
    ("montant", "amount", "amounts", "how much"),
    ("delai", "délai", "délais", "deadline", "deadlines", "date limite", "échéance"),
)


@dataclass(frozen=True, slots=True)
class Term:
    """A word of analysed text, its stem, and how it got there."""

    word: str
    stem: str
    concept: bool = False  # added by a synonym group
    phrase: bool = False  # part of a synonym phrase (its concept carries its meaning)


def _phrase_stems(phrase: str) -> tuple[str, ...]:
    return tuple(stem(w) for w in words(phrase))


@lru_cache(maxsize=1)
def _synonym_index() -> dict[str, list[tuple[tuple[str, ...], str]]]:
    """First stem → [(stems of the phrase, concept word)], longest phrases first."""
    index: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    for group in SYNONYMS:
        concept = group[0]
        for phrase in group:
            stems = _phrase_stems(phrase)
            if stems:
                index.setdefault(stems[0], []).append((stems, concept))
    for candidates in index.values():
        candidates.sort(key=lambda item: -len(item[0]))
    return index


def synonym_words() -> set[str]:
    """Every folded word that appears in a synonym phrase (for spelling suggestions)."""
    found: set[str] = set()
    for group in SYNONYMS:
        for phrase in group:
            found.update(words(phrase))
    return found


def analyze(text: str, correct: Callable[[str], str | None] | None = None) -> list[Term]:
    """Terms of ``text``: its words, then concept words of the synonym phrases found.

    ``correct`` may replace a word (a misspelling) before stems are taken.
    """
    found = words(text)
    if correct is not None:
        found = [correct(w) or w for w in found]
    terms = [Term(w, stem(w)) for w in found]
    index = _synonym_index()
    stems = [t.stem for t in terms]
    in_phrase = [False] * len(terms)
    concepts: list[Term] = []
    i = 0
    while i < len(terms):
        match = None
        for phrase, concept in index.get(stems[i], ()):
            if tuple(stems[i:i + len(phrase)]) == phrase:
                match = (phrase, concept)
                break
        if match is None:
            i += 1
            continue
        phrase, concept = match
        for j in range(i, i + len(phrase)):
            in_phrase[j] = True
        concepts.append(Term(concept, stem(concept), concept=True))
        i += len(phrase)
    words_out = [Term(t.word, t.stem, phrase=flag)
                 for t, flag in zip(terms, in_phrase, strict=True)
                 if flag or t.word not in WEAK_WORDS]
    return words_out + concepts


def field_terms(text: str) -> list[Term]:
    """Terms stored for one field of an entry (words and concept words)."""
    return analyze(text)


def unique(terms: Iterable[Term]) -> list[Term]:
    """First term of each stem, in order; a concept flag on any copy is kept."""
    seen: dict[str, Term] = {}
    for term in terms:
        kept = seen.get(term.stem)
        if kept is None:
            seen[term.stem] = term
        elif term.concept and not kept.concept:
            seen[term.stem] = Term(kept.word, kept.stem, concept=True, phrase=kept.phrase)
    return list(seen.values())
