"""The datasheet's prompts: the 57 of Gebru et al., "Datasheets for Datasets" (arXiv 1803.09010 v7;
Communications of the ACM 64(12), December 2021), keyed by stable IDs.

The question texts are datavet's own paraphrases of the paper's topics, not quotations; the IDs
(M1..X8) are the contract answers files, schemas and dashboards key on, so they never change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

CITATION = ('Gebru, T., Morgenstern, J., Vecchione, B., Wortman Vaughan, J., Wallach, H., Daumé III, H., '
            'Crawford, K. "Datasheets for Datasets". Communications of the ACM 64(12), 2021; '
            'arXiv:1803.09010 v7.')

Auto = Literal["computed", "partly", "config"]


@dataclass(frozen=True)
class Section:
    key: str
    letter: str
    title: str
    intro: str


@dataclass(frozen=True)
class Prompt:
    id: str
    section: str
    question: str
    auto: Auto | None = None
    people_only: bool = False
    comments: bool = False  # the "anything else?" prompt closing each section: optional

    @property
    def letter(self) -> str:
        return self.id[0]


SECTIONS: tuple[Section, ...] = (
    Section("motivation", "M", "Motivation", "Why the dataset exists and who paid for it."),
    Section("composition", "C", "Composition", "What the dataset holds, and what a reader should know."),
    Section("collection", "K", "Collection process", "How, when and by whom the data were gathered."),
    Section("preprocessing", "P", "Preprocessing, cleaning and labeling",
            "What was done to the raw data before release."),
    Section("uses", "U", "Uses", "What the dataset is and is not fit for."),
    Section("distribution", "D", "Distribution", "How the dataset is shared and under which terms."),
    Section("maintenance", "X", "Maintenance", "Who looks after the dataset, and how it changes."),
)

_P = Prompt
PROMPTS: tuple[Prompt, ...] = (
    _P("M1", "motivation", "Why was the dataset built? Name the task it was meant for and the gap it was "
       "meant to fill."),
    _P("M2", "motivation", "Which team or group created it, and for which organisation?"),
    _P("M3", "motivation", "Who paid for its creation? Give the funder and any grant name or number."),
    _P("M4", "motivation", "Anything else about the motivation?", comments=True),

    _P("C1", "composition", "What does one instance stand for (a person, a document, a transaction...)? "
       "Are there several kinds of instance?", auto="partly"),
    _P("C2", "composition", "How many instances are there, in total and per kind?", auto="computed"),
    _P("C3", "composition", "Is this every possible instance, or a sample of a larger set? If a sample, "
       "is it representative of that set, and how was that judged?", auto="partly"),
    _P("C4", "composition", "What does each instance consist of: raw data, derived features, or both?",
       auto="computed"),
    _P("C5", "composition", "Does each instance carry a label or target? Which one?", auto="computed"),
    _P("C6", "composition", "Is information missing from some instances? Which, and why?", auto="partly"),
    _P("C7", "composition", "Are links between instances stated explicitly (e.g. family ties, threads)?",
       auto="partly"),
    _P("C8", "composition", "Are there recommended splits (training, validation, test)? On what grounds?",
       auto="partly"),
    _P("C9", "composition", "Are there known errors, sources of noise or redundant instances?",
       auto="partly"),
    _P("C10", "composition", "Is the dataset self-contained, or does it depend on external resources? If "
       "so, are they guaranteed to persist, archived, or restricted?"),
    _P("C11", "composition", "Could it hold confidential data (legally privileged, medical, private "
       "communications)?"),
    _P("C12", "composition", "Could any of it offend, insult, threaten or distress someone who sees it?"),
    _P("C13", "composition", "Does it identify subpopulations (by age, sex, race...)? How are they "
       "identified, and how are they distributed?", auto="partly", people_only=True),
    _P("C14", "composition", "Can individuals be identified from the data, directly or by combining it "
       "with other data?", auto="partly", people_only=True),
    _P("C15", "composition", "Does it hold sensitive data (racial or ethnic origin, sexual orientation, "
       "religion, politics, union membership, location, finances, health, biometrics or genetics, "
       "government identifiers, criminal history)?", auto="partly", people_only=True),
    _P("C16", "composition", "Anything else about the composition?", comments=True),

    _P("K1", "collection", "How was each instance's data obtained: observed directly, reported by "
       "people, or inferred from other data? Was it checked?"),
    _P("K2", "collection", "What mechanisms or procedures gathered it (hardware, software, APIs, manual "
       "curation), and how were they validated?"),
    _P("K3", "collection", "If it is a sample, what sampling strategy was used?"),
    _P("K4", "collection", "Who took part in collecting the data, and how were they paid?"),
    _P("K5", "collection", "Over what period was it collected, and does that match the period the "
       "instances describe?", auto="partly"),
    _P("K6", "collection", "Was there an ethical review (e.g. an institutional review board)? What was "
       "the process and the outcome?"),
    _P("K7", "collection", "Were the data gathered from the people themselves, or through third parties "
       "or other sources?", people_only=True),
    _P("K8", "collection", "Were the people told that data about them was being collected? How, and "
       "with what wording?", people_only=True),
    _P("K9", "collection", "Did the people agree to the collection and use of their data? How, and "
       "with what wording?", people_only=True),
    _P("K10", "collection", "Can people withdraw that consent, now or for particular uses? How?",
       people_only=True),
    _P("K11", "collection", "Has the effect of the dataset and its use on the people in it been "
       "analysed (e.g. a data protection impact assessment)? With what result?", people_only=True),
    _P("K12", "collection", "Anything else about the collection?", comments=True),

    _P("P1", "preprocessing", "Was the data preprocessed, cleaned or labelled (discretised, tokenised, "
       "rows removed, missing values handled...)?", auto="partly"),
    _P("P2", "preprocessing", "Was the raw data kept alongside the processed data? Where?", auto="partly"),
    _P("P3", "preprocessing", "Is the software used for that processing available? Where?", auto="partly"),
    _P("P4", "preprocessing", "Anything else about preprocessing?", comments=True),

    _P("U1", "uses", "Has the dataset already been used for some tasks? Which?"),
    _P("U2", "uses", "Is there a place that lists the papers or systems that use it?"),
    _P("U3", "uses", "What other tasks could it serve?"),
    _P("U4", "uses", "Could anything about its composition, collection or processing affect future uses, "
       "e.g. lead to unfair treatment of people or groups, stereotyping, uneven quality of service, or "
       "legal or financial harm? What can users do about it?", auto="partly"),
    _P("U5", "uses", "Which tasks should it not be used for?"),
    _P("U6", "uses", "Anything else about uses?", comments=True),

    _P("D1", "distribution", "Will it be shared with third parties outside the creating organisation?"),
    _P("D2", "distribution", "How is it distributed (archive, API, repository)? Does it have a DOI?",
       auto="partly"),
    _P("D3", "distribution", "When was or will it be distributed?", auto="partly"),
    _P("D4", "distribution", "Under which licence or terms of use is it distributed?", auto="config"),
    _P("D5", "distribution", "Has a third party placed intellectual-property or other restrictions on "
       "the data?"),
    _P("D6", "distribution", "Do export controls or other regulations apply to it or to single instances?"),
    _P("D7", "distribution", "Anything else about distribution?", comments=True),

    _P("X1", "maintenance", "Who supports, hosts and maintains the dataset?", auto="config"),
    _P("X2", "maintenance", "How can its owner or maintainer be reached?", auto="config"),
    _P("X3", "maintenance", "Is there an erratum? Where?"),
    _P("X4", "maintenance", "Will it be updated (errors fixed, instances added or removed)? How often, "
       "by whom, and how will users hear of it?", auto="partly"),
    _P("X5", "maintenance", "If it concerns people, are there limits on how long their data may be "
       "kept? Are they enforced?"),
    _P("X6", "maintenance", "Are older versions still available? How is their retirement announced?",
       auto="partly"),
    _P("X7", "maintenance", "Can others extend or contribute to it? How are contributions checked and "
       "shared?"),
    _P("X8", "maintenance", "Anything else about maintenance?", comments=True),
)

PROMPT_IDS: tuple[str, ...] = tuple(p.id for p in PROMPTS)
BY_ID: dict[str, Prompt] = {p.id: p for p in PROMPTS}
SECTION_BY_KEY: dict[str, Section] = {s.key: s for s in SECTIONS}

# Prompts the computed sections answer on their own (a human answer may add to them).
COMPUTED_ANSWERS: frozenset[str] = frozenset({"C2", "C4"})


def prompts_in(section: str) -> list[Prompt]:
    return [p for p in PROMPTS if p.section == section]


def is_required(prompt: Prompt, relates_to_people: bool) -> bool:
    """Closing comment prompts are optional; prompts about people bind only when the data is about people."""
    if prompt.comments:
        return False
    return not (prompt.people_only and not relates_to_people)
